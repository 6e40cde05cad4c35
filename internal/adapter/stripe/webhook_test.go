package stripe_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orion-oss/orion/internal/adapter/stripe"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/payment"
)

const secret = "whsec_test_5ZpCk3W0p8PZq1fE2Rz0Yz4y"

var now = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

// sign makes a Stripe-Signature header as Stripe does: t=<unix>,v1=hex(HMAC-SHA256(secret, "t.body")).
func sign(key string, t time.Time, body string) string {
	return "t=" + strconv.FormatInt(t.Unix(), 10) + ",v1=" + mac(key, t, body)
}

func mac(key string, t time.Time, body string) string {
	m := hmac.New(sha256.New, []byte(key))
	fmt.Fprintf(m, "%d.%s", t.Unix(), body)
	return hex.EncodeToString(m.Sum(nil))
}

func webhook(orderOf func(context.Context, string) (string, error)) stripe.Webhook {
	return stripe.Webhook{
		Secret:  func(context.Context) (string, error) { return secret, nil },
		Now:     func() time.Time { return now },
		OrderOf: orderOf,
	}
}

// envelope wraps an object in an event as https://docs.stripe.com/api/events/object shows one.
func envelope(id, typ, object string) string {
	return `{
  "id": "` + id + `",
  "object": "event",
  "api_version": "` + stripe.APIVersion + `",
  "created": 1795946400,
  "data": {"object": ` + object + `},
  "livemode": false,
  "pending_webhooks": 1,
  "request": {"id": null, "idempotency_key": null},
  "type": "` + typ + `"
}`
}

const orionIntent = `{
    "id": "pi_3MtwBwLkdIwHu7ix28a3tqPa", "object": "payment_intent", "amount": 2000, "amount_capturable": 2000,
    "amount_received": 0, "capture_method": "manual", "currency": "usd", "livemode": false,
    "metadata": {"order_id": "01JDQ7Z3M6X9V0YB2C4D5E6F7G"}, "next_action": null,
    "latest_charge": "ch_3MtwBwLkdIwHu7ix2XvsZ6Xj", "last_payment_error": null,
    "payment_method": "pm_1MtwBwLkdIwHu7ixaj5m6bVU", "status": "requires_capture"
  }`

const failedIntent = `{
    "id": "pi_3MtwBwLkdIwHu7ix28a3tqPa", "object": "payment_intent", "amount": 2000, "amount_capturable": 0,
    "capture_method": "manual", "currency": "usd", "livemode": false,
    "metadata": {"order_id": "01JDQ7Z3M6X9V0YB2C4D5E6F7G"}, "next_action": null,
    "last_payment_error": {"code": "card_declined", "decline_code": "insufficient_funds",
      "doc_url": "https://stripe.com/docs/error-codes/card-declined", "message": "Your card has insufficient funds.",
      "type": "card_error"},
    "status": "requires_payment_method"
  }`

const authFailedIntent = `{
    "id": "pi_3MtwBwLkdIwHu7ix28a3tqPa", "object": "payment_intent", "amount": 2000, "amount_capturable": 0,
    "currency": "usd", "metadata": {"order_id": "01JDQ7Z3M6X9V0YB2C4D5E6F7G"},
    "last_payment_error": {"code": "payment_intent_authentication_failure",
      "message": "The provided PaymentMethod has failed authentication.", "type": "invalid_request_error"},
    "status": "requires_payment_method"
  }`

const dashboardRefund = `{
    "id": "re_1Nispe2eZvKYlo2Cd31jOCgZ", "object": "refund", "amount": 1000, "balance_transaction": "txn_1Nispe2eZvKYlo2CYezqFhEx",
    "charge": "ch_3MtwBwLkdIwHu7ix2XvsZ6Xj", "created": 1692942318, "currency": "usd", "metadata": {},
    "payment_intent": "pi_3MtwBwLkdIwHu7ix28a3tqPa", "reason": "requested_by_customer", "receipt_number": null,
    "source_transfer_reversal": null, "status": "succeeded", "transfer_reversal": null
  }`

