package order_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/validation"
)

var redirect = order.PaymentAction{Type: "redirect_to_url", RedirectURL: "https://bank.example/3ds/pi-3ds"}

// awaiting is a RESERVED order whose payment awaits the customer's action.
func awaiting(t *testing.T) *order.Order {
	t.Helper()
	o := inState(t, order.Reserved)
	evs, err := o.RequirePaymentAction("pi-3ds", redirect, t0)
	if err != nil {
		t.Fatal(err)
	}
	want := event.PaymentActionRequired{AuthorizationID: "pi-3ds", ActionType: "redirect_to_url"}
	if got, ok := evs[0].(event.PaymentActionRequired); !ok || len(evs) != 1 || got.AuthorizationID != want.AuthorizationID ||
		got.ActionType != want.ActionType || got.Status != "RESERVED" {
		t.Fatalf("events %+v", evs)
	}
	if o.Status() != order.Reserved || o.Payment().Action != redirect || o.PaymentDue() {
		t.Fatalf("order %s, payment %+v, payment due %v", o.Status(), o.Payment(), o.PaymentDue())
	}
	return o
}

// The saga's wait and the provider's event meet on the order, in either order: the second to record
// its half learns the outcome (and resumes the run); repeated halves change nothing.
func TestPaymentActionMeetsTheWaitInEitherOrder(t *testing.T) {
	succeed := func(o *order.Order) ([]event.Payload, error) { return o.CompletePaymentAction("pi-3ds", t0) }
	fail := func(o *order.Order) ([]event.Payload, error) { return o.FailPaymentAction("authentication_failed", t0) }
	tests := []struct {
		name         string
		outcome      func(*order.Order) ([]event.Payload, error)
		events       []string
		want         order.ActionOutcome
		status       order.Status
		tokenFirst   bool
		tokenStored  bool
		declinedWith string
	}{
		{"success, token first", succeed, []string{"PaymentAuthorized"}, order.ActionSucceeded, order.PaymentAuthorized, true, true, ""},
		{"success, event first", succeed, []string{"PaymentAuthorized"}, order.ActionSucceeded, order.PaymentAuthorized, false, false, ""},
		{"failure, token first", fail, nil, order.ActionFailed, order.Reserved, true, true, "authentication_failed"},
		{"failure, event first", fail, nil, order.ActionFailed, order.Reserved, false, false, "authentication_failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := awaiting(t)
			if tt.tokenFirst {
				v := o.Version()
				out, err := o.AwaitPaymentAction("token-1", t0)
				if err != nil || out != order.ActionPending || o.Version() != v+1 || o.Payment().TaskToken != "token-1" {
					t.Fatalf("await: %s %v v%d->v%d", out, err, v, o.Version())
				}
				if out, err := o.AwaitPaymentAction("token-1", t0); err != nil || out != order.ActionPending || o.Version() != v+1 {
					t.Fatalf("await again: %s %v, v%d", out, err, o.Version())
				}
			}
			evs, err := tt.outcome(o)
			if err != nil || fmt.Sprint(types(evs)) != fmt.Sprint(tt.events) || o.Status() != tt.status {
				t.Fatalf("outcome: %v %v, %s", types(evs), err, o.Status())
			}
			if o.Payment().Action.Pending() || o.Payment().DeclineCode != tt.declinedWith {
				t.Fatalf("payment after the outcome: %+v", o.Payment())
			}
			v := o.Version()
			if again, err := tt.outcome(o); err != nil || again != nil || o.Version() != v {
				t.Fatalf("outcome again: %v %v v%d->v%d", again, err, v, o.Version())
			}
			// The wait, first or again (a retried task with a new token), learns the outcome and stores nothing.
			out, err := o.AwaitPaymentAction("token-2", t0)
			if err != nil || out != tt.want || o.Version() != v {
				t.Fatalf("await after the outcome: %s %v v%d->v%d", out, err, v, o.Version())
			}
			if got := o.Payment().TaskToken != ""; got != tt.tokenStored {
				t.Fatalf("token stored %v; want %v", got, tt.tokenStored)
			}
		})
	}
}

