// Command recover-order compensates the order of a saga run that failed, timed out or was aborted
// (Step Functions' execution status change events, EventBridge rule on the default bus).
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/platform/boot"
	"github.com/orion-oss/orion/internal/platform/boot/payments"
	"github.com/orion-oss/orion/internal/saga"
)

func main() {
	log := boot.Logger()
	cfg := boot.AWS(log)
	store := dynamo.NewSaga(dynamodb.NewFromConfig(cfg), boot.Tables(log))
	h := saga.RecoverOrder{Steps: saga.NewSteps(store, payments.Provider(log, ssm.NewFromConfig(cfg))), Log: log}
	lambda.Start(h.Handle)
}
