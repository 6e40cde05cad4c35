// Command deliver-order serves POST /orders/{orderId}/deliver: api.DeliverOrder over
// command.DeliverOrderHandler, the code path the fulfilment partner's ShipmentDelivered events take too.
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
	h := command.NewDeliverOrderHandler(dynamo.NewSaga(dynamodb.NewFromConfig(boot.AWS(log)), boot.Tables(log)))
	lambda.Start(web.Lambda(log, api.DeliverOrder{Handler: h}.Serve))
}