// An outcome that contradicts what the order knows is refused and changes nothing; a wait on an order
// that awaits nothing is refused.
func TestPaymentActionRefusals(t *testing.T) {
	tests := []struct {
		name string
		o    func(t *testing.T) *order.Order
		do   func(*order.Order) error
		want error
	}{
		{"success of another payment", awaiting, func(o *order.Order) error { _, err := o.CompletePaymentAction("pi-other", t0); return err }, order.ErrInvalidTransition},
		{"success after a failure", at(order.Reserved, actionAsked, actionFailed), func(o *order.Order) error {
			_, err := o.CompletePaymentAction("pi-3ds", t0)
			return err
		}, order.ErrInvalidTransition},
		{"success after the void", at(order.Reserved, actionAsked, voided), func(o *order.Order) error {
			_, err := o.CompletePaymentAction("pi-3ds", t0)
			return err
		}, order.ErrInvalidTransition},
		{"failure after a success", at(order.Reserved, actionAsked, func(o *order.Order) ([]event.Payload, error) {
			return o.CompletePaymentAction("pi-3ds", t0)
		}), func(o *order.Order) error { _, err := o.FailPaymentAction("x", t0); return err }, order.ErrInvalidTransition},
		{"success of an ended order", at(order.Failed), func(o *order.Order) error { _, err := o.CompletePaymentAction("pi-3ds", t0); return err }, order.ErrTerminal},
		{"a second action", awaiting, func(o *order.Order) error { _, err := o.RequirePaymentAction("pi-other", redirect, t0); return err }, order.ErrInvalidTransition},
		{"an action without a URL", at(order.Reserved), func(o *order.Order) error {
			_, err := o.RequirePaymentAction("pi-1", order.PaymentAction{Type: "redirect_to_url"}, t0)
			return err
		}, validation.ErrInvalid},
		{"a wait without an action", at(order.Reserved), func(o *order.Order) error { _, err := o.AwaitPaymentAction("tok", t0); return err }, order.ErrInvalidTransition},
		{"a wait after the void", at(order.Reserved, actionAsked, voided), func(o *order.Order) error { _, err := o.AwaitPaymentAction("tok", t0); return err }, order.ErrInvalidTransition},
		{"a wait on an ended order", at(order.Cancelled), func(o *order.Order) error { _, err := o.AwaitPaymentAction("tok", t0); return err }, order.ErrTerminal},
		{"a wait without a token", awaiting, func(o *order.Order) error { _, err := o.AwaitPaymentAction("", t0); return err }, validation.ErrInvalid},
		{"a wait on a cancelled order", at(order.Reserved, actionAsked, func(o *order.Order) ([]event.Payload, error) {
			return o.RequestCancellation(order.ByCustomer, t0)
		}), func(o *order.Order) error { _, err := o.AwaitPaymentAction("tok", t0); return err }, order.ErrCancellationRequested},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.o(t)
			before := o.Snapshot()
			if err := tt.do(o); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v; want %v", err, tt.want)
			}
			if fmt.Sprintf("%+v", o.Snapshot()) != fmt.Sprintf("%+v", before) {
				t.Fatal("a refused call changed the order")
			}
		})
	}
}

// A 3-D Secure payment, start to end: action, success, capture, confirmation; and the decline after
// the action: void, release, REJECTED with the provider's code.
func TestPaymentActionPaths(t *testing.T) {
	o := awaiting(t)
	if _, err := o.AwaitPaymentAction("token", t0); err != nil {
		t.Fatal(err)
	}
	must(t)(o.CompletePaymentAction("pi-3ds", t0))
	if !o.CaptureDue() {
		t.Fatal("capture not due after the action succeeded")
	}
	must(t)(o.CapturePayment("ch-1", t0))
	if o.CaptureDue() {
		t.Fatal("capture due twice")
	}
	evs, err := o.Confirm(t0)
	if err != nil || o.Status() != order.Confirmed || len(evs) != 2 {
		t.Fatalf("confirm: %v %v", types(evs), err)
	}

	o = awaiting(t)
	must(t)(o.FailPaymentAction("", t0))
	if _, err := o.DeclinePayment("", t0); !errors.Is(err, order.ErrCompensationPending) {
		t.Fatalf("rejected while holding stock and payment: %v", err)
	}
	must(t)(o.MarkStockReleased(t0))
	if _, err := o.DeclinePayment("", t0); !errors.Is(err, order.ErrCompensationPending) {
		t.Fatalf("rejected while holding the payment: %v", err)
	}
	evs, err = o.VoidPayment(t0)
	if err != nil || fmt.Sprint(types(evs)) != "[PaymentVoided]" || evs[0].(event.PaymentVoided).AuthorizationID != "pi-3ds" {
		t.Fatalf("void: %v %v", evs, err)
	}
	evs, err = o.DeclinePayment("", t0)
	if err != nil || o.Status() != order.Rejected || o.Reason() != order.PaymentDeclined ||
		evs[0].(event.PaymentDeclined).Code != order.DefaultActionDeclineCode {
		t.Fatalf("decline: %+v %v", evs, err)
	}
}

