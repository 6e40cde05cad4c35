package stripe

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/orion-oss/orion/internal/payment"
)

// Errors of Parse that mean "answer 400 and change nothing".
var (
	// ErrSignature: the Stripe-Signature header is missing, malformed, signed with another secret,
	// or signed too long ago (a replay).
	ErrSignature = errors.New("stripe: webhook signature missing, forged or stale")
	// ErrMalformed: the body is signed but is not a Stripe event Orion can read.
	ErrMalformed = errors.New("stripe: webhook body is not a Stripe event")
)

// DefaultTolerance is how far a signature's timestamp may be from now: Stripe's libraries' default
// (https://docs.stripe.com/webhooks#replay-attacks).
const DefaultTolerance = 5 * time.Minute

// Webhook verifies and translates Stripe's webhook events (https://docs.stripe.com/webhooks).
type Webhook struct {
	// Secret returns the endpoint's signing secret (whsec_...).
	Secret func(context.Context) (string, error)
	// Tolerance is the accepted age of a signature; zero means DefaultTolerance.
	Tolerance time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// OrderOf finds the order of a PaymentIntent (Provider.OrderOf) for the events whose object does
	// not carry the intent's metadata: a refund made in the dashboard and a dispute name the intent
	// only. Without it such events are an error (500: Stripe delivers them again once it is set).
	OrderOf func(ctx context.Context, authorizationID string) (string, error)
}

// Parse verifies body against the Stripe-Signature header and translates the event. relevant is false
// for an event Orion does not act on (another type, a payment Orion did not create, Orion's own
// refund), which the endpoint acknowledges and drops. errors.Is(err, ErrSignature) and
// errors.Is(err, ErrMalformed) mean a 400; any other error (the secret or the order unreadable) a 500,
// which Stripe retries.
//
// The signature is checked before the body is read at all. Stripe signs
// HMAC-SHA256(secret, "<t>.<raw body>") and sends `t=<unix seconds>,v1=<hex>`, with one v1 per
// active secret while a secret rolls; v0 (test-mode legacy) is ignored
// (https://docs.stripe.com/webhooks#verify-manually).
func (w Webhook) Parse(ctx context.Context, body []byte, signatureHeader string) (payment.ProviderEvent, bool, error) {
	if w.Secret == nil {
		return payment.ProviderEvent{}, false, errors.New("stripe: webhook: no signing secret source")
	}
	secret, err := w.Secret(ctx)
	if err != nil {
		return payment.ProviderEvent{}, false, fmt.Errorf("stripe: webhook: reading the signing secret: %w", err)
	}
	if secret == "" {
		return payment.ProviderEvent{}, false, errors.New("stripe: webhook: the signing secret is empty")
	}
	if err := w.verify(body, signatureHeader, secret); err != nil {
		return payment.ProviderEvent{}, false, err
	}
	return w.translate(ctx, body)
}

func (w Webhook) verify(body []byte, header, secret string) error {
	var (
		timestamp string
		sigs      [][]byte
	)
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			timestamp = v
		case "v1":
			if sig, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, sig)
			}
		}
	}
	if timestamp == "" || len(sigs) == 0 {
		return fmt.Errorf("%w: no timestamp or no v1 signature", ErrSignature)
	}
	t, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: timestamp %q", ErrSignature, timestamp)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp))
	mac.Write([]byte("."))
	mac.Write(body)
	want := mac.Sum(nil)
	matched := false
	for _, sig := range sigs {
		// Every candidate is compared, in constant time, whatever an earlier one gave.
		if hmac.Equal(sig, want) {
			matched = true
		}
	}
	if !matched {
		return fmt.Errorf("%w: no v1 signature matches", ErrSignature)
	}
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	tolerance := w.Tolerance
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	// Too old is a replay; too far ahead is refused as well, since Stripe stamps the time it signs.
	if age := now().Sub(time.Unix(t, 0)); age > tolerance || age < -tolerance {
		return fmt.Errorf("%w: signed %s from now, tolerance %s", ErrSignature, age.Round(time.Second), tolerance)
	}
	return nil
}

// event is Stripe's envelope: https://docs.stripe.com/api/events/object.
type event struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Type    string `json:"type"`
	Created int64  `json:"created"`
	Data    struct {
		Object json.RawMessage `json:"object"`
	} `json:"data"`
}

// dispute is the part of a Dispute Orion reads: https://docs.stripe.com/api/disputes/object.
type dispute struct {
	ID            string     `json:"id"`
	Amount        int64      `json:"amount"`
	Currency      string     `json:"currency"`
	Reason        string     `json:"reason"`
	PaymentIntent expandable `json:"payment_intent"`
}

