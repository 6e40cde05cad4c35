package stripe

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/orion-oss/orion/internal/payment"
)

// What an error means to Orion.
type meaning int

const (
	unavailable meaning = iota
	misconfigured
	declined
	success // only where an operation turns the error into success (Void)
)

func (m meaning) check(t *testing.T, err error, code string) {
	t.Helper()
	var d *payment.DeclinedError
	switch m {
	case unavailable:
		if !errors.Is(err, payment.ErrUnavailable) || errors.Is(err, payment.ErrMisconfigured) || errors.As(err, &d) {
			t.Fatalf("%v: want ErrUnavailable only", err)
		}
	case misconfigured:
		if !errors.Is(err, payment.ErrMisconfigured) || errors.Is(err, payment.ErrUnavailable) || errors.As(err, &d) {
			t.Fatalf("%v: want ErrMisconfigured only", err)
		}
	case declined:
		if !errors.As(err, &d) || d.Code != code || !errors.Is(err, payment.ErrDeclined) {
			t.Fatalf("%v: want a decline %q", err, code)
		}
	case success:
		if err != nil {
			t.Fatalf("%v: want success", err)
		}
	}
}

// Error bodies as Stripe documents them (https://docs.stripe.com/api/errors,
// https://docs.stripe.com/error-codes, https://docs.stripe.com/declines/codes), with the status each
// comes with. op names the operation whose narrowing applies ("" for the plain mapping).
var errorCases = []struct {
	name   string
	op     string
	status int
	header http.Header
	body   string
	want   meaning
	code   string
}{
	{name: "card declined, insufficient funds", status: 402, want: declined, code: "insufficient_funds", body: `{
	  "error": {
	    "charge": "ch_3MmlLrLkdIwHu7ix0snN0B15",
	    "code": "card_declined",
	    "decline_code": "insufficient_funds",
	    "doc_url": "https://stripe.com/docs/error-codes/card-declined",
	    "message": "Your card has insufficient funds.",
	    "payment_intent": {"id": "pi_3MmlLrLkdIwHu7ix0uke3Ezy", "object": "payment_intent", "status": "requires_payment_method"},
	    "request_log_url": "https://dashboard.stripe.com/test/logs/req_1NY0ZcLkdIwHu7ix?t=1690000000",
	    "type": "card_error"
	  }
	}`},
	{name: "card error without a decline_code (expired card)", status: 402, want: declined, code: "expired_card", body: `{
	  "error": {"code": "expired_card", "doc_url": "https://stripe.com/docs/error-codes/expired-card",
	    "message": "Your card has expired.", "param": "exp_month", "type": "card_error"}
	}`},
	{name: "3-D Secure required off-session", status: 402, want: declined, code: "authentication_required", body: `{
	  "error": {"code": "card_declined", "decline_code": "authentication_required",
	    "message": "Your card was declined. This transaction requires authentication.", "type": "card_error"}
	}`},
	{name: "invalid API key", status: 401, want: misconfigured, body: `{
	  "error": {"message": "Invalid API Key provided: sk_test_********************1234", "type": "invalid_request_error"}
	}`},
	{name: "legacy authentication_error type", status: 401, want: misconfigured, body: `{
	  "error": {"message": "You did not provide an API key.", "type": "authentication_error"}
	}`},
	{name: "restricted key without the permission", status: 403, want: misconfigured, body: `{
	  "error": {"message": "The provided key 'rk_test_51H***' does not have the required permissions for this endpoint on account 'acct_1Gq'.",
	    "type": "invalid_request_error"}
	}`},
	{name: "legacy permission_error type", status: 403, want: misconfigured, body: `{"error": {"message": "forbidden", "type": "permission_error"}}`},
	{name: "unknown PaymentIntent", status: 404, want: misconfigured, body: `{
	  "error": {"code": "resource_missing", "doc_url": "https://stripe.com/docs/error-codes/resource-missing",
	    "message": "No such payment_intent: 'pi_123'", "param": "intent", "type": "invalid_request_error"}
	}`},
	{name: "a parameter Stripe refuses", status: 400, want: misconfigured, body: `{
	  "error": {"code": "parameter_invalid_integer", "message": "Invalid integer: 10.5", "param": "amount", "type": "invalid_request_error"}
	}`},
	{name: "idempotency key reused with other parameters", status: 400, want: misconfigured, body: `{
	  "error": {"message": "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than 'orion-01J-authorize' if you meant to execute a different request.",
	    "type": "idempotency_error"}
	}`},
	{name: "the same idempotency key still in flight", status: 409, want: unavailable, body: `{
	  "error": {"code": "idempotency_key_in_use", "message": "There is currently another in-progress request using this Stripe API key and idempotency key. Please try again later.",
	    "type": "invalid_request_error"}
	}`},
	{name: "object locked by another request", status: 429, want: unavailable, body: `{
	  "error": {"code": "lock_timeout", "message": "This object cannot be accessed right now because another API request or Stripe process is currently accessing it.",
	    "type": "invalid_request_error"}
	}`},
	{name: "rate limited", status: 429, want: unavailable, body: `{
	  "error": {"code": "rate_limit", "message": "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.",
	    "type": "invalid_request_error"}
	}`},
	{name: "Stripe's servers", status: 500, want: unavailable, body: `{"error": {"message": "An unknown error occurred", "type": "api_error"}}`},
	{name: "a gateway's page instead of Stripe's", status: 502, want: unavailable, body: `<html><body>502 Bad Gateway</body></html>`},
	{name: "a dependency outside Stripe", status: 424, want: unavailable, body: `{"error": {"message": "External dependency failed", "type": "api_error"}}`},
	{name: "Stripe-Should-Retry says so", status: 409, header: http.Header{"Stripe-Should-Retry": {"true"}}, want: unavailable,
		body: `{"error": {"message": "conflict", "type": "invalid_request_error"}}`},
	{name: "a 404 from something that is not Stripe (a wrong base URL)", status: 404, want: misconfigured, body: `404 page not found`},

	// Authorize: the order's total is outside Stripe's limits.
	{name: "authorize: amount below Stripe's minimum", op: "authorize", status: 400, want: declined, code: "amount_too_small", body: `{
	  "error": {"code": "amount_too_small", "doc_url": "https://stripe.com/docs/error-codes/amount-too-small",
	    "message": "Amount must be at least $0.50 usd", "param": "amount", "type": "invalid_request_error"}
	}`},
	// Authorize: a payment method Stripe refuses is the customer's input (any customer could send
	// pm_x), a decline like the sandbox's invalid_token, never a page.
	{name: "authorize: an unknown payment method", op: "authorize", status: 400, want: declined, code: "invalid_payment_method", body: `{
	  "error": {"code": "resource_missing", "doc_url": "https://stripe.com/docs/error-codes/resource-missing",
	    "message": "No such PaymentMethod: 'pm_1Secret'", "param": "payment_method", "type": "invalid_request_error"}
	}`},
	{name: "authorize: a payment method used once already", op: "authorize", status: 400, want: declined, code: "invalid_payment_method", body: `{
	  "error": {"message": "The provided PaymentMethod was previously used with a PaymentIntent without Customer attachment, shared with a connected account without Customer attachment, or was detached from a Customer. It may not be used again. To use a PaymentMethod multiple times, you must attach it to a Customer first.",
	    "param": "payment_method", "type": "invalid_request_error"}
	}`},
	{name: "authorize: a payment method of a type the intent does not take", op: "authorize", status: 400, want: declined, code: "invalid_payment_method", body: `{
	  "error": {"code": "payment_intent_incompatible_payment_method", "doc_url": "https://stripe.com/docs/error-codes/payment-intent-incompatible-payment-method",
	    "message": "The PaymentIntent expected a payment method with different properties than what was provided.",
	    "param": "payment_method", "type": "invalid_request_error"}
	}`},
	{name: "authorize: a payment method that cannot be used now", op: "authorize", status: 400, want: declined, code: "invalid_payment_method", body: `{
	  "error": {"code": "payment_method_unexpected_state", "doc_url": "https://stripe.com/docs/error-codes/payment-method-unexpected-state",
	    "message": "The PaymentMethod's state was incompatible with the operation you were trying to perform.", "param": "payment_method", "type": "invalid_request_error"}
	}`},
	// ... but Orion's own setup still pages: the key, and every other parameter.
	{name: "authorize: invalid API key stays configuration", op: "authorize", status: 401, want: misconfigured, body: `{
	  "error": {"message": "Invalid API Key provided: sk_test_********************1234", "type": "invalid_request_error"}
	}`},
	{name: "authorize: card not activated on the account stays configuration", op: "authorize", status: 400, want: misconfigured, body: `{
	  "error": {"message": "The payment method type provided: card is invalid. Please ensure the provided type is activated in your dashboard (https://dashboard.stripe.com/account/payments/settings) and your account is enabled for any preview features that you are trying to use.",
	    "param": "payment_method_types", "type": "invalid_request_error"}
	}`},
	{name: "authorize: a return_url Stripe refuses stays configuration", op: "authorize", status: 400, want: misconfigured, body: `{
	  "error": {"code": "url_invalid", "message": "Not a valid URL", "param": "return_url", "type": "invalid_request_error"}
	}`},
	{name: "authorize: the payment method's lock is an outage", op: "authorize", status: 429, want: unavailable, body: `{
	  "error": {"code": "lock_timeout", "message": "This object cannot be accessed right now because another API request or Stripe process is currently accessing it.",
	    "param": "payment_method", "type": "invalid_request_error"}
	}`},
	// Capture: the payment's state, not Orion's setup.
	{name: "capture: authorization expired", op: "capture", status: 400, want: declined, code: "charge_expired_for_capture", body: `{
	  "error": {"code": "charge_expired_for_capture", "message": "This charge has expired and can no longer be captured.", "type": "invalid_request_error"}
	}`},
	{name: "capture: intent canceled meanwhile", op: "capture", status: 400, want: declined, code: "payment_intent_unexpected_state", body: `{
	  "error": {"code": "payment_intent_unexpected_state",
	    "message": "This PaymentIntent could not be captured because it has a status of canceled. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.",
	    "payment_intent": {"id": "pi_3MtwBwLkdIwHu7ix28a3tqPa", "object": "payment_intent", "status": "canceled"},
	    "type": "invalid_request_error"}
	}`},
	{name: "capture: more than the hold is configuration", op: "capture", status: 400, want: misconfigured, body: `{
	  "error": {"code": "amount_too_large", "message": "The amount to capture is larger than the amount capturable.", "param": "amount_to_capture", "type": "invalid_request_error"}
	}`},
	// Void: an intent already canceled is a void done.
	{name: "void: already canceled", op: "void", status: 400, want: success, body: `{
	  "error": {"code": "payment_intent_unexpected_state",
	    "message": "You cannot cancel this PaymentIntent because it has a status of canceled. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.",
	    "payment_intent": {"id": "pi_3MtwBwLkdIwHu7ix28a3tqPa", "object": "payment_intent", "status": "canceled"},
	    "type": "invalid_request_error"}
	}`},
	// (A captured intent's refusal is no success by itself: Void reads the intent and refunds it,
	// TestVoidOfACapturedIntent.)
	{name: "void: the refusal of a captured intent stands until the intent is read", op: "void", status: 400, want: misconfigured, body: `{
	  "error": {"code": "payment_intent_unexpected_state",
	    "message": "You cannot cancel this PaymentIntent because it has a status of succeeded.",
	    "payment_intent": {"id": "pi_3MtwBwLkdIwHu7ix28a3tqPa", "object": "payment_intent", "status": "succeeded"},
	    "type": "invalid_request_error"}
	}`},
	{name: "void: rate limited", op: "void", status: 429, want: unavailable, body: `{"error": {"code": "rate_limit", "message": "slow down", "type": "invalid_request_error"}}`},
	// Refund: refunded from the dashboard first.
	{name: "refund: already refunded", op: "refund", status: 400, want: declined, code: "charge_already_refunded", body: `{
	  "error": {"code": "charge_already_refunded", "message": "Charge ch_3MmlLrLkdIwHu7ix0snN0B15 has already been refunded.", "type": "invalid_request_error"}
	}`},
	// Refund: a charge under dispute is the dispute's to settle.
	{name: "refund: disputed", op: "refund", status: 400, want: declined, code: "charge_disputed", body: `{
	  "error": {"code": "charge_disputed", "doc_url": "https://stripe.com/docs/error-codes/charge-disputed",
	    "message": "Charge ch_3MmlLrLkdIwHu7ix0snN0B15 has been charged back; cannot issue a refund.", "type": "invalid_request_error"}
	}`},
	// Refund: more than the charge has left is no decline by itself: Refund reads the charge and
	// refunds the rest (TestRefundAfterARefundOutsideOrion, and TestRefusedRefundAmount below).
	{name: "refund: more than the charge has left", op: "refund", status: 400, want: misconfigured, body: `{
	  "error": {"message": "Refund amount ($20.00) is greater than unrefunded amount on charge ($15.00)", "param": "amount", "type": "invalid_request_error"}
	}`},
}

