package e2e

// POST /webhooks/stripe as Stripe calls it, and as a forger would: the request is signed with the
// endpoint's secret, which the test reads where the functions read it, the stack's SecureString
// parameter (output StripeWebhookSecretParameterName). Stripe signs HMAC-SHA256(secret, "<t>.<body>")
// and sends "t=<unix seconds>,v1=<hex>" (docs.stripe.com/webhooks#verify-manually).
// The events that resolve a payment action are the ones Stripe sends after 3-D Secure; the sandbox's
// tok_3ds makes an order wait for one.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
)

var webhook struct {
	once   sync.Once
	secret string
	err    error
}

// webhookSecret is the stack's signing secret. A local stack gets one if it has none (the in-process
// runtime starts the template as a fresh deploy would, without `make dev`'s seeding); a stack on AWS
// must have its operator's (docs/deploy.md), or the tests skip: a test never writes a secret Stripe
// would not know.
func webhookSecret(t *testing.T) string {
	t.Helper()
	webhook.once.Do(func() {
		name := output("StripeWebhookSecretParameterName")
		if name == "" {
			webhook.err = errors.New("the stack has no StripeWebhookSecretParameterName output")
			return
		}
		ctx := context.Background()
		c := ssm.NewFromConfig(awsConfig(t))
		if sys.emulated {
			_, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Type: ssmtypes.ParameterTypeSecureString,
				Value: aws.String("whsec_e2e_" + awstest.Name(t, "secret"))})
			if err != nil && !errors.As(err, new(*ssmtypes.ParameterAlreadyExists)) {
				webhook.err = err
				return
			}
		}
		out, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
		if err != nil {
			webhook.err = fmt.Errorf("read %s: %w", name, err)
			return
		}
		webhook.secret = aws.ToString(out.Parameter.Value)
	})
	if errors.As(webhook.err, new(*ssmtypes.ParameterNotFound)) && !sys.emulated {
		t.Skipf("the stack's webhook signing secret is not created yet (docs/deploy.md): %v", webhook.err)
	}
	if webhook.err != nil {
		t.Fatal(webhook.err)
	}
	runLog.forbid(webhook.secret, "the Stripe webhook signing secret")
	return webhook.secret
}

