// Command await-payment is the order saga's wait for the customer's payment action, saga.Steps.Await
// (a lambda:invoke.waitForTaskToken task): it stores the run's task token on the order, and answers it
// itself when the provider's outcome is already recorded.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/adapter/stepfunctions"
	"github.com/orion-oss/orion/internal/platform/boot"
	"github.com/orion-oss/orion/internal/saga"
)

func main() {
	log := boot.Logger()
	cfg := boot.AWS(log)
	steps := saga.NewSteps(dynamo.NewSaga(dynamodb.NewFromConfig(cfg), boot.Tables(log)), nil)
	steps.Resumer = stepfunctions.Tasks{API: sfn.NewFromConfig(cfg)}
	lambda.Start(saga.Lambda(log, "await-payment", steps.Await))
}
