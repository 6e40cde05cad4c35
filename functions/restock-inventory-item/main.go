// Command restock-inventory-item serves POST /inventory/{sku}/restock (admin): api.RestockInventoryItem
// over command.RestockInventoryItemHandler.
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
	items := dynamo.NewInventoryRepository(dynamodb.NewFromConfig(boot.AWS(log)), boot.Tables(log))
	lambda.Start(web.Lambda(log, api.RestockInventoryItem{Handler: command.NewRestockInventoryItemHandler(items)}.Serve))
}