// The events Orion acts on (https://docs.stripe.com/api/events/types):
//
//   - payment_intent.amount_capturable_updated with the intent in requires_capture: the hold exists,
//     so an action (3-D Secure) succeeded: ActionSucceeded. Stripe sends it for every authorization,
//     including those that needed no action, so the handler acts on it only for an order that awaits
//     one.
//   - payment_intent.payment_failed: ActionFailed, with last_payment_error's decline_code or code.
//     Stripe sends it for a confirmation declined at once too (Authorize already saw the 402).
//   - refund.created: RefundedOutside, unless the refund carries metadata[source]=orion (Provider.Refund
//     sets it). refund.created rather than charge.refunded because a refund is what tells the two
//     apart: charge.refunded carries the Charge, whose refunds list is no longer included since API
//     version 2022-11-15, so neither the refund's id nor its metadata would be there. A refund that
//     later fails (refund.failed) is not followed.
//   - charge.dispute.created: Disputed, with the dispute's reason and id.
//
// The PaymentIntent events carry the intent with Orion's metadata[order_id]. A Refund made in the
// dashboard and a Dispute carry only the intent's id, so OrderOf reads the intent. An intent without
// metadata[order_id] is not Orion's (another integration on the account): not relevant.
func (w Webhook) translate(ctx context.Context, body []byte) (payment.ProviderEvent, bool, error) {
	var ev event
	if err := json.Unmarshal(body, &ev); err != nil {
		return payment.ProviderEvent{}, false, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if ev.Object != "event" || ev.ID == "" || ev.Type == "" || len(ev.Data.Object) == 0 || string(ev.Data.Object) == "null" {
		return payment.ProviderEvent{}, false, fmt.Errorf("%w: no event id, type or object", ErrMalformed)
	}
	out := payment.ProviderEvent{ID: ev.ID, At: time.Unix(ev.Created, 0).UTC()}
	var (
		orderID  string
		amount   int64
		currency string
	)
	switch ev.Type {
	case "payment_intent.amount_capturable_updated", "payment_intent.payment_failed":
		var pi paymentIntent
		if err := json.Unmarshal(ev.Data.Object, &pi); err != nil || pi.ID == "" {
			return payment.ProviderEvent{}, false, fmt.Errorf("%w: %s without a PaymentIntent", ErrMalformed, ev.Type)
		}
		out.AuthorizationID, orderID, currency = pi.ID, pi.Metadata[metaOrderID], pi.Currency
		if ev.Type == "payment_intent.payment_failed" {
			out.Kind, amount = payment.ActionFailed, pi.Amount
			if out.Code = pi.LastPaymentError.declineCode(); out.Code == "" {
				out.Code = "payment_failed"
			}
		} else {
			if pi.Status != "requires_capture" {
				return payment.ProviderEvent{}, false, nil
			}
			out.Kind, amount = payment.ActionSucceeded, pi.AmountCapturable
		}
	case "refund.created":
		var re refund
		if err := json.Unmarshal(ev.Data.Object, &re); err != nil || re.ID == "" {
			return payment.ProviderEvent{}, false, fmt.Errorf("%w: %s without a Refund", ErrMalformed, ev.Type)
		}
		if re.Metadata[metaSource] == sourceOrion {
			return payment.ProviderEvent{}, false, nil
		}
		out.Kind, out.Reference, out.AuthorizationID = payment.RefundedOutside, re.ID, string(re.PaymentIntent)
		orderID, amount, currency = re.Metadata[metaOrderID], re.Amount, re.Currency
	case "charge.dispute.created":
		var d dispute
		if err := json.Unmarshal(ev.Data.Object, &d); err != nil || d.ID == "" {
			return payment.ProviderEvent{}, false, fmt.Errorf("%w: %s without a Dispute", ErrMalformed, ev.Type)
		}
		out.Kind, out.Reference, out.Code, out.AuthorizationID = payment.Disputed, d.ID, d.Reason, string(d.PaymentIntent)
		amount, currency = d.Amount, d.Currency
	default:
		return payment.ProviderEvent{}, false, nil
	}
	if out.AuthorizationID == "" {
		return payment.ProviderEvent{}, false, nil // a charge without a PaymentIntent: not Orion's
	}
	if orderID == "" && (out.Kind == payment.RefundedOutside || out.Kind == payment.Disputed) {
		if w.OrderOf == nil {
			return payment.ProviderEvent{}, false, fmt.Errorf("stripe: webhook: %s %s names PaymentIntent %s only, and no OrderOf is set", ev.Type, ev.ID, out.AuthorizationID)
		}
		id, err := w.OrderOf(ctx, out.AuthorizationID)
		if err != nil {
			return payment.ProviderEvent{}, false, fmt.Errorf("stripe: webhook: the order of %s: %w", out.AuthorizationID, err)
		}
		orderID = id
	}
	if orderID == "" {
		return payment.ProviderEvent{}, false, nil
	}
	out.OrderID = orderID
	m, err := fromStripe(amount, currency)
	if err != nil {
		return payment.ProviderEvent{}, false, fmt.Errorf("%w: %s %s: %w", ErrMalformed, ev.Type, ev.ID, err)
	}
	out.Amount = m
	return out, true, nil
}
