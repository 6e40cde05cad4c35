// Command cancel-order serves the order endpoint api.Orders.Cancel.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/api"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/platform/boot"
	"github.com/orion-oss/orion/internal/web"
)

func main() {
	log := boot.Logger()
	db, tables := dynamodb.NewFromConfig(boot.AWS(log)), boot.Tables(log)
	svc := order.NewService(dynamo.NewOrderRepository(db, tables), dynamo.NewInventoryRepository(db, tables))
	lambda.Start(web.Lambda(log, api.Orders{Service: svc}.Cancel))
}