const orionRefund = `{
    "id": "re_1Nispe2eZvKYlo2COrion", "object": "refund", "amount": 2000, "charge": "ch_3MtwBwLkdIwHu7ix2XvsZ6Xj",
    "currency": "usd", "metadata": {"order_id": "01JDQ7Z3M6X9V0YB2C4D5E6F7G", "source": "orion"},
    "payment_intent": "pi_3MtwBwLkdIwHu7ix28a3tqPa", "status": "succeeded"
  }`

const chargeOnlyRefund = `{
    "id": "re_1NisCharge", "object": "refund", "amount": 1000, "charge": "ch_1NisLegacy", "currency": "usd",
    "metadata": {}, "payment_intent": null, "status": "succeeded"
  }`

const dispute = `{
    "id": "dp_1MtJUT2eZvKYlo2CNaw2HvEv", "object": "dispute", "amount": 2000, "balance_transactions": [],
    "charge": "ch_3MtwBwLkdIwHu7ix2XvsZ6Xj", "created": 1680651737, "currency": "usd",
    "evidence_details": {"due_by": 1681516799, "has_evidence": false, "past_due": false, "submission_count": 0},
    "is_charge_refundable": true, "livemode": false, "metadata": {},
    "payment_intent": "pi_3MtwBwLkdIwHu7ix28a3tqPa", "reason": "fraudulent", "status": "warning_needs_response"
  }`

const iskIntent = `{
    "id": "pi_3ISK", "object": "payment_intent", "amount": 50000, "amount_capturable": 50000, "currency": "isk",
    "metadata": {"order_id": "01JDQ7Z3M6X9V0YB2C4D5E6F7H"}, "status": "requires_capture"
  }`

