package payments

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/orion-oss/orion/internal/adapter/ssm"
	"github.com/orion-oss/orion/internal/adapter/stripe"
	"github.com/orion-oss/orion/internal/payment"
)

// Parameters is the SSM client the secrets are read with (a *ssm.Client of the AWS SDK).
type Parameters = ssm.GetParameterAPI

// secret reads the SecureString parameter name on first use, once per container. A read that failed
// for a passing reason (throttled, Parameter Store unavailable) is payment.ErrUnavailable, which the
// saga retries like a provider outage, not a configuration error that pages.
func secret(params Parameters, name string) Secret {
	read := ssm.Secret(params, name)
	return func(ctx context.Context) (string, error) {
		v, err := read(ctx)
		if errors.Is(err, ssm.ErrUnavailable) {
			return "", fmt.Errorf("%w: %w", payment.ErrUnavailable, err)
		}
		return v, err
	}
}

func stripeProvider(s Stripe, key Secret) (payment.Provider, error) {
	return stripe.New(stripe.Config{BaseURL: s.APIBase, APIKey: key, ReturnURL: s.ReturnURL}), nil
}

// stripeWebhook checks signatures with secret; with the Stripe provider it also finds the order of an
// event that names the PaymentIntent only (a dashboard refund, a dispute). With the sandbox there is no
// intent to read: such an event is a 500, which only a hand-made event can cause locally.
func stripeWebhook(secret Secret, tolerance time.Duration, p payment.Provider) Verifier {
	w := stripe.Webhook{Secret: secret, Tolerance: tolerance, Now: time.Now}
	if sp, ok := p.(*stripe.Provider); ok {
		w.OrderOf = sp.OrderOf
	}
	return checkedWebhook{w}
}

// checkedWebhook tells the sender's faults (the adapter's ErrSignature and ErrMalformed) from Orion's
// in the terms of the port, payment.ErrInvalidEvent, which the endpoint answers with 400.
type checkedWebhook struct{ stripe.Webhook }

func (w checkedWebhook) Parse(ctx context.Context, body []byte, sig string) (payment.ProviderEvent, bool, error) {
	ev, relevant, err := w.Webhook.Parse(ctx, body, sig)
	if errors.Is(err, stripe.ErrSignature) || errors.Is(err, stripe.ErrMalformed) {
		err = fmt.Errorf("%w: %w", payment.ErrInvalidEvent, err)
	}
	return ev, relevant, err
}
