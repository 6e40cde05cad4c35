// Command refund-return refunds a received return (saga.Steps.RefundReturn) on OrderReturnReceived
// (EventBridge rule, asynchronous invocation with retries and a dead-letter queue).
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
	h := saga.ReturnRefunder{Steps: saga.NewSteps(store, payments.Provider(log, ssm.NewFromConfig(cfg))), Log: log}
	lambda.Start(h.Handle)
}