func usd(t *testing.T, amount int64) money.Money {
	t.Helper()
	m, err := money.New(amount, "USD")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// The events Orion acts on, and some it does not, as Stripe sends them.
func TestParseTranslates(t *testing.T) {
	at := time.Unix(1795946400, 0).UTC()
	isk, _ := money.New(500, "ISK")
	lookups := 0
	orderOf := func(_ context.Context, pi string) (string, error) {
		lookups++
		switch pi {
		case "pi_3MtwBwLkdIwHu7ix28a3tqPa":
			return "01JDQ7Z3M6X9V0YB2C4D5E6F7G", nil
		case "pi_NotOrions":
			return "", nil
		}
		return "", errors.New("Stripe did not answer")
	}
	for _, c := range []struct {
		name     string
		body     string
		relevant bool
		want     payment.ProviderEvent
		lookup   bool // whether the order is read from the PaymentIntent
	}{
		{name: "hold after 3-D Secure", body: envelope("evt_1", "payment_intent.amount_capturable_updated", orionIntent), relevant: true,
			want: payment.ProviderEvent{ID: "evt_1", Kind: payment.ActionSucceeded, OrderID: "01JDQ7Z3M6X9V0YB2C4D5E6F7G",
				AuthorizationID: "pi_3MtwBwLkdIwHu7ix28a3tqPa", Amount: usd(t, 2000), At: at}},
		{name: "capturable amount in ISK, sent in hundredths", body: envelope("evt_isk", "payment_intent.amount_capturable_updated", iskIntent), relevant: true,
			want: payment.ProviderEvent{ID: "evt_isk", Kind: payment.ActionSucceeded, OrderID: "01JDQ7Z3M6X9V0YB2C4D5E6F7H",
				AuthorizationID: "pi_3ISK", Amount: isk, At: at}},
		{name: "capturable update of an intent no longer held",
			body: envelope("evt_2", "payment_intent.amount_capturable_updated", strings.Replace(orionIntent, `"requires_capture"`, `"canceled"`, 1))},
		{name: "hold on a payment Orion did not create",
			body: envelope("evt_3", "payment_intent.amount_capturable_updated", strings.Replace(orionIntent, `"order_id": "01JDQ7Z3M6X9V0YB2C4D5E6F7G"`, `"shop": "other"`, 1))},
		{name: "declined after the action", body: envelope("evt_4", "payment_intent.payment_failed", failedIntent), relevant: true,
			want: payment.ProviderEvent{ID: "evt_4", Kind: payment.ActionFailed, OrderID: "01JDQ7Z3M6X9V0YB2C4D5E6F7G",
				AuthorizationID: "pi_3MtwBwLkdIwHu7ix28a3tqPa", Amount: usd(t, 2000), Code: "insufficient_funds", At: at}},
		{name: "authentication failed", body: envelope("evt_5", "payment_intent.payment_failed", authFailedIntent), relevant: true,
			want: payment.ProviderEvent{ID: "evt_5", Kind: payment.ActionFailed, OrderID: "01JDQ7Z3M6X9V0YB2C4D5E6F7G",
				AuthorizationID: "pi_3MtwBwLkdIwHu7ix28a3tqPa", Amount: usd(t, 2000), Code: "payment_intent_authentication_failure", At: at}},
		{name: "refund from the dashboard", body: envelope("evt_6", "refund.created", dashboardRefund), relevant: true, lookup: true,
			want: payment.ProviderEvent{ID: "evt_6", Kind: payment.RefundedOutside, OrderID: "01JDQ7Z3M6X9V0YB2C4D5E6F7G",
				AuthorizationID: "pi_3MtwBwLkdIwHu7ix28a3tqPa", Amount: usd(t, 1000), Reference: "re_1Nispe2eZvKYlo2Cd31jOCgZ", At: at}},
		{name: "Orion's own refund", body: envelope("evt_7", "refund.created", orionRefund)},
		{name: "refund of a charge without a PaymentIntent", body: envelope("evt_8", "refund.created", chargeOnlyRefund)},
		{name: "refund of an intent Orion did not create", lookup: true,
			body: envelope("evt_9", "refund.created", strings.Replace(dashboardRefund, "pi_3MtwBwLkdIwHu7ix28a3tqPa", "pi_NotOrions", 1))},
		{name: "dispute", body: envelope("evt_10", "charge.dispute.created", dispute), relevant: true, lookup: true,
			want: payment.ProviderEvent{ID: "evt_10", Kind: payment.Disputed, OrderID: "01JDQ7Z3M6X9V0YB2C4D5E6F7G",
				AuthorizationID: "pi_3MtwBwLkdIwHu7ix28a3tqPa", Amount: usd(t, 2000), Code: "fraudulent", Reference: "dp_1MtJUT2eZvKYlo2CNaw2HvEv", At: at}},
		{name: "charge.refunded is not the refund event Orion reads",
			body: envelope("evt_11", "charge.refunded", `{"id": "ch_3MtwBwLkdIwHu7ix2XvsZ6Xj", "object": "charge", "amount_refunded": 1000, "payment_intent": "pi_3MtwBwLkdIwHu7ix28a3tqPa"}`)},
		{name: "another type", body: envelope("evt_12", "customer.created", `{"id": "cus_NffrFeUfNV2Hib", "object": "customer"}`)},
	} {
		t.Run(c.name, func(t *testing.T) {
			lookups = 0
			ev, relevant, err := webhook(orderOf).Parse(context.Background(), []byte(c.body), sign(secret, now, c.body))
			if err != nil || relevant != c.relevant || ev != c.want {
				t.Fatalf("got %+v, %v, %v;\nwant %+v, %v", ev, relevant, err, c.want, c.relevant)
			}
			if (lookups > 0) != c.lookup {
				t.Fatalf("%d order lookups; want a lookup %v", lookups, c.lookup)
			}
		})
	}
}

// An event naming a PaymentIntent only cannot be placed without OrderOf, or while it fails: an error
// that is neither ErrSignature nor ErrMalformed, so the endpoint answers 500 and Stripe delivers the
// event again.
func TestParseNeedsTheOrderLookup(t *testing.T) {
	body := envelope("evt_6", "refund.created", dashboardRefund)
	for name, w := range map[string]stripe.Webhook{
		"no OrderOf": webhook(nil),
		"OrderOf fails": webhook(func(context.Context, string) (string, error) {
			return "", payment.ErrUnavailable
		}),
	} {
		_, relevant, err := w.Parse(context.Background(), []byte(body), sign(secret, now, body))
		if err == nil || relevant || errors.Is(err, stripe.ErrSignature) || errors.Is(err, stripe.ErrMalformed) {
			t.Errorf("%s: %v, %v; want a plain error", name, relevant, err)
		}
	}
}

// https://docs.stripe.com/webhooks#verify-manually: what passes and what is refused.
func TestParseVerifiesTheSignature(t *testing.T) {
	body := envelope("evt_1", "payment_intent.amount_capturable_updated", orionIntent)
	good := mac(secret, now, body)
	ts := strconv.FormatInt(now.Unix(), 10)
	for _, c := range []struct {
		name   string
		header string
		body   string // "" means body
		tol    time.Duration
		ok     bool
	}{
		{name: "signed", header: sign(secret, now, body), ok: true},
		{name: "rolling secret: one of two v1 matches, v0 ignored",
			header: "t=" + ts + ",v1=" + mac("whsec_old", now, body) + ",v1=" + good + ",v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39", ok: true},
		{name: "signed 5 minutes ago", header: sign(secret, now.Add(-5*time.Minute), body), ok: true},
		{name: "no header", header: ""},
		{name: "only a v0 signature", header: "t=" + ts + ",v0=" + good},
		{name: "no timestamp", header: "v1=" + good},
		{name: "a timestamp that is not a number", header: "t=yesterday,v1=" + good},
		{name: "signature not hex", header: "t=" + ts + ",v1=zz" + good[2:]},
		{name: "another secret", header: sign("whsec_attacker", now, body)},
		{name: "body changed after signing", header: sign(secret, now, body), body: strings.Replace(body, "2000", "1", 1)},
		{name: "timestamp changed after signing", header: "t=" + strconv.FormatInt(now.Unix()-1, 10) + ",v1=" + good},
		{name: "replayed 5 minutes and a second later", header: sign(secret, now.Add(-5*time.Minute-time.Second), body)},
		{name: "stamped in the future", header: sign(secret, now.Add(6*time.Minute), body)},
		{name: "tighter tolerance", header: sign(secret, now.Add(-30*time.Second), body), tol: 10 * time.Second},
		{name: "a forged signature on a body that is not an event", header: sign("whsec_attacker", now, "nope"), body: "nope"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := webhook(nil)
			w.Tolerance = c.tol
			b := body
			if c.body != "" {
				b = c.body
			}
			_, relevant, err := w.Parse(context.Background(), []byte(b), c.header)
			if c.ok {
				if err != nil || !relevant {
					t.Fatalf("%v, %v; want the event", relevant, err)
				}
				return
			}
			if !errors.Is(err, stripe.ErrSignature) || relevant {
				t.Fatalf("%v, %v; want ErrSignature", relevant, err)
			}
		})
	}
}

