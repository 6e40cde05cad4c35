// Command list-orders serves GET /orders from the order views: api.ListOrders over
// query.ListOrdersHandler.
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
	views := dynamo.NewProjections(dynamodb.NewFromConfig(boot.AWS(log)), boot.Require(log, "PROJECTIONS_TABLE"))
	lambda.Start(web.Lambda(log, api.ListOrders{Handler: query.NewListOrdersHandler(views)}.Serve))
}
