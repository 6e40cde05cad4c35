package stripe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/payment"
)

// The compensations that need more than one request (a void of a captured intent, a refund of what a
// dashboard refund left), against a server that answers as Stripe documents it
// (https://docs.stripe.com/api): each case scripts the answers and checks the requests. That the
// requests pass Stripe's spec is provider_test's, against stripe-mock.

const (
	piID    = "pi_3MtwBwLkdIwHu7ix28a3tqPa"
	chID    = "ch_3MtwBwLkdIwHu7ix2XvsZ6Xj"
	order   = "01JDQ7Z3M6X9V0YB2C4D5E6F7G"
	voidKey = "orion-" + order + "-void"
	refundK = "orion-" + order + "-refund"
)

type answer struct {
	status int
	body   string
}

// sent is one request the provider made.
type sent struct {
	method, path, key string
	query, form       url.Values
}

func (s sent) String() string { return s.method + " " + s.path }

// stripeScript answers each "METHOD /path Idempotency-Key", else "METHOD /path?starting_after=<id>"
// (a list's next page), else "METHOD /path", with its answer; a request it has no answer for fails the
// test.
type stripeScript struct {
	t       *testing.T
	answers map[string]answer
	mu      sync.Mutex
	got     []sent
}

func (s *stripeScript) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(b))
	s.mu.Lock()
	s.got = append(s.got, sent{method: r.Method, path: r.URL.Path, key: r.Header.Get("Idempotency-Key"), query: r.URL.Query(), form: form})
	s.mu.Unlock()
	a, ok := s.answers[r.Method+" "+r.URL.Path+" "+r.Header.Get("Idempotency-Key")] // one POST among others
	if after := r.URL.Query().Get("starting_after"); !ok && after != "" {
		a, ok = s.answers[r.Method+" "+r.URL.Path+"?starting_after="+after] // a list's next page
	}
	if !ok {
		a, ok = s.answers[r.Method+" "+r.URL.Path]
	}
	if !ok {
		s.t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		a = answer{404, `{"error": {"type": "invalid_request_error", "message": "Unrecognized request URL"}}`}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Request-Id", "req_1NY0ZcLkdIwHu7ix")
	w.WriteHeader(a.status)
	io.WriteString(w, a.body)
}

func scripted(t *testing.T, answers map[string]answer) (*Provider, *stripeScript) {
	s := &stripeScript{t: t, answers: answers}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return New(Config{BaseURL: srv.URL, APIKey: func(context.Context) (string, error) { return "sk_test_123", nil }}), s
}

// chargedIntentBody is a PaymentIntent read with expand[]=latest_charge, as
// https://docs.stripe.com/api/payment_intents/object and https://docs.stripe.com/api/charges/object
// show them: an intent of 2000 held with manual capture.
func chargedIntentBody(status string, captured, refunded int64) string {
	return fmt.Sprintf(`{
	  "id": %q, "object": "payment_intent", "amount": 2000, "amount_capturable": 0, "amount_received": %d,
	  "capture_method": "manual", "confirmation_method": "automatic", "created": 1680800504, "currency": "usd",
	  "livemode": false, "metadata": {"order_id": %q}, "payment_method": "pm_1MtwBwLkdIwHu7ixaj5m6bVU",
	  "payment_method_types": ["card"], "status": %q,
	  "latest_charge": {
	    "id": %q, "object": "charge", "amount": 2000, "amount_captured": %d, "amount_refunded": %d,
	    "captured": %t, "currency": "usd", "disputed": false, "paid": true, "payment_intent": %q,
	    "refunded": %t, "status": "succeeded"
	  }
	}`, piID, captured, order, status, chID, captured, refunded, captured > 0, piID, captured > 0 && refunded == captured)
}

// refundBody is a Refund as https://docs.stripe.com/api/refunds/object shows one.
func refundBody(id string, amount int64, status, failureReason string) string {
	reason := "null"
	if failureReason != "" {
		reason = `"` + failureReason + `"`
	}
	return fmt.Sprintf(`{
	  "id": %q, "object": "refund", "amount": %d, "balance_transaction": "txn_1Nispe2eZvKYlo2CYezqFhEx",
	  "charge": %q, "created": 1692942318, "currency": "usd", "metadata": {"source": "orion", "order_id": %q},
	  "payment_intent": %q, "reason": null, "receipt_number": null, "source_transfer_reversal": null,
	  "status": %q, "failure_reason": %s, "transfer_reversal": null
	}`, id, amount, chID, order, piID, status, reason)
}

