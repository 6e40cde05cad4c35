package stripe

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/orion-oss/orion/internal/payment"
)

// Error is Stripe's answer to a request that failed, as much of it as is safe to log. It wraps what
// the answer means to Orion (errors.Is / errors.As): payment.ErrUnavailable (worth retrying),
// payment.ErrMisconfigured (Orion's credentials or request: page someone) or a *payment.DeclinedError
// (final). Its text never holds the API key or the payment token: Stripe's message is kept with both
// removed, and any other secret key it quotes masked (redact).
type Error struct {
	Status      int    // HTTP status
	Type        string // api_error, card_error, idempotency_error, invalid_request_error
	Code        string // https://docs.stripe.com/error-codes
	DeclineCode string // the issuer's reason, for card errors: https://docs.stripe.com/declines/codes
	Param       string
	Message     string
	RequestID   string // Stripe's Request-Id header, for Stripe's support and dashboard logs
	// PaymentIntentStatus is the status of the PaymentIntent the error carries, if any (a confirmation
	// that failed, a cancel of an intent that cannot be canceled).
	PaymentIntentStatus string
	kind                error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v: stripe: HTTP %d", e.kind, e.Status)
	for _, s := range []string{e.Type, e.Code} {
		if s != "" {
			b.WriteString(" " + s)
		}
	}
	if e.DeclineCode != "" {
		b.WriteString(" (decline_code " + e.DeclineCode + ")")
	}
	if e.Param != "" {
		b.WriteString(" on " + e.Param)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.RequestID != "" {
		b.WriteString(" [" + e.RequestID + "]")
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.kind }

// errorBody is Stripe's error response: https://docs.stripe.com/api/errors.
type errorBody struct {
	Error *apiError `json:"error"`
}

type apiError struct {
	Type          string         `json:"type"`
	Code          string         `json:"code"`
	DeclineCode   string         `json:"decline_code"`
	Message       string         `json:"message"`
	Param         string         `json:"param"`
	PaymentIntent *paymentIntent `json:"payment_intent"`
}

// declineCode is the most precise reason an error or a failed PaymentIntent gives: the issuer's
// decline_code, else Stripe's code (https://docs.stripe.com/declines#issuer-declines).
func (a *apiError) declineCode() string {
	if a == nil {
		return ""
	}
	if a.DeclineCode != "" {
		return a.DeclineCode
	}
	return a.Code
}

// Error codes the mapping names (https://docs.stripe.com/error-codes).
const (
	codeRateLimit             = "rate_limit"
	codeLockTimeout           = "lock_timeout"           // another request holds the object: retry
	codeIdempotencyKeyInUse   = "idempotency_key_in_use" // the same key is still being processed: retry
	codeUnexpectedState       = "payment_intent_unexpected_state"
	codeChargeExpired         = "charge_expired_for_capture"
	codeChargeAlreadyRefunded = "charge_already_refunded"
	codeChargeDisputed        = "charge_disputed"
	codeAmountTooSmall        = "amount_too_small"
)

// classify maps a failed response to an *Error. The rules, in order
// (https://docs.stripe.com/api/errors, https://docs.stripe.com/error-low-level):
//
//   - Stripe-Should-Retry: true, 429 (rate_limit), 424 (a dependency outside Stripe failed), any 5xx
//     (api_error), and the 409s of a concurrent request on the same object or idempotency key
//     (lock_timeout, idempotency_key_in_use): ErrUnavailable. The saga retries with the same
//     Idempotency-Key, so a retry of a request Stripe did execute returns its saved answer instead of
//     charging again. (A saved 500 comes back as the same 500 for 24 hours: the retries then run out
//     and the saga treats the payment as unavailable.)
//   - card_error (HTTP 402): a final decline, with the issuer's decline_code, else Stripe's code.
//   - idempotency_error: the key was used before with other parameters. Orion derives the key from the
//     order and the operation, so this is Orion sending two different requests for one operation (an
//     order total that changed, say): a bug that pages, ErrMisconfigured, never a retry.
//   - 401 (bad key), 403 (the restricted key lacks a permission), and every other 4xx
//     (invalid_request_error: a parameter Stripe refuses, an id it does not know): ErrMisconfigured.
//
// An operation may narrow this (Authorize, Capture, Void and Refund say where). secrets are removed
// from Stripe's message, which can quote the request (stripe-mock quotes the Authorization header).
func classify(status int, header http.Header, body []byte, secrets ...string) *Error {
	e := &Error{Status: status, RequestID: header.Get("Request-Id")}
	var b errorBody
	if json.Unmarshal(body, &b) == nil && b.Error != nil {
		a := b.Error
		e.Type, e.Code, e.DeclineCode, e.Param = a.Type, a.Code, a.DeclineCode, a.Param
		e.Message = redact(a.Message, secrets...)
		if a.PaymentIntent != nil {
			e.PaymentIntentStatus = a.PaymentIntent.Status
		}
	} else {
		e.Message = "the response is not a Stripe error"
	}
	switch {
	case header.Get("Stripe-Should-Retry") == "true",
		status == http.StatusTooManyRequests, status == http.StatusFailedDependency, status >= 500,
		e.Type == "api_error",
		e.Code == codeRateLimit, e.Code == codeLockTimeout, e.Code == codeIdempotencyKeyInUse:
		e.kind = payment.ErrUnavailable
	case e.Type == "card_error":
		code := e.DeclineCode
		if code == "" {
			code = e.Code
		}
		if code == "" {
			code = "card_declined"
		}
		e.kind = &payment.DeclinedError{Code: code}
	default:
		e.kind = payment.ErrMisconfigured
	}
	return e
}

// decline turns e into a final decline with its code: for the errors an operation knows to be this
// payment's fate rather than Orion's setup.
func (e *Error) decline() *Error {
	code := e.DeclineCode
	if code == "" {
		code = e.Code
	}
	e.kind = &payment.DeclinedError{Code: code}
	return e
}

// declineAs turns e into a final decline with the given code, for a refusal whose own code says
// little to the customer.
func (e *Error) declineAs(code string) *Error {
	e.kind = &payment.DeclinedError{Code: code}
	return e
}

// refusesPaymentMethod: Stripe refused the request's payment method (an invalid_request_error on
// param payment_method, whatever its code), and nothing else about the request.
func (e *Error) refusesPaymentMethod() bool {
	return errors.Is(e.kind, payment.ErrMisconfigured) && e.Type == "invalid_request_error" && e.Param == "payment_method"
}

// refusesRefundAmount: Stripe refused a refund's amount as more than the charge has left, after a
// partial refund ("Refund amount ($20.00) is greater than unrefunded amount on charge ($15.00)"). Its
// answer is an invalid_request_error on param amount. Stripe's error-code list names no code of its
// own for it, and recordings of it show it both without a code and with amount_too_large, so both are
// taken and any other code (parameter_invalid_integer: Orion's bug) is not. Refund reads the charge
// before acting on it.
func (e *Error) refusesRefundAmount() bool {
	return errors.Is(e.kind, payment.ErrMisconfigured) && e.Type == "invalid_request_error" && e.Param == "amount" &&
		(e.Code == "" || e.Code == CodeAmountTooLarge)
}

// redact removes each secret from s, and masks any Stripe secret or restricted key or webhook secret
// that s quotes beyond those (sk_live_..., rk_test_..., whsec_...).
func redact(s string, secrets ...string) string {
	for _, x := range secrets {
		if len(x) >= 4 {
			s = strings.ReplaceAll(s, x, "[redacted]")
		}
	}
	for _, prefix := range []string{"sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_"} {
		for from := 0; ; {
			i := strings.Index(s[from:], prefix)
			if i < 0 {
				break
			}
			start := from + i + len(prefix)
			end := start
			for end < len(s) && isKeyByte(s[end]) {
				end++
			}
			s = s[:start] + "[redacted]" + s[end:]
			from = start + len("[redacted]")
		}
	}
	return s
}

func isKeyByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '*'
}
