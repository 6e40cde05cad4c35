// Command receive-return serves POST /orders/{orderId}/returns/{returnId}/receive: api.ReceiveReturn over
// command.ReceiveReturnHandler, which puts the return's units back on sale with the order's change in
// one transaction (the code path of the fulfilment partner's ReturnReceived events too).
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/api"
	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/platform/boot"
	"github.com/orion-oss/orion/internal/web"
)

func main() {
	log := boot.Logger()
	h := command.NewReceiveReturnHandler(dynamo.NewSaga(dynamodb.NewFromConfig(boot.AWS(log)), boot.Tables(log)))
	lambda.Start(web.Lambda(log, api.ReceiveReturn{Handler: h}.Serve))
}
