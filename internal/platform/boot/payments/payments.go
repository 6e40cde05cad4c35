// Package payments is the start-up of the functions that call the payment provider (authorize-payment,
// confirm-order, capture-payment, refund-payment, recover-order) or receive its webhooks
// (stripe-webhook): it picks the provider PAYMENT_PROVIDER names, refuses the sandbox on a prod stage,
// and builds the Stripe adapter with its secrets read from SSM Parameter Store on first use, never at
// init (a cold start does no network I/O). It is apart from boot, which every function links, so that no other function links
// the Stripe adapter or the SSM client (architecture_test.go, TestFunctionsLinkOnlyWhatTheyUse).
//
// A setting that is missing or unusable stops the function at start with one line naming it, as boot
// does: a payment function that cannot reach its provider must not take saga steps it cannot finish.
package payments

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/orion-oss/orion/internal/payment"
	"github.com/orion-oss/orion/internal/platform/boot"
)

// The environment the template gives the payment functions (template.yaml, PaymentProvider and the
// Stripe* parameters).
const (
	EnvProvider               = "PAYMENT_PROVIDER"
	EnvStage                  = "STAGE"
	EnvAPIBase                = "STRIPE_API_BASE"
	EnvSecretKeyParameter     = "STRIPE_SECRET_KEY_PARAMETER"
	EnvWebhookSecretParameter = "STRIPE_WEBHOOK_SECRET_PARAMETER"
	EnvLinkBase               = "LINK_BASE_URL"
	DefaultAPIBase            = "https://api.stripe.com"
	stageLocal                = "local"
	webhookTolerance          = 5 * time.Minute
)

// Secret reads one secret on first use (the SSM adapter's ssm.Secret: once per container, successes
// cached).
type Secret = func(context.Context) (string, error)

// Verifier checks Stripe's webhook requests: api.StripeWebhook's Verifier.
type Verifier interface {
	Parse(ctx context.Context, body []byte, signature string) (payment.ProviderEvent, bool, error)
}

// Stripe is the Stripe adapter's configuration, from the environment.
type Stripe struct {
	// APIBase is Stripe's API (https://api.stripe.com), or stripe-mock on a local run.
	APIBase string
	// SecretKeyParameter names the SecureString parameter that holds the secret key (sk_live_/sk_test_).
	SecretKeyParameter string
	// LinkBase is the shop's base URL: after an action (3-D Secure) Stripe sends the customer to
	// <LinkBase>/orders/<orderId>, the page the order's emails link too.
	LinkBase string
}

// ReturnURL is where Stripe sends the customer back after an action on the order's payment.
func (s Stripe) ReturnURL(orderID string) string {
	return strings.TrimRight(s.LinkBase, "/") + "/orders/" + url.PathEscape(orderID)
}

// A settingError names the environment variable at fault: boot.Fail's "what".
type settingError struct {
	name string
	err  error
}

func (e *settingError) Error() string { return e.name + ": " + e.err.Error() }
func (e *settingError) Unwrap() error { return e.err }

func fail(log *slog.Logger, err error) {
	var se *settingError
	if errors.As(err, &se) {
		boot.Fail(log, se.name, se.err)
	}
	boot.Fail(log, "payments", err)
}

// Provider returns the payment provider PAYMENT_PROVIDER names (the sandbox when it is unset). A prod
// stage never runs the sandbox, which approves tok_visa for free: payment.CheckStage fails closed, as
// the template's Rules do before a deploy. params is the SSM client the Stripe secret key is read with,
// on the first call to Stripe.
func Provider(log *slog.Logger, params Parameters) payment.Provider {
	p, err := provider(os.Getenv, params)
	if err != nil {
		fail(log, err)
	}
	return p
}

func provider(getenv func(string) string, params Parameters) (payment.Provider, error) {
	name := getenv(EnvProvider)
	if err := payment.CheckStage(name, getenv(EnvStage)); err != nil {
		return nil, &settingError{EnvProvider, err}
	}
	if name != payment.NameStripe {
		return payment.Sandbox{}, nil
	}
	s, err := stripeFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	return stripeProvider(s, secret(params, s.SecretKeyParameter))
}

// stripeFromEnv reads and checks the Stripe settings.
func stripeFromEnv(getenv func(string) string) (Stripe, error) {
	s := Stripe{APIBase: getenv(EnvAPIBase), SecretKeyParameter: getenv(EnvSecretKeyParameter), LinkBase: getenv(EnvLinkBase)}
	if s.APIBase == "" {
		s.APIBase = DefaultAPIBase
	}
	if err := checkAPIBase(s.APIBase, getenv(EnvStage)); err != nil {
		return s, &settingError{EnvAPIBase, err}
	}
	if s.SecretKeyParameter == "" {
		return s, &settingError{EnvSecretKeyParameter, errors.New("is not set")}
	}
	if u, err := url.Parse(s.LinkBase); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return s, &settingError{EnvLinkBase, fmt.Errorf("%q is not an absolute http(s) URL without query or fragment", s.LinkBase)}
	}
	return s, nil
}

// checkAPIBase refuses an API base the secret key must not travel to: the key is a bearer token on
// every request, so outside a local run it goes over TLS only. Plain http is for stripe-mock on a
// local stage or a loopback address.
func checkAPIBase(base, stage string) error {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		return fmt.Errorf("%q is not a scheme and host (https://api.stripe.com)", base)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if ip := net.ParseIP(u.Hostname()); stage == stageLocal || u.Hostname() == "localhost" || (ip != nil && ip.IsLoopback()) {
			return nil
		}
		return fmt.Errorf("%q is plain http: the secret key travels over TLS only (http is for stripe-mock on a local run)", base)
	}
	return fmt.Errorf("%q is not an http(s) URL", base)
}

// Webhook returns the check of Stripe's webhook requests, with the signing secret read from the
// SecureString parameter STRIPE_WEBHOOK_SECRET_PARAMETER names on the first signed request. Stripe
// signs the timestamp with the body; an event signed more than five minutes from now is refused,
// Stripe's own libraries' default (docs.stripe.com/webhooks#replay-attacks). A refund made in Stripe's
// dashboard and a dispute name the PaymentIntent only, so with PAYMENT_PROVIDER=stripe the check asks
// Stripe for the intent's order (the secret key's settings apply, and a prod stage refuses the sandbox
// here as in the payment functions).
func Webhook(log *slog.Logger, params Parameters) Verifier {
	v, _ := WebhookWithProvider(log, params)
	return v
}

// WebhookWithProvider is Webhook and the provider it asks, for a webhook that also calls the provider
// (saga.ProviderEvents voids a hold whose order ended without it): one provider, one read of the key.
func WebhookWithProvider(log *slog.Logger, params Parameters) (Verifier, payment.Provider) {
	name := os.Getenv(EnvWebhookSecretParameter)
	if name == "" {
		boot.Fail(log, EnvWebhookSecretParameter, errors.New("is not set"))
	}
	p, err := provider(os.Getenv, params)
	if err != nil {
		fail(log, err)
	}
	return stripeWebhook(secret(params, name), webhookTolerance, p), p
}
