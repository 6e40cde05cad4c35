// Command stripe-webhook serves POST /webhooks/stripe, a public route whose authentication is Stripe's
// signature: api.StripeWebhook over the Stripe adapter's signature check (the signing secret read from
// Parameter Store on first use) and saga.ProviderEvents.
package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/orion-oss/orion/internal/api"
	"github.com/orion-oss/orion/internal/payment"
	"github.com/orion-oss/orion/internal/platform/boot"
	"github.com/orion-oss/orion/internal/platform/boot/payments"
	"github.com/orion-oss/orion/internal/web"
)

func main() {
	log := boot.Logger()
	cfg := boot.AWS(log)
	endpoint := api.StripeWebhook{Verifier: payments.Webhook(log, ssm.NewFromConfig(cfg)), Events: providerEvents(log, cfg), Log: log}
	lambda.Start(web.Lambda(log, endpoint.Receive))
}

// providerEvents applies a verified event to its order, once per event id.
//
// MERGE (issue 19): the handler is the lead's (saga.ProviderEvents over the DynamoDB store and the
// Step Functions task resumer); replace this function's body with its constructor, e.g.
// saga.NewProviderEvents(dynamo.New…(dynamodb.NewFromConfig(cfg), boot.Tables(log)), stepfunctions.New…(sfn.NewFromConfig(cfg))),
// and delete pendingEvents. Until then a relevant event is a 500, which Stripe retries.
func providerEvents(*slog.Logger, aws.Config) api.PaymentEvents { return pendingEvents{} }

type pendingEvents struct{}

func (pendingEvents) Handle(context.Context, payment.ProviderEvent) error {
	return errors.New("provider events: no handler in this build (issue 19 merge pending)")
}
