package stripe

import (
	"encoding/json"
	"testing"

	"github.com/orion-oss/orion/internal/payment"
)

// A confirmed PaymentIntent, as https://docs.stripe.com/api/payment_intents/object shows one, with
// the fields that vary per case spliced in.
func intent(t *testing.T, status, extra string) paymentIntent {
	t.Helper()
	body := `{
	  "id": "pi_3MtwBwLkdIwHu7ix28a3tqPa", "object": "payment_intent", "amount": 2000, "amount_capturable": 2000,
	  "amount_received": 0, "capture_method": "manual", "confirmation_method": "automatic", "created": 1680800504,
	  "currency": "usd", "livemode": false, "metadata": {"order_id": "01JDQ7Z3M6X9V0YB2C4D5E6F7G"},
	  "payment_method": "pm_1MtwBwLkdIwHu7ixaj5m6bVU", "payment_method_types": ["card"],
	  "latest_charge": "ch_3MtwBwLkdIwHu7ix2XvsZ6Xj", "status": "` + status + `"` + extra + `}`
	var pi paymentIntent
	if err := json.Unmarshal([]byte(body), &pi); err != nil {
		t.Fatal(err)
	}
	return pi
}

// https://docs.stripe.com/payments/paymentintents/lifecycle: what each status after a manual-capture
// confirmation means to Orion.
func TestAuthorization(t *testing.T) {
	for _, c := range []struct {
		name     string
		status   string
		extra    string
		approved bool
		want     meaning
		code     string
		action   *payment.Action
	}{
		{name: "held", status: "requires_capture", approved: true, extra: `, "next_action": null, "last_payment_error": null`},
		{name: "3-D Secure redirect", status: "requires_action", approved: true, extra: `, "next_action": {"type": "redirect_to_url",
		   "redirect_to_url": {"return_url": "https://shop.example.com/orders/01JDQ7Z3M6X9V0YB2C4D5E6F7G",
		   "url": "https://hooks.stripe.com/3d_secure_2/hosted?merchant=acct_1M&payment_intent=pi_3MtwBwLkdIwHu7ix28a3tqPa"}}`,
			action: &payment.Action{Type: "redirect_to_url", RedirectURL: "https://hooks.stripe.com/3d_secure_2/hosted?merchant=acct_1M&payment_intent=pi_3MtwBwLkdIwHu7ix28a3tqPa"}},
		{name: "an action Orion cannot present (SDK-only)", status: "requires_action", want: misconfigured,
			extra: `, "next_action": {"type": "use_stripe_sdk", "use_stripe_sdk": {"type": "three_d_secure_redirect"}}`},
		{name: "an action for a voucher", status: "requires_action", want: misconfigured,
			extra: `, "next_action": {"type": "oxxo_display_details", "oxxo_display_details": {"number": "12345678901234657890123456789012"}}`},
		{name: "requires_action without next_action", status: "requires_action", want: misconfigured},
		{name: "declined with the issuer's reason", status: "requires_payment_method", want: declined, code: "do_not_honor",
			extra: `, "last_payment_error": {"code": "card_declined", "decline_code": "do_not_honor", "message": "Your card was declined.", "type": "card_error"}`},
		{name: "authentication failed", status: "requires_payment_method", want: declined, code: "payment_intent_authentication_failure",
			extra: `, "last_payment_error": {"code": "payment_intent_authentication_failure", "message": "We are unable to authenticate your payment method.", "type": "invalid_request_error"}`},
		{name: "no reason given", status: "requires_payment_method", want: declined, code: "requires_payment_method"},
		{name: "canceled", status: "canceled", want: declined, code: "canceled"},
		{name: "processing", status: "processing", want: unavailable},
		{name: "captured at once", status: "succeeded", want: misconfigured},
		{name: "not confirmed", status: "requires_confirmation", want: misconfigured},
	} {
		t.Run(c.name, func(t *testing.T) {
			auth, err := authorization(intent(t, c.status, c.extra))
			if c.approved {
				if err != nil || auth.ID != "pi_3MtwBwLkdIwHu7ix28a3tqPa" {
					t.Fatalf("got %+v, %v; want the intent's id", auth, err)
				}
				if (auth.Action == nil) != (c.action == nil) || (c.action != nil && *auth.Action != *c.action) {
					t.Fatalf("action %+v; want %+v", auth.Action, c.action)
				}
				return
			}
			if auth.ID != "" || auth.Action != nil {
				t.Fatalf("an authorization %+v with the error %v", auth, err)
			}
			c.want.check(t, err, c.code)
		})
	}
}