// stripeSignature is the Stripe-Signature header of body signed with secret at the time at.
func stripeSignature(secret string, at time.Time, body []byte) string {
	ts := fmt.Sprint(at.Unix())
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// stripeEvent is a Stripe Event envelope around object (docs.stripe.com/api/events/object).
func stripeEvent(t *testing.T, id, typ string, object map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"id": id, "object": "event", "api_version": "2026-08-26.dahlia", "type": typ,
		"created": time.Now().Unix(), "livemode": false, "pending_webhooks": 1,
		"request": map[string]any{"id": nil, "idempotency_key": nil}, "data": map[string]any{"object": object}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// postWebhook sends one delivery as Stripe does (application/json; charset=utf-8, the signature
// header when there is one) and checks the answer against the contract.
func postWebhook(t *testing.T, body []byte, signature, contentType string) reply {
	t.Helper()
	req, err := http.NewRequest("POST", sys.api+"/webhooks/stripe", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
	if signature != "" {
		req.Header.Set("Stripe-Signature", signature)
	}
	return send(t, req, "POST", "/webhooks/stripe")
}

const stripeJSON = "application/json; charset=utf-8"

// An unsigned, forged, stale or malformed delivery is refused with one problem that says nothing of
// which check failed, and changes nothing: the order it names is as it was, and no event of it reaches
// the bus. The event is one that would matter if it were believed: a dispute of a confirmed order's
// payment, then Stripe's word that an intent's hold exists.
func TestStripeWebhookRefusesWhatStripeDidNotSend(t *testing.T) {
	secret := webhookSecret(t)
	tok := customerToken(t)
	id := order1(t, tok, stockItem(t, 5), 1, "tok_visa")
	before := settle(t, tok, id)
	expectOutcome(t, before, "CONFIRMED", "")
	// The bus reaches the test later than the order's status (in external mode, through the tap's queue).
	deadline := time.Now().Add(slack(5 * time.Second))
	for !slices.Contains(bus.types(id), "OrderConfirmed") {
		if time.Now().After(deadline) {
			t.Fatalf("no OrderConfirmed on the bus: %v", bus.types(id))
		}
		time.Sleep(50 * time.Millisecond)
	}
	events := bus.types(id)

	intent := map[string]any{"id": "pi_e2e_forged", "object": "payment_intent", "status": "requires_capture", "capture_method": "manual",
		"amount": 1250, "amount_capturable": 1250, "currency": "usd", "metadata": map[string]any{"order_id": id}}
	dispute := map[string]any{"id": "dp_e2e_forged", "object": "dispute", "amount": 1250, "currency": "usd", "reason": "fraudulent",
		"status": "needs_response", "payment_intent": "pi_e2e_forged", "charge": "ch_e2e_forged"}
	disputed := stripeEvent(t, "evt_"+awstest.Name(t, "dispute"), "charge.dispute.created", dispute)
	capturable := stripeEvent(t, "evt_"+awstest.Name(t, "capturable"), "payment_intent.amount_capturable_updated", intent)
	now := time.Now()
	for _, tc := range []struct {
		name      string
		body      []byte
		signature string
	}{
		{"unsigned", disputed, ""},
		{"signed with another secret", disputed, stripeSignature("whsec_not_the_endpoints", now, disputed)},
		{"signature of another body", capturable, stripeSignature(secret, now, disputed)},
		{"body changed after signing", bytes.Replace(capturable, []byte(`"usd"`), []byte(`"eur"`), 1), stripeSignature(secret, now, capturable)},
		{"signed ten minutes ago (a replay)", capturable, stripeSignature(secret, now.Add(-10*time.Minute), capturable)},
		{"signed ten minutes ahead", capturable, stripeSignature(secret, now.Add(10*time.Minute), capturable)},
		{"no v1 signature", capturable, fmt.Sprintf("t=%d,v0=%s", now.Unix(), strings.Repeat("0", 64))},
		{"signed, but not JSON", []byte(`{"id":"evt_x","object":`), stripeSignature(secret, now, []byte(`{"id":"evt_x","object":`))},
		{"signed, but not an event", []byte(`{"hello":"stripe"}`), stripeSignature(secret, now, []byte(`{"hello":"stripe"}`))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := postWebhook(t, tc.body, tc.signature, stripeJSON)
			problemOf(t, r, 400)
			if !strings.HasSuffix(r.json(t)["type"].(string), "/invalid-event") {
				t.Errorf("problem %s; want type .../invalid-event", r.body)
			}
			for _, internal := range []string{"stripe:", "v1", "tolerance", "secret", "whsec"} {
				if strings.Contains(string(r.body), internal) {
					t.Errorf("the answer tells %q: %s", internal, r.body)
				}
			}
		})
	}
	time.Sleep(slack(500 * time.Millisecond)) // what a believed event would have put on the bus
	if after := do(t, "GET", "/orders/"+id, tok, "").json(t); !reflect.DeepEqual(after, before) {
		t.Errorf("the order changed:\nbefore %v\n after %v", before, after)
	}
	if got := bus.types(id); !slices.Equal(got, events) {
		t.Errorf("events of the order: %v, then %v", events, got)
	}
}

// A validly signed event Orion does not act on is acknowledged (200), or Stripe would retry it for
// three days; so is one whose body API Gateway passed on base64-encoded.
func TestStripeWebhookAcknowledgesAnIrrelevantEvent(t *testing.T) {
	secret := webhookSecret(t)
	body := stripeEvent(t, "evt_"+awstest.Name(t, "customer"), "customer.created",
		map[string]any{"id": "cus_e2e", "object": "customer", "email": nil, "metadata": map[string]any{}})
	for _, contentType := range []string{stripeJSON, "application/octet-stream"} { // the latter arrives base64-encoded
		r := postWebhook(t, body, stripeSignature(secret, time.Now(), body), contentType)
		if r.status != 200 || string(r.body) != `{"received":true}` {
			t.Fatalf("%s: %d %s; want 200 {\"received\":true}", contentType, r.status, r.body)
		}
	}
}

// A body over the limit every endpoint has is refused before it is read.
func TestStripeWebhookRefusesAnOversizedBody(t *testing.T) {
	secret := webhookSecret(t)
	body := stripeEvent(t, "evt_"+awstest.Name(t, "big"), "customer.created",
		map[string]any{"id": "cus_e2e", "object": "customer", "description": strings.Repeat("x", 70<<10)})
	problemOf(t, postWebhook(t, body, stripeSignature(secret, time.Now(), body), stripeJSON), 413)
}

// capturable is Stripe's word that the hold of the order's intent exists after the customer's action
// (payment_intent.amount_capturable_updated, status requires_capture).
func capturable(t *testing.T, eventID, orderID, intentID string, total map[string]any) []byte {
	t.Helper()
	amount := total["amount"]
	return stripeEvent(t, eventID, "payment_intent.amount_capturable_updated", map[string]any{
		"id": intentID, "object": "payment_intent", "status": "requires_capture", "capture_method": "manual",
		"amount": amount, "amount_capturable": amount, "currency": strings.ToLower(total["currency"].(string)),
		"metadata": map[string]any{"order_id": orderID}})
}

// awaitingAction places a tok_3ds order and waits until it awaits the customer's action, returning the
// order and its authorization (the intent Stripe's events name).
func awaitingAction(t *testing.T, tok string) (id, intent string, order map[string]any) {
	t.Helper()
	id = order1(t, tok, stockItem(t, 5), 1, "tok_3ds")
	deadline := time.Now().Add(slack(10 * time.Second))
	for {
		ev, ok := bus.first(id, "PaymentActionRequired")
		if ok {
			var d struct {
				Data struct {
					AuthorizationID string `json:"authorizationId"`
				} `json:"data"`
			}
			if err := json.Unmarshal(ev.Detail, &d); err != nil || d.Data.AuthorizationID == "" {
				t.Fatalf("PaymentActionRequired without an authorizationId: %s", ev.Detail)
			}
			return id, d.Data.AuthorizationID, do(t, "GET", "/orders/"+id, tok, "").json(t)
		}
		if time.Now().After(deadline) {
			t.Fatalf("order %s: no PaymentActionRequired within the wait; events %v", id, bus.types(id))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stripe's word that the action succeeded confirms the order waiting for it, once: a forged or replayed
// copy before it changes nothing, and the same event delivered twice is applied once.
func TestStripeWebhookCompletesAPaymentActionOnce(t *testing.T) {
	secret := webhookSecret(t)
	tok := customerToken(t)
	id, intent, waiting := awaitingAction(t, tok)
	body := capturable(t, "evt_"+awstest.Name(t, "ok"), id, intent, waiting["total"].(map[string]any))

	for _, sig := range []string{stripeSignature("whsec_forger", time.Now(), body), stripeSignature(secret, time.Now().Add(-time.Hour), body)} {
		problemOf(t, postWebhook(t, body, sig, stripeJSON), 400)
	}
	time.Sleep(slack(500 * time.Millisecond))
	if o := do(t, "GET", "/orders/"+id, tok, "").json(t); o["status"] != waiting["status"] {
		t.Fatalf("a refused event moved the order: %v -> %v", waiting["status"], o["status"])
	}
	for i := range 2 { // Stripe delivers at least once; each delivery is signed anew
		if r := postWebhook(t, body, stripeSignature(secret, time.Now(), body), stripeJSON); r.status != 200 {
			t.Fatalf("delivery %d: %d %s", i+1, r.status, r.body)
		}
	}
	expectOutcome(t, settle(t, tok, id), "CONFIRMED", "")
	// The order is read from its table; its events reach the bus through the outbox's Pipes, later and
	// in no set order (a stream orders records per item only): wait for the one, then leave a
	// duplicate the time to arrive.
	eventually(t, "PaymentAuthorized on the bus", func() bool { return countOf(bus.types(id), "PaymentAuthorized") > 0 })
	time.Sleep(slack(500 * time.Millisecond))
	if n := countOf(bus.types(id), "PaymentAuthorized"); n != 1 {
		t.Fatalf("%d PaymentAuthorized events; want 1: %v", n, bus.types(id))
	}
}

// Stripe's word that the action failed rejects the order PAYMENT_DECLINED and gives its stock back.
func TestStripeWebhookDeclinesAFailedPaymentAction(t *testing.T) {
	secret := webhookSecret(t)
	tok := customerToken(t)
	id, intent, waiting := awaitingAction(t, tok)
	total := waiting["total"].(map[string]any)
	body := stripeEvent(t, "evt_"+awstest.Name(t, "failed"), "payment_intent.payment_failed", map[string]any{
		"id": intent, "object": "payment_intent", "status": "requires_payment_method", "capture_method": "manual",
		"amount": total["amount"], "currency": strings.ToLower(total["currency"].(string)), "metadata": map[string]any{"order_id": id},
		"last_payment_error": map[string]any{"type": "card_error", "code": "card_declined", "decline_code": "authentication_required"}})
	if r := postWebhook(t, body, stripeSignature(secret, time.Now(), body), stripeJSON); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	expectOutcome(t, settle(t, tok, id), "REJECTED", "PAYMENT_DECLINED")
}

// An event of a payment whose order Orion does not have (another integration on the same Stripe
// account, or an order of another stack) is acknowledged: a retry would find no order either.
func TestStripeWebhookAcknowledgesAnUnknownOrder(t *testing.T) {
	secret := webhookSecret(t)
	body := capturable(t, "evt_"+awstest.Name(t, "stranger"), "01J0000000000000000000000Z", "pi_e2e_stranger",
		map[string]any{"amount": 1250, "currency": "USD"})
	if r := postWebhook(t, body, stripeSignature(secret, time.Now(), body), stripeJSON); r.status != 200 {
		t.Fatalf("%d %s; want 200", r.status, r.body)
	}
}

func countOf(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}