func cancelRefused(status string) answer {
	return answer{400, fmt.Sprintf(`{
	  "error": {"code": "payment_intent_unexpected_state", "doc_url": "https://stripe.com/docs/error-codes/payment-intent-unexpected-state",
	    "message": "You cannot cancel this PaymentIntent because it has a status of %[1]s. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.",
	    "payment_intent": {"id": %[2]q, "object": "payment_intent", "status": %[1]q},
	    "type": "invalid_request_error"}
	}`, status, piID)}
}

var (
	cancelPath    = "POST /v1/payment_intents/" + piID + "/cancel"
	readPath      = "GET /v1/payment_intents/" + piID
	refundsPath   = "POST /v1/refunds"
	canceledOK    = answer{200, `{"id": "` + piID + `", "object": "payment_intent", "status": "canceled", "cancellation_reason": null}`}
	alreadyRefund = answer{400, `{"error": {"code": "charge_already_refunded", "message": "Charge ` + chID + ` has already been refunded.", "type": "invalid_request_error"}}`}
	serverError   = answer{500, `{"error": {"message": "An unknown error occurred", "type": "api_error"}}`}
)

// A capture Stripe made and Orion never recorded (its answer lost on every attempt, or the order's
// write failed) leaves compensation voiding a captured intent: Stripe refuses the cancel, and the
// money is refunded instead, once, less what is refunded already.
func TestVoidOfACapturedIntent(t *testing.T) {
	for _, c := range []struct {
		name     string
		answers  map[string]answer
		want     meaning
		code     string
		requests []string
		refunded int64 // the amount of the refund sent, if one is
	}{
		{name: "a hold: canceled", answers: map[string]answer{cancelPath: canceledOK}, want: success,
			requests: []string{cancelPath}},
		{name: "canceled already: done, without a read", answers: map[string]answer{cancelPath: cancelRefused("canceled")}, want: success,
			requests: []string{cancelPath}},
		{name: "captured: the whole capture refunded", want: success, refunded: 2000, answers: map[string]answer{
			cancelPath: cancelRefused("succeeded"), readPath: {200, chargedIntentBody("succeeded", 2000, 0)},
			refundsPath: {200, refundBody("re_3MtwBwLkdIwHu7ix0E3RaJbg", 2000, "succeeded", "")}},
			requests: []string{cancelPath, readPath, refundsPath}},
		{name: "captured and partly refunded in the dashboard: the rest refunded", want: success, refunded: 1500, answers: map[string]answer{
			cancelPath: cancelRefused("succeeded"), readPath: {200, chargedIntentBody("succeeded", 2000, 500)},
			refundsPath: {200, refundBody("re_3MtwBwLkdIwHu7ix0E3RaJbg", 1500, "pending", "")}},
			requests: []string{cancelPath, readPath, refundsPath}},
		{name: "captured and refunded in full already (an earlier attempt): done", want: success, answers: map[string]answer{
			cancelPath: cancelRefused("succeeded"), readPath: {200, chargedIntentBody("succeeded", 2000, 2000)}},
			requests: []string{cancelPath, readPath}},
		{name: "refunded in full between the read and the refund: done", want: success, refunded: 2000, answers: map[string]answer{
			cancelPath: cancelRefused("succeeded"), readPath: {200, chargedIntentBody("succeeded", 2000, 0)}, refundsPath: alreadyRefund},
			requests: []string{cancelPath, readPath, refundsPath}},
		{name: "the refund fails at the bank: a decline", want: declined, code: "expired_or_canceled_card", refunded: 2000, answers: map[string]answer{
			cancelPath: cancelRefused("succeeded"), readPath: {200, chargedIntentBody("succeeded", 2000, 0)},
			refundsPath: {200, refundBody("re_3MtwBwLkdIwHu7ix0E3RaJbg", 2000, "failed", "expired_or_canceled_card")}},
			requests: []string{cancelPath, readPath, refundsPath}},
		{name: "the refund meets an outage: retried", want: unavailable, refunded: 2000, answers: map[string]answer{
			cancelPath: cancelRefused("succeeded"), readPath: {200, chargedIntentBody("succeeded", 2000, 0)}, refundsPath: serverError},
			requests: []string{cancelPath, readPath, refundsPath}},
		{name: "the read meets an outage: retried", want: unavailable, answers: map[string]answer{
			cancelPath: cancelRefused("succeeded"), readPath: serverError},
			requests: []string{cancelPath, readPath}},
		{name: "the read says canceled: done", want: success, answers: map[string]answer{
			cancelPath: cancelRefused("succeeded"), readPath: {200, chargedIntentBody("canceled", 0, 0)}},
			requests: []string{cancelPath, readPath}},
		{name: "the read says neither captured nor canceled: the refusal stands", want: misconfigured, answers: map[string]answer{
			cancelPath: cancelRefused("succeeded"), readPath: {200, chargedIntentBody("requires_capture", 0, 0)}},
			requests: []string{cancelPath, readPath}},
		{name: "rate limited: retried", want: unavailable, answers: map[string]answer{
			cancelPath: {429, `{"error": {"code": "rate_limit", "message": "Request rate limit exceeded.", "type": "invalid_request_error"}}`}},
			requests: []string{cancelPath}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, s := scripted(t, c.answers)
			err := p.Void(context.Background(), payment.VoidRequest{OrderID: order, IdempotencyKey: voidKey, AuthorizationID: piID})
			c.want.check(t, err, c.code)
			var got []string
			for _, x := range s.got {
				got = append(got, x.method+" "+x.path)
			}
			if strings.Join(got, ", ") != strings.Join(c.requests, ", ") {
				t.Fatalf("requests %v; want %v", got, c.requests)
			}
			for _, x := range s.got {
				switch x.method + " " + x.path {
				case cancelPath:
					if x.key != voidKey {
						t.Errorf("cancel with key %q; want %q", x.key, voidKey)
					}
				case readPath:
					if x.query.Get("expand[]") != "latest_charge" {
						t.Errorf("read %v; want the latest charge expanded", x.query)
					}
				case refundsPath:
					want := url.Values{"payment_intent": {piID}, "amount": {fmt.Sprint(c.refunded)},
						"metadata[source]": {"orion"}, "metadata[order_id]": {order}}
					if x.form.Encode() != want.Encode() || x.key != voidKey+"-refund" {
						t.Errorf("refund %v with key %q; want %v with key %q", x.form, x.key, want, voidKey+"-refund")
					}
				}
			}
		})
	}
}

