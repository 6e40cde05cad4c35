// Command confirm-order is the order saga's step saga.Steps.Confirm: capture the authorized total, then sell the held stock and confirm the order.
package main

import (
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/platform/boot"
	"github.com/orion-oss/orion/internal/platform/boot/payments"
	"github.com/orion-oss/orion/internal/platform/metrics"
	"github.com/orion-oss/orion/internal/saga"
)

func main() {
	log := boot.Logger()
	cfg := boot.AWS(log)
	store := dynamo.NewSaga(dynamodb.NewFromConfig(cfg), boot.Tables(log))
	steps := saga.NewSteps(store, payments.Provider(log, ssm.NewFromConfig(cfg)))
	steps.Metrics = metrics.New(os.Stdout)
	lambda.Start(saga.Lambda(log, "confirm-order", steps.Confirm))
}
