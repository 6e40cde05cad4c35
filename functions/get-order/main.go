// Command get-order serves GET /orders/{orderId}: api.GetOrder over query.GetOrderHandler.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/api"
	"github.com/orion-oss/orion/internal/platform/boot"
	"github.com/orion-oss/orion/internal/query"
	"github.com/orion-oss/orion/internal/web"
)

func main() {
	log := boot.Logger()
	orders := dynamo.NewOrderRepository(dynamodb.NewFromConfig(boot.AWS(log)), boot.Tables(log))
	lambda.Start(web.Lambda(log, api.GetOrder{Handler: query.NewGetOrderHandler(orders)}.Serve))
}
