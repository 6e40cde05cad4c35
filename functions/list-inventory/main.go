// Command list-inventory serves GET /inventory (public).
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orion-oss/orion/internal/api"
	"github.com/orion-oss/orion/internal/dynamo"
	"github.com/orion-oss/orion/internal/platform/boot"
	"github.com/orion-oss/orion/internal/web"
)

func main() {
	log := boot.Logger()
	repo := dynamo.NewInventoryRepository(dynamodb.NewFromConfig(boot.AWS(log)), boot.Tables(log))
	lambda.Start(web.Lambda(log, api.Inventory{Lister: repo}.List))
}
