// Command cancel-order serves POST /orders/{orderId}/cancel: api.CancelOrder over
// command.CancelOrderHandler, which also wakes a saga run waiting for the customer's payment action.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/adapter/stepfunctions"
	"github.com/orion-oss/orion/internal/api"
	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/platform/boot"
	"github.com/orion-oss/orion/internal/web"
)

func main() {
	log := boot.Logger()
	cfg := boot.AWS(log)
	h := command.NewCancelOrderHandler(dynamo.NewOrderRepository(dynamodb.NewFromConfig(cfg), boot.Tables(log)))
	h.Waits, h.Log = stepfunctions.Tasks{API: sfn.NewFromConfig(cfg)}, log
	lambda.Start(web.Lambda(log, api.CancelOrder{Handler: h}.Serve))
}