// The customer's action succeeds just after the wait expired: compensation voided the hold the late
// success recorded, released the stock, and the order is rejected as the expiry said.
func TestLateActionSuccessAfterTheExpiry(t *testing.T) {
	o := awaiting(t)
	must(t)(o.CompletePaymentAction("pi-3ds", t0))
	if _, err := o.DeclinePayment("payment_action_expired", t0); err == nil {
		t.Fatal("an authorized order still holding its payment was rejected")
	}
	must(t)(o.VoidPayment(t0))
	must(t)(o.MarkStockReleased(t0))
	evs, err := o.DeclinePayment("payment_action_expired", t0)
	if err != nil || o.Status() != order.Rejected || evs[0].(event.PaymentDeclined).Code != "payment_action_expired" {
		t.Fatalf("decline after the late success: %v %v", types(evs), err)
	}
}

// The capture: due once, repeated a no-op, declined a route to rejection, recorded after a
// cancellation (so compensation refunds it) but not after compensation gave the payment back.
func TestCapture(t *testing.T) {
	o := inState(t, order.PaymentAuthorized)
	evs, err := o.CapturePayment("ch-1", t0)
	c, ok := evs[0].(event.PaymentCaptured)
	if err != nil || !ok || c.CaptureID != "ch-1" || c.AuthorizationID != "auth-1" || c.Amount != o.Total() || c.Status != "PAYMENT_AUTHORIZED" {
		t.Fatalf("capture: %+v %v", evs, err)
	}
	if _, err := o.CapturePayment("ch-2", t0); !errors.Is(err, order.ErrInvalidTransition) {
		t.Fatalf("a second capture: %v", err)
	}
	if _, err := o.DeclineCapture("capture_declined", t0); !errors.Is(err, order.ErrInvalidTransition) {
		t.Fatalf("a decline after the capture: %v", err)
	}

	o = at(order.PaymentAuthorized, cancel)(t)
	if o.CaptureDue() {
		t.Fatal("capture due with a cancellation pending")
	}
	must(t)(o.CapturePayment("ch-1", t0))
	if o.PaymentReturn() != order.ReturnRefund {
		t.Fatalf("a capture after the cancellation: return %s", o.PaymentReturn())
	}

	o = at(order.PaymentAuthorized, voided)(t)
	if _, err := o.CapturePayment("ch-1", t0); !errors.Is(err, order.ErrInvalidTransition) {
		t.Fatalf("a capture after the void: %v", err)
	}
}

// Reports of refunds and disputes the provider makes on its own: recorded with the order's status as
// it is, the order's own refund ignored, bad amounts refused.
func TestOutsideRefundsAndDisputes(t *testing.T) {
	o := at(order.Confirmed, cancel, refunded)(t)
	if evs, err := o.RecordOutsideRefund("re-1", o.Total(), t0); err != nil || evs != nil {
		t.Fatalf("the order's own refund reported back: %v %v", evs, err)
	}
	part, _ := money.New(500, "USD")
	evs, err := o.RecordOutsideRefund("re-dash", part, t0)
	r, ok := evs[0].(event.PaymentRefundedOutside)
	if err != nil || !ok || r.RefundID != "re-dash" || r.Amount != part || r.Status != "CONFIRMED" || o.Status() != order.Confirmed {
		t.Fatalf("outside refund: %+v %v", evs, err)
	}
	evs, err = o.RecordDispute("dp-1", "fraudulent", o.Total(), t0)
	d, ok := evs[0].(event.PaymentDisputed)
	if err != nil || !ok || d.DisputeID != "dp-1" || d.DisputeReason != "fraudulent" || d.AuthorizationID != "auth-1" {
		t.Fatalf("dispute: %+v %v", evs, err)
	}
	eur, _ := money.New(500, "EUR")
	for _, bad := range []money.Money{eur, {}} {
		if _, err := o.RecordDispute("dp-2", "x", bad, t0); !errors.Is(err, validation.ErrInvalid) {
			t.Errorf("amount %v: %v", bad, err)
		}
	}
}

// The task token steers the saga run: it must never reach an event or the order's description.
func TestTaskTokenStaysInTheOrder(t *testing.T) {
	o := awaiting(t)
	if _, err := o.AwaitPaymentAction("secret-task-token", t0); err != nil {
		t.Fatal(err)
	}
	evs, err := o.CompletePaymentAction("pi-3ds", t0)
	if err != nil {
		t.Fatal(err)
	}
	if s := fmt.Sprintf("%v %+v", o, evs); strings.Contains(s, "secret-task-token") {
		t.Fatal("the task token leaked")
	}
	back, err := order.FromSnapshot(o.Snapshot())
	if err != nil || back.Payment().TaskToken != "secret-task-token" {
		t.Fatalf("the snapshot lost the token: %v", err)
	}
}

func types(evs []event.Payload) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.EventType())
	}
	return out
}
