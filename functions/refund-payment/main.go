// Command refund-payment is the order saga's step saga.Steps.Refund: give the payment back, voiding a hold or refunding a capture (compensation).
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
	steps := saga.NewSteps(store, payments.Provider(log, ssm.NewFromConfig(cfg)))
	lambda.Start(saga.Lambda(log, "refund-payment", steps.Refund))
}
