// Command return-stock is the order saga's step saga.Steps.Return: give a cancelled confirmed order's sold stock back.
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
	lambda.Start(saga.Lambda(log, "return-stock", steps.Return))
}