// https://docs.stripe.com/api/refunds/list: the intent's refunds, newest first.
func refundListBody(refunds ...string) string {
	return `{"object": "list", "url": "/v1/refunds", "has_more": false, "data": [` + strings.Join(refunds, ", ") + `]}`
}

// Stripe's refusal of a refund larger than what the charge has left, as it is recorded without a code
// and, by some, with amount_too_large.
func overRefund(code string) answer {
	c := ""
	if code != "" {
		c = `"code": "` + code + `", `
	}
	return answer{400, `{"error": {` + c + `"message": "Refund amount ($20.00) is greater than unrefunded amount on charge ($15.00)",
	  "param": "amount", "type": "invalid_request_error"}}`}
}

// A refund of the order's total after a partial refund in the dashboard is refused as more than the
// charge has left: what is left is refunded instead, under a key of its own. A disputed charge is a
// decline.
func TestRefundAfterARefundOutsideOrion(t *testing.T) {
	var (
		first     = refundsPath + " " + refundK
		remaining = refundsPath + " " + refundK + "-remaining"
		list      = "GET /v1/refunds"
	)
	for _, c := range []struct {
		name     string
		answers  map[string]answer
		want     meaning
		code     string
		id       string
		requests []string
		amount   int64 // of the "-remaining" refund, if one is sent
	}{
		{name: "nothing refunded before", id: "re_orion", answers: map[string]answer{
			first: {200, refundBody("re_orion", 2000, "succeeded", "")}}, requests: []string{refundsPath}},
		{name: "partly refunded: the rest refunded", id: "re_rest", amount: 1500, answers: map[string]answer{
			first: overRefund(""), readPath: {200, chargedIntentBody("succeeded", 2000, 500)},
			remaining: {200, refundBody("re_rest", 1500, "succeeded", "")}}, requests: []string{refundsPath, readPath, refundsPath}},
		{name: "partly refunded, refused with amount_too_large: the rest refunded", id: "re_rest", amount: 1500, answers: map[string]answer{
			first: overRefund("amount_too_large"), readPath: {200, chargedIntentBody("succeeded", 2000, 500)},
			remaining: {200, refundBody("re_rest", 1500, "pending", "")}}, requests: []string{refundsPath, readPath, refundsPath}},
		{name: "refunded in full when read (an earlier attempt refunded the rest): that refund", id: "re_rest", answers: map[string]answer{
			first: overRefund(""), readPath: {200, chargedIntentBody("succeeded", 2000, 2000)},
			list: {200, refundListBody(refundBody("re_rest", 1500, "succeeded", ""), refundBody("re_dashboard", 500, "succeeded", ""))}},
			requests: []string{refundsPath, readPath, list}},
		{name: "refunded in full between the read and the rest: the latest refund", id: "re_dashboard", amount: 1500, answers: map[string]answer{
			first: overRefund(""), readPath: {200, chargedIntentBody("succeeded", 2000, 500)}, remaining: alreadyRefund,
			list: {200, refundListBody(refundBody("re_dashboard", 1500, "succeeded", ""))}},
			requests: []string{refundsPath, readPath, refundsPath, list}},
		{name: "the charge has all that was asked: the refusal stands", want: misconfigured, answers: map[string]answer{
			first: overRefund(""), readPath: {200, chargedIntentBody("succeeded", 2000, 0)}}, requests: []string{refundsPath, readPath}},
		{name: "the read meets an outage: retried", want: unavailable, answers: map[string]answer{
			first: overRefund(""), readPath: serverError}, requests: []string{refundsPath, readPath}},
		{name: "the rest fails at the bank: a decline", want: declined, code: "lost_or_stolen_card", amount: 1500, answers: map[string]answer{
			first: overRefund(""), readPath: {200, chargedIntentBody("succeeded", 2000, 500)},
			remaining: {200, refundBody("re_rest", 1500, "failed", "lost_or_stolen_card")}}, requests: []string{refundsPath, readPath, refundsPath}},
		{name: "refunded in full: the dashboard's refund", id: "re_dashboard", answers: map[string]answer{
			first: alreadyRefund, list: {200, refundListBody(refundBody("re_dashboard", 2000, "succeeded", ""))}},
			requests: []string{refundsPath, list}},
		{name: "an amount Stripe cannot read is Orion's bug", want: misconfigured, answers: map[string]answer{
			first: {400, `{"error": {"code": "parameter_invalid_integer", "message": "Invalid integer: 20.00", "param": "amount", "type": "invalid_request_error"}}`}},
			requests: []string{refundsPath}},
		{name: "disputed: a decline", want: declined, code: "charge_disputed", answers: map[string]answer{
			first: {400, `{"error": {"code": "charge_disputed", "doc_url": "https://stripe.com/docs/error-codes/charge-disputed",
			  "message": "Charge ` + chID + ` has been charged back; cannot issue a refund.", "type": "invalid_request_error"}}`}},
			requests: []string{refundsPath}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, s := scripted(t, c.answers)
			id, err := p.Refund(context.Background(), payment.RefundRequest{OrderID: order, IdempotencyKey: refundK, AuthorizationID: piID,
				Amount: amountOf(t, 2000, "USD")})
			if c.id != "" {
				if err != nil || id != c.id {
					t.Fatalf("refund %q, %v; want %q", id, err, c.id)
				}
			} else {
				c.want.check(t, err, c.code)
			}
			var got []string
			for _, x := range s.got {
				got = append(got, x.String())
			}
			if strings.Join(got, ", ") != strings.Join(c.requests, ", ") {
				t.Fatalf("requests %v; want %v", got, c.requests)
			}
			for i, x := range s.got {
				if x.String() != refundsPath {
					continue
				}
				amount, key := "2000", refundK
				if i > 0 {
					amount, key = fmt.Sprint(c.amount), refundK+"-remaining"
				}
				want := url.Values{"payment_intent": {piID}, "amount": {amount}, "metadata[source]": {"orion"}, "metadata[order_id]": {order}}
				if x.form.Encode() != want.Encode() || x.key != key {
					t.Errorf("refund %d: %v with key %q; want %v with key %q", i, x.form, x.key, want, key)
				}
			}
			for _, x := range s.got {
				if x.String() == list && x.query.Get("payment_intent") != piID {
					t.Errorf("listed refunds of %v", x.query)
				}
			}
		})
	}
}

