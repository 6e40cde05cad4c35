// Command stripe-webhook serves POST /webhooks/stripe, a public route whose authentication is Stripe's
// signature: api.StripeWebhook over the Stripe adapter's signature check (the signing secret read from
// Parameter Store on first use) and saga.ProviderEvents, which applies each event to its order once
// and resumes the saga run that waits for a customer's action.
package main

import (
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/adapter/stepfunctions"
	"github.com/orion-oss/orion/internal/api"
	"github.com/orion-oss/orion/internal/platform/boot"
	"github.com/orion-oss/orion/internal/platform/boot/payments"
	"github.com/orion-oss/orion/internal/saga"
	"github.com/orion-oss/orion/internal/web"
)

func main() {
	log := boot.Logger()
	cfg := boot.AWS(log)
	verifier, provider := payments.WebhookWithProvider(log, ssm.NewFromConfig(cfg))
	events := saga.NewProviderEvents(dynamo.NewSaga(dynamodb.NewFromConfig(cfg), boot.Tables(log)), stepfunctions.Tasks{API: sfn.NewFromConfig(cfg)})
	events.Log, events.Payments = log, provider
	endpoint := api.StripeWebhook{Verifier: verifier, Events: events, Log: log}
	lambda.Start(web.Lambda(log, endpoint.Receive))
}
