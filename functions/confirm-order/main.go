// Command confirm-order is the order saga's step saga.Steps.Confirm: sell the held stock and confirm the order.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/platform/boot"
	"github.com/orion-oss/orion/internal/saga"
)

func main() {
	log := boot.Logger()
	store := dynamo.NewSaga(dynamodb.NewFromConfig(boot.AWS(log)), boot.Tables(log))
	steps := saga.NewSteps(store, nil) // no payment step runs here
	lambda.Start(saga.Lambda(log, "confirm-order", steps.Confirm))
}
