// Command project-orders builds the order views of the query side from order events (EventBridge rule),
// projection.Handler over the DynamoDB projections.
package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/platform/boot"
	"github.com/orion-oss/orion/internal/platform/metrics"
	"github.com/orion-oss/orion/internal/projection"
)

func main() {
	log := boot.Logger()
	views := dynamo.NewProjections(dynamodb.NewFromConfig(boot.AWS(log)), boot.Require(log, "PROJECTIONS_TABLE"))
	h := projection.Handler{Projector: views, Logger: log, Metrics: metrics.New(os.Stdout)}
	lambda.Start(h.HandleEventBridge)
}
