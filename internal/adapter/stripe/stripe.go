// Package stripe is Orion's payment provider on Stripe (payment.Provider): PaymentIntents with
// manual capture, so that authorize holds the order total, capture takes it, cancel voids it and a
// refund gives it back. It also verifies Stripe's webhook events and translates the ones Orion acts
// on (webhook.go).
//
// It is a small client over net/http and form encoding, not Stripe's Go library, whose size alone
// would take most of a function's binary budget (docs/adr/0012-stripe-without-stripe-go.md).
package stripe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/orion-oss/orion/internal/payment"
)

// APIVersion is the Stripe API version every request pins (the Stripe-Version header), so that an
// upgrade of the account's default version never changes what Orion reads
// (https://docs.stripe.com/api/versioning). It is the version of the OpenAPI spec stripe-mock v0.203.0
// validates against (stripetest.Version); webhook endpoints should be created with it too, so that
// events arrive in the shape webhook.go reads.
const APIVersion = "2026-08-26.dahlia"

// DefaultBaseURL is Stripe's API.
const DefaultBaseURL = "https://api.stripe.com"

// DefaultTimeout bounds one request. The functions calling Stripe run for at most 10 s (the
// template's Globals Timeout) and still have to read the key (first call only) and write the order
// after Stripe answers, so a request gets 6 s; a timed-out request is ErrUnavailable, and the saga's
// retry with the same Idempotency-Key returns Stripe's answer to the first one if it was executed.
const DefaultTimeout = 6 * time.Second

// maxResponse bounds what is read of a response: a PaymentIntent is a few kilobytes.
const maxResponse = 1 << 20

// Config configures the provider. Nothing in it is read over the network before the first call.
type Config struct {
	// BaseURL is Stripe's API, or stripe-mock's in tests and local runs; empty means DefaultBaseURL.
	BaseURL string
	// APIKey returns the secret (or restricted) key; it is called on every request, so it should
	// cache (internal/adapter/ssm's Secret reads Parameter Store once per container).
	APIKey func(context.Context) (string, error)
	// ReturnURL is where Stripe sends the customer back after a redirect (3-D Secure): the order's
	// page. Stripe requires it when a confirmation may redirect.
	ReturnURL func(orderID string) string
	// HTTPClient sends the requests; nil means a client with DefaultTimeout.
	HTTPClient *http.Client
}

// Provider is payment.Provider on Stripe's PaymentIntents.
type Provider struct {
	cfg    Config
	base   string
	client *http.Client
}

// New builds the provider. It makes no call: the key is read by the first request that needs it.
func New(cfg Config) *Provider {
	p := &Provider{cfg: cfg, base: strings.TrimRight(cfg.BaseURL, "/"), client: cfg.HTTPClient}
	if p.base == "" {
		p.base = DefaultBaseURL
	}
	if p.client == nil {
		p.client = &http.Client{Timeout: DefaultTimeout}
	}
	return p
}

// call sends one request and returns the body of a 2xx answer, or an error that wraps what the
// failure means to Orion (classify). idempotencyKey goes in Stripe's Idempotency-Key header on a
// POST (https://docs.stripe.com/api/idempotent_requests). secrets are values of the request (the
// payment token) that must not reach an error's text; the API key never does.
func (p *Provider) call(ctx context.Context, method, path string, form url.Values, idempotencyKey string, secrets ...string) ([]byte, error) {
	if p.cfg.APIKey == nil {
		return nil, fmt.Errorf("%w: stripe: no API key source", payment.ErrMisconfigured)
	}
	key, err := p.cfg.APIKey(ctx)
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled), errors.Is(err, payment.ErrUnavailable):
		// A source that says it failed for a passing reason (a throttled Parameter Store) is an outage.
		return nil, fmt.Errorf("%w: stripe: reading the API key: %w", payment.ErrUnavailable, err)
	case err != nil:
		// The source failed for good as far as this call can tell (a missing parameter, a denied
		// read): that is configuration, and it pages rather than retrying as an outage.
		return nil, fmt.Errorf("%w: stripe: reading the API key: %w", payment.ErrMisconfigured, err)
	case key == "":
		return nil, fmt.Errorf("%w: stripe: the API key is empty", payment.ErrMisconfigured)
	}
	var body io.Reader
	if method == http.MethodPost {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, p.base+path, body)
	if err != nil {
		return nil, fmt.Errorf("%w: stripe: %w", payment.ErrMisconfigured, err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Stripe-Version", APIVersion)
	req.Header.Set("User-Agent", "orion")
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if idempotencyKey != "" {
			req.Header.Set("Idempotency-Key", idempotencyKey)
		}
	}
	resp, err := p.client.Do(req)
	if err != nil {
		// A network error or a timeout: Stripe may or may not have executed the request, and only a
		// retry with the same Idempotency-Key can tell safely (https://docs.stripe.com/error-low-level#network-errors).
		// The error names the method and URL, which hold no secret.
		return nil, fmt.Errorf("%w: stripe: %w", payment.ErrUnavailable, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, fmt.Errorf("%w: stripe: reading the response: %w", payment.ErrUnavailable, err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, classify(resp.StatusCode, resp.Header, data, append(secrets, key)...)
	}
	return data, nil
}

// decode reads a 2xx body. One Stripe did not send in its documented shape (a proxy's page) is
// ErrUnavailable: it says nothing about the payment, and a retry may reach Stripe.
func decode(data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%w: stripe: the response is not JSON: %w", payment.ErrUnavailable, err)
	}
	return nil
}

// paymentIntent is the part of a PaymentIntent Orion reads: https://docs.stripe.com/api/payment_intents/object.
type paymentIntent struct {
	ID               string            `json:"id"`
	Object           string            `json:"object"`
	Status           string            `json:"status"`
	Amount           int64             `json:"amount"`
	AmountCapturable int64             `json:"amount_capturable"`
	Currency         string            `json:"currency"`
	Metadata         map[string]string `json:"metadata"`
	LatestCharge     expandable        `json:"latest_charge"`
	NextAction       *struct {
		Type          string `json:"type"`
		RedirectToURL *struct {
			URL string `json:"url"`
		} `json:"redirect_to_url"`
	} `json:"next_action"`
	LastPaymentError *apiError `json:"last_payment_error"`
}

// expandable is a field Stripe sends as an id, or as the object when the request expanded it
// (https://docs.stripe.com/expand): either way, the id.
type expandable string

func (x *expandable) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*x = ""
		return nil
	}
	var id string
	if json.Unmarshal(b, &id) == nil {
		*x = expandable(id)
		return nil
	}
	var obj struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return err
	}
	*x = expandable(obj.ID)
	return nil
}

// Metadata keys Orion sets. order_id names the order in Stripe's dashboard and in the events of the
// PaymentIntent; source marks Orion's own refunds, so that refund events tell them from refunds made
// in the dashboard (webhook.go); return_id names the return a refund is for, so that a return's refund
// is found again after its idempotency key expired (refundReturn).
const (
	metaOrderID  = "order_id"
	metaSource   = "source"
	metaReturnID = "return_id"
	sourceOrion  = "orion"
)

func intentPath(id string, action string) (string, error) {
	if id == "" {
		return "", fmt.Errorf("%w: stripe: no PaymentIntent id", payment.ErrMisconfigured)
	}
	p := "/v1/payment_intents/" + url.PathEscape(id)
	if action != "" {
		p += "/" + action
	}
	return p, nil
}
