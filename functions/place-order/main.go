// Command place-order serves POST /orders: api.PlaceOrder over command.PlaceOrderHandler.
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
	db, tables := dynamodb.NewFromConfig(boot.AWS(log)), boot.Tables(log)
	h := command.NewPlaceOrderHandler(dynamo.NewOrderRepository(db, tables), dynamo.NewInventoryRepository(db, tables))
	lambda.Start(web.Lambda(log, api.PlaceOrder{Handler: h}.Serve))
}