func amountOf(t *testing.T, minor int64, currency string) money.Money {
	t.Helper()
	m, err := money.New(minor, currency)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// refundWithMeta is refundBody with other metadata: a return's refund ({"source": "orion", "order_id":
// ..., "return_id": "R1"}) or a dashboard refund ({}).
func refundWithMeta(id string, amount int64, status, metadata string) string {
	old := fmt.Sprintf(`"metadata": {"source": "orion", "order_id": %q}`, order)
	return strings.Replace(refundBody(id, amount, status, ""), old, `"metadata": `+metadata, 1)
}

func returnMeta(returnID string) string {
	return fmt.Sprintf(`{"source": "orion", "order_id": %q, "return_id": %q}`, order, returnID)
}

// A return's refund (ReturnID) looks for the return's own refund among the intent's refunds before it
// refunds: a refund Stripe made under a key it has forgotten since (24 hours) is the answer, not a
// second refund. It is exact: a refusal of its amount is ErrRefundExceedsRemaining, never answered
// with what is left (no read of the charge, no "-remaining" refund) nor with the latest refund (no
// second listing).
func TestRefundOfAReturn(t *testing.T) {
	const returnKey = "orion-" + order + "-refund-R1"
	var (
		list   = "GET /v1/refunds"
		create = refundsPath + " " + returnKey
		empty  = answer{200, refundListBody()}
	)
	for _, c := range []struct {
		name     string
		answers  map[string]answer
		want     meaning
		exceeds  bool // want ErrRefundExceedsRemaining
		code     string
		id       string
		requests []string
	}{
		{name: "nothing refunded before: refunded with the return's id", id: "re_r1", answers: map[string]answer{
			list: empty, create: {200, refundWithMeta("re_r1", 2500, "succeeded", returnMeta("R1"))}},
			requests: []string{list, refundsPath}},
		{name: "refunded under a forgotten key: that refund, no second one", id: "re_r1", answers: map[string]answer{
			list: {200, refundListBody(refundWithMeta("re_r2", 1250, "succeeded", returnMeta("R2")),
				refundWithMeta("re_dashboard", 2500, "succeeded", `{}`),
				refundWithMeta("re_r1", 2500, "pending", returnMeta("R1")))}},
			requests: []string{list}},
		{name: "a refund tagged with the return for less than it: to the operator, nothing refunded", exceeds: true, answers: map[string]answer{
			list: {200, refundListBody(refundWithMeta("re_r1", 1000, "succeeded", returnMeta("R1")))}},
			requests: []string{list}},
		{name: "the return's refund is on the second page", id: "re_r1", answers: map[string]answer{
			list:                                  {200, strings.Replace(refundListBody(refundWithMeta("re_dashboard", 500, "succeeded", `{}`)), `"has_more": false`, `"has_more": true`, 1)},
			list + "?starting_after=re_dashboard": {200, refundListBody(refundWithMeta("re_r1", 2500, "succeeded", returnMeta("R1")))}},
			requests: []string{list, list}},
		{name: "the return's earlier refund failed: refunded again", id: "re_r1b", answers: map[string]answer{
			list:   {200, refundListBody(strings.Replace(refundWithMeta("re_r1", 2500, "failed", returnMeta("R1")), `"failure_reason": null`, `"failure_reason": "lost_or_stolen_card"`, 1))},
			create: {200, refundWithMeta("re_r1b", 2500, "succeeded", returnMeta("R1"))}},
			requests: []string{list, refundsPath}},
		{name: "a dashboard refund noted with the return is not Orion's", id: "re_r1", answers: map[string]answer{
			list:   {200, refundListBody(refundWithMeta("re_dashboard", 2500, "succeeded", `{"return_id": "R1"}`))},
			create: {200, refundWithMeta("re_r1", 2500, "succeeded", returnMeta("R1"))}},
			requests: []string{list, refundsPath}},
		{name: "more than the charge has left: exceeds, nothing else refunded", exceeds: true, answers: map[string]answer{
			list: empty, create: overRefund("")}, requests: []string{list, refundsPath}},
		{name: "more than left, refused with amount_too_large: exceeds", exceeds: true, answers: map[string]answer{
			list: empty, create: overRefund("amount_too_large")}, requests: []string{list, refundsPath}},
		{name: "refunded in full in the dashboard: exceeds, not the dashboard's refund", exceeds: true, answers: map[string]answer{
			list: {200, refundListBody(refundWithMeta("re_dashboard", 5000, "succeeded", `{}`))}, create: alreadyRefund},
			requests: []string{list, refundsPath}},
		{name: "disputed: a decline", want: declined, code: "charge_disputed", answers: map[string]answer{
			list: empty, create: {400, `{"error": {"code": "charge_disputed", "message": "Charge ` + chID + ` has been charged back; cannot issue a refund.", "type": "invalid_request_error"}}`}},
			requests: []string{list, refundsPath}},
		{name: "fails at the bank: a decline", want: declined, code: "expired_or_canceled_card", answers: map[string]answer{
			list: empty, create: {200, strings.Replace(refundWithMeta("re_r1", 2500, "failed", returnMeta("R1")), `"failure_reason": null`, `"failure_reason": "expired_or_canceled_card"`, 1)}},
			requests: []string{list, refundsPath}},
		{name: "the listing meets an outage: retried, nothing refunded", want: unavailable, answers: map[string]answer{
			list: serverError}, requests: []string{list}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, s := scripted(t, c.answers)
			id, err := p.Refund(context.Background(), payment.RefundRequest{OrderID: order, IdempotencyKey: returnKey, AuthorizationID: piID,
				Amount: amountOf(t, 2500, "USD"), ReturnID: "R1"})
			switch {
			case c.id != "":
				if err != nil || id != c.id {
					t.Fatalf("refund %q, %v; want %q", id, err, c.id)
				}
			case c.exceeds:
				if !errors.Is(err, payment.ErrRefundExceedsRemaining) || errors.Is(err, payment.ErrDeclined) || errors.Is(err, payment.ErrMisconfigured) || id != "" {
					t.Fatalf("refund %q, %v; want ErrRefundExceedsRemaining alone", id, err)
				}
			default:
				c.want.check(t, err, c.code)
			}
			var got []string
			for _, x := range s.got {
				got = append(got, x.String())
			}
			if strings.Join(got, ", ") != strings.Join(c.requests, ", ") {
				t.Fatalf("requests %v; want %v", got, c.requests)
			}
			after := ""
			for _, x := range s.got {
				switch x.String() {
				case list:
					want := url.Values{"payment_intent": {piID}, "limit": {"100"}}
					if after != "" {
						want.Set("starting_after", after)
					}
					if x.query.Encode() != want.Encode() {
						t.Errorf("listed %v; want %v", x.query, want)
					}
					after = "re_dashboard" // the first page's last refund, where one has a second page
				case refundsPath:
					want := url.Values{"payment_intent": {piID}, "amount": {"2500"}, "metadata[source]": {"orion"},
						"metadata[order_id]": {order}, "metadata[return_id]": {"R1"}}
					if x.form.Encode() != want.Encode() || x.key != returnKey {
						t.Errorf("refund %v with key %q; want %v with key %q", x.form, x.key, want, returnKey)
					}
				}
			}
		})
	}
}
