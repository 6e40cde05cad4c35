// Command start-order-saga starts the order saga for OrderPlaced and the cancellation run for a
// confirmed order's OrderCancellationRequested (EventBridge rules), one execution per order.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/orion-oss/orion/internal/adapter/stepfunctions"
	"github.com/orion-oss/orion/internal/platform/boot"
	"github.com/orion-oss/orion/internal/saga/starter"
)

func main() {
	log := boot.Logger()
	s := starter.Starter{Executions: stepfunctions.Executions{API: sfn.NewFromConfig(boot.AWS(log))}, Log: log,
		SagaArn: boot.Require(log, "ORDER_SAGA_ARN"), CancellationArn: boot.Require(log, "ORDER_CANCELLATION_ARN")}
	lambda.Start(s.Handle)
}