func TestErrorMapping(t *testing.T) {
	narrow := map[string]func(error) error{"": func(err error) error { return err },
		"authorize": authorizeFailed, "capture": captureFailed, "void": voidFailed, "refund": refundFailed}
	for _, c := range errorCases {
		t.Run(c.name, func(t *testing.T) {
			h := http.Header{"Request-Id": {"req_1NY0ZcLkdIwHu7ix"}}
			for k, v := range c.header {
				h[k] = v
			}
			var err error = classify(c.status, h, []byte(c.body))
			err = narrow[c.op](err)
			c.want.check(t, err, c.code)
			if err != nil && !strings.Contains(err.Error(), "req_1NY0ZcLkdIwHu7ix") {
				t.Errorf("%v: the request id is missing", err)
			}
		})
	}
}

// Neither the API key nor the payment token reaches an error's text, whatever Stripe's message
// quotes; a secret key Stripe quotes that Orion did not send is masked too.
func TestErrorTextHoldsNoSecret(t *testing.T) {
	const key, token = "sk_live_51HxYzSecretKey0123456789", "pm_1NSecretCardToken"
	body := `{"error": {"code": "resource_missing", "type": "invalid_request_error",
	  "message": "No such PaymentMethod: 'pm_1NSecretCardToken'; request made with Bearer sk_live_51HxYzSecretKey0123456789, see also rk_test_OtherKey99 and whsec_abcDEF123"}}`
	err := classify(400, http.Header{}, []byte(body), token, key)
	text := err.Error()
	for _, secret := range []string{key, token, "rk_test_OtherKey99", "whsec_abcDEF123", "SecretKey"} {
		if strings.Contains(text, secret) {
			t.Errorf("%q holds %q", text, secret)
		}
	}
	if !strings.Contains(text, "No such PaymentMethod") || !strings.Contains(text, "resource_missing") {
		t.Errorf("%q lost what an operator needs", text)
	}
}

