// Command set-inventory-shards serves PUT /inventory/{sku}/shards (admin): api.SetInventoryShards over
// command.SetInventoryShardsHandler.
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
	lambda.Start(web.Lambda(log, api.SetInventoryShards{Handler: command.NewSetInventoryShardsHandler(items)}.Serve))
}