// A signed body that is not a Stripe event is ErrMalformed; a secret that cannot be read is neither
// sentinel (500).
func TestParseRefusesMalformedBodies(t *testing.T) {
	for _, c := range []struct{ name, body string }{
		{"not JSON", `evt_1`},
		{"a JSON array", `[]`},
		{"not an event", `{"id": "pi_1", "object": "payment_intent", "type": "x", "data": {"object": {}}}`},
		{"no id", `{"object": "event", "type": "payment_intent.payment_failed", "data": {"object": {}}}`},
		{"no object", `{"id": "evt_1", "object": "event", "type": "payment_intent.payment_failed", "data": {}}`},
		{"an intent that is not an object", envelope("evt_1", "payment_intent.payment_failed", `"pi_1"`)},
		{"a dispute without an id", envelope("evt_1", "charge.dispute.created", `{"object": "dispute", "payment_intent": "pi_1"}`)},
		{"a currency Orion does not take", envelope("evt_1", "payment_intent.amount_capturable_updated", strings.Replace(orionIntent, `"usd"`, `"huf"`, 1))},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, relevant, err := webhook(nil).Parse(context.Background(), []byte(c.body), sign(secret, now, c.body))
			if !errors.Is(err, stripe.ErrMalformed) || relevant {
				t.Fatalf("%v, %v; want ErrMalformed", relevant, err)
			}
		})
	}
	w := webhook(nil)
	w.Secret = func(context.Context) (string, error) {
		return "", errors.New("ssm: reading /orion/stripe/webhook-secret: throttled")
	}
	body := envelope("evt_1", "payment_intent.amount_capturable_updated", orionIntent)
	if _, _, err := w.Parse(context.Background(), []byte(body), sign(secret, now, body)); err == nil ||
		errors.Is(err, stripe.ErrSignature) || errors.Is(err, stripe.ErrMalformed) {
		t.Fatalf("unreadable secret: %v; want a plain error", err)
	}
}