// Which refusals of a refund are "more than the charge has left": an invalid_request_error on param
// amount, recorded without a code and with amount_too_large, and nothing else.
func TestRefusedRefundAmount(t *testing.T) {
	for _, c := range []struct {
		name   string
		status int
		body   string
		want   bool
	}{
		{"without a code", 400, `{"error": {"message": "Refund amount ($20.00) is greater than unrefunded amount on charge ($15.00)", "param": "amount", "type": "invalid_request_error"}}`, true},
		{"amount_too_large", 400, `{"error": {"code": "amount_too_large", "message": "Refund amount ($20.00) is greater than unrefunded amount on charge ($15.00)", "param": "amount", "type": "invalid_request_error"}}`, true},
		{"an amount Stripe cannot read", 400, `{"error": {"code": "parameter_invalid_integer", "message": "Invalid integer: 20.00", "param": "amount", "type": "invalid_request_error"}}`, false},
		{"refunded in full", 400, `{"error": {"code": "charge_already_refunded", "message": "Charge ch_3MmlLrLkdIwHu7ix0snN0B15 has already been refunded.", "type": "invalid_request_error"}}`, false},
		{"another parameter", 400, `{"error": {"code": "resource_missing", "message": "No such payment_intent: 'pi_123'", "param": "payment_intent", "type": "invalid_request_error"}}`, false},
		{"an outage", 500, `{"error": {"message": "An unknown error occurred", "param": "amount", "type": "api_error"}}`, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := classify(c.status, http.Header{}, []byte(c.body)).refusesRefundAmount(); got != c.want {
				t.Fatalf("refusesRefundAmount = %t; want %t", got, c.want)
			}
		})
	}
}
