package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/orion-oss/orion/infra/engine/stack"
	"github.com/orion-oss/orion/internal/adapter/stripe/stripetest"
	"github.com/orion-oss/orion/internal/platform/awscfg"
)

// The payment providers `make dev` runs (make dev PAYMENTS=<mode>, or ORION_PAYMENTS):
//
//   - sandbox (the default, as in CI): the deterministic fake of internal/payment, no network;
//   - stripe-mock: the Stripe adapter against stripe-mock, Stripe's official API mock, on this machine,
//     answering every authorization as approved and capturable (Orion's fixtures);
//   - stripe-test: the Stripe adapter against Stripe's API in test mode, with the developer's
//     STRIPE_SECRET_KEY (sk_test_ or rk_test_ only: a local system never holds a live key).
//
// Whichever runs, the webhook route POST /webhooks/stripe works: its signing secret is seeded too.
const (
	paymentsSandbox    = "sandbox"
	paymentsStripeMock = "stripe-mock"
	paymentsStripeTest = "stripe-test"
)

// localWebhookSecret signs webhook events on a local system unless STRIPE_WEBHOOK_SECRET gives the one
// `stripe listen --forward-to` prints. It is a local value, worth nothing anywhere else.
const localWebhookSecret = "whsec_orion_local_only_0123456789abcdef"

// localPayments is what a payment mode needs before the stack starts: the template parameters it sets
// (PaymentProvider, StripeApiBase) unless ORION_PARAMETERS already names them, the secret key to seed,
// and what to stop when the system stops.
type localPayments struct {
	mode      string
	secretKey string // "" for the sandbox
	apiBase   string
	stop      func()
}

func preparePayments(ctx context.Context, mode string, overrides map[string]string) (*localPayments, error) {
	p := &localPayments{mode: mode, stop: func() {}}
	switch mode {
	case paymentsSandbox:
		return p, nil
	case paymentsStripeMock:
		// stripe-mock takes any key that looks like a test key (sk_test_<no underscore>): it checks requests
		// against Stripe's API, not credentials.
		p.secretKey = "sk_test_orionLocalStripeMock"
		if url := os.Getenv("STRIPE_MOCK_URL"); url != "" {
			p.apiBase = url
		} else {
			url, stop, err := startStripeMock(ctx)
			if err != nil {
				return nil, fmt.Errorf("PAYMENTS=stripe-mock: %w", err)
			}
			p.apiBase, p.stop = url, stop
		}
	case paymentsStripeTest:
		key := os.Getenv("STRIPE_SECRET_KEY")
		if !strings.HasPrefix(key, "sk_test_") && !strings.HasPrefix(key, "rk_test_") {
			return nil, errors.New("PAYMENTS=stripe-test needs STRIPE_SECRET_KEY set to a test-mode key (sk_test_... or rk_test_..., " +
				"Stripe Dashboard > Developers > API keys, test mode); a local system never takes a live key")
		}
		p.secretKey, p.apiBase = key, "https://api.stripe.com"
	default:
		return nil, fmt.Errorf("PAYMENTS=%q: want %s, %s or %s", mode, paymentsSandbox, paymentsStripeMock, paymentsStripeTest)
	}
	for k, v := range map[string]string{"PaymentProvider": "stripe", "StripeApiBase": p.apiBase} {
		if _, set := overrides[k]; !set {
			overrides[k] = v
		}
	}
	return p, nil
}

// seedSecrets puts the SecureString parameters the template's functions read into the emulator, as an
// operator puts them into an AWS account before the first deploy (docs/deploy.md): the webhook signing
// secret always, the Stripe secret key when a Stripe mode runs. The names are the stack's outputs, so
// they follow the template's StripeSecretKeyParameter and StripeWebhookSecretParameter. The functions
// read them on first use, never at start, so seeding right after the stack starts, before the system
// is announced, is in time for the first request.
func seedSecrets(ctx context.Context, st *stack.Stack, endpoint string, p *localPayments) (webhookParameter string, err error) {
	cfg, err := awscfg.Load(ctx, config.WithBaseEndpoint(endpoint), config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")))
	if err != nil {
		return "", err
	}
	c := ssm.NewFromConfig(cfg)
	webhookSecret := env("STRIPE_WEBHOOK_SECRET", localWebhookSecret)
	seeds := map[string]string{"StripeWebhookSecretParameterName": webhookSecret}
	if p.secretKey != "" {
		seeds["StripeSecretKeyParameterName"] = p.secretKey
	}
	for output, value := range seeds {
		name, _ := st.Outputs[output].(string)
		if name == "" {
			return "", fmt.Errorf("the template has no %s output", output)
		}
		// Overwrite: a restart with another mode or another `stripe listen` secret replaces the last.
		if _, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(value),
			Type: ssmtypes.ParameterTypeSecureString, Overwrite: aws.Bool(true)}); err != nil {
			return "", fmt.Errorf("put %s: %w", name, err)
		}
	}
	name, _ := st.Outputs["StripeWebhookSecretParameterName"].(string)
	return name, nil
}

// startStripeMock runs stripe-mock on a free port of 127.0.0.1 until the system stops, with Orion's
// fixtures (stripetest.WriteFixtures, into build/dev): its bundled PaymentIntent is
// requires_payment_method, which the adapter reads as a decline, so with those no order would confirm.
// stripetest finds stripe-mock on PATH or builds the pinned version once.
func startStripeMock(ctx context.Context) (url string, stop func(), err error) {
	fixtures := filepath.Join("build", "dev", "stripe-mock-fixtures.json")
	if err := os.MkdirAll(filepath.Dir(fixtures), 0o755); err != nil {
		return "", nil, err
	}
	if err := stripetest.WriteFixtures(ctx, fixtures); err != nil {
		return "", nil, fmt.Errorf("stripe-mock fixtures: %w", err)
	}
	srv, err := stripetest.Run(ctx, stripetest.Options{Fixtures: fixtures})
	if err != nil {
		return "", nil, err
	}
	return srv.URL, func() { srv.Close() }, nil
}
