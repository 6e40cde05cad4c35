// Command restock-inventory-item serves the inventory endpoint api.Inventory.Restock.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/api"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/platform/boot"
	"github.com/orion-oss/orion/internal/web"
)

func main() {
	log := boot.Logger()
	repo := dynamo.NewInventoryRepository(dynamodb.NewFromConfig(boot.AWS(log)), boot.Tables(log))
	h := api.Inventory{Service: inventory.NewService(repo)}
	lambda.Start(web.Lambda(log, h.Restock))
}
