// Package sagalambda is what the saga's step functions run in main: the steps over DynamoDB and the
// configured payment provider, one of them served by lambda.Start. It keeps the step functions' mains
// to one line without making every other function link the saga.
package sagalambda

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/platform/boot"
	"github.com/orion-oss/orion/internal/platform/metrics"
	"github.com/orion-oss/orion/internal/saga"
)

// Steps builds the saga's steps from the function's environment (tables, PAYMENT_PROVIDER).
func Steps(log *slog.Logger) *saga.Steps {
	steps := saga.NewSteps(dynamo.NewSaga(dynamodb.NewFromConfig(boot.AWS(log)), boot.Tables(log)), boot.Payments(log))
	steps.Metrics = metrics.New(os.Stdout)
	return steps
}

// Start serves one step, given as a method expression such as (*saga.Steps).Reserve.
func Start(name string, step func(*saga.Steps, context.Context, saga.Input) (saga.Result, error)) {
	log := boot.Logger()
	steps := Steps(log)
	lambda.Start(saga.Lambda(log, name, func(ctx context.Context, in saga.Input) (saga.Result, error) { return step(steps, ctx, in) }))
}
