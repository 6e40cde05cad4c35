// Command place-order serves POST /orders: api.PlaceOrder over command.PlaceOrderHandler.
package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/api"
	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/platform/boot"
	"github.com/orion-oss/orion/internal/web"
)

func main() {
	log := boot.Logger()
	db, tables := dynamodb.NewFromConfig(boot.AWS(log)), boot.Tables(log)
	limits, err := order.ParseLimits(os.Getenv("MAX_OPEN_ORDERS_PER_CUSTOMER"), os.Getenv("MAX_HELD_UNITS_PER_CUSTOMER"))
	if err != nil {
		boot.Fail(log, "order limits", err)
	}
	h := command.NewPlaceOrderHandler(dynamo.NewOrderRepository(db, tables).WithLimits(limits), dynamo.NewInventoryRepository(db, tables))
	lambda.Start(web.Lambda(log, api.PlaceOrder{Handler: h}.Serve))
}
