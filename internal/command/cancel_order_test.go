package command_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/order"
)

func TestCancelOrder(t *testing.T) {
	tests := []struct {
		name   string
		status order.Status
		caller customer.ID
		admin  bool
		// want is the order's status afterwards and who asked; err when it is refused.
		want order.Status
		by   order.Requester
		err  error
	}{
		{name: "owner, pending: cancelled at once", status: order.Pending, caller: "ann", want: order.Cancelled, by: order.ByCustomer},
		{name: "owner, reserved: requested", status: order.Reserved, caller: "ann", want: order.Reserved, by: order.ByCustomer},
		{name: "admin, another's order", status: order.Confirmed, caller: "root", admin: true, want: order.Confirmed, by: order.ByAdmin},
		{name: "admin, own order", status: order.Reserved, caller: "ann", admin: true, want: order.Reserved, by: order.ByCustomer},
		{name: "another customer: as if there were none", status: order.Pending, caller: "bob", err: order.ErrNotFound},
		{name: "final", status: order.Rejected, caller: "ann", err: order.ErrTerminal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newOrders()
			id := r.add(t, "ann", tt.status)
			o, err := command.NewCancelOrderHandler(r).Handle(context.Background(), command.CancelOrder{OrderID: id, Caller: tt.caller, Admin: tt.admin})
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err %v; want %v", err, tt.err)
				}
				if len(r.events) != 0 {
					t.Fatalf("events %v after a refusal", r.events)
				}
				return
			}
			if err != nil || o.Status() != tt.want || o.Cancellation() == nil || o.Cancellation().By != tt.by || len(r.events) != 1 {
				t.Fatalf("got %v %v (cancellation %+v, events %v); want %s requested by %s", o, err, o.Cancellation(), r.events, tt.want, tt.by)
			}
		})
	}
	if _, err := command.NewCancelOrderHandler(newOrders()).Handle(context.Background(), command.CancelOrder{OrderID: "01JDQ7Z3M6X9V0YB2C4D5E6F7G", Caller: "ann"}); !errors.Is(err, order.ErrNotFound) {
		t.Fatalf("missing order: %v", err)
	}
}

// waits records how the handler ended waits: a small fake of the command's own PaymentWaits port.
type waits struct{ failed []string }

func (w *waits) Fail(_ context.Context, token, name, _ string) error {
	w.failed = append(w.failed, token+" "+name)
	return nil
}

// Cancelling an order whose saga run waits for the customer's payment action wakes the run with
// CancellationRequested; an order that waits for nothing, or whose run has not stored its token yet,
// wakes nothing.
func TestCancelOrderWakesAPaymentWait(t *testing.T) {
	for _, c := range []struct {
		name  string
		token string
		act   bool
		want  []string
	}{
		{"waiting with a token", "task-1", true, []string{"task-1 CancellationRequested"}},
		{"action asked, no token yet", "", true, nil},
		{"no action", "", false, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newOrders()
			id := r.add(t, "ann", order.Pending)
			now := time.Now()
			if _, err := r.Update(context.Background(), id, event.Cause{}, func(o *order.Order) ([]event.Payload, error) {
				evs, err := o.MarkReserved(now)
				if err != nil || !c.act {
					return evs, err
				}
				if _, err := o.RequirePaymentAction("pi_1", order.PaymentAction{Type: "redirect_to_url", RedirectURL: "https://x.example/3ds"}, now); err != nil {
					return nil, err
				}
				if c.token != "" {
					_, err = o.AwaitPaymentAction(c.token, now)
				}
				return evs, err
			}); err != nil {
				t.Fatal(err)
			}
			w := &waits{}
			h := command.NewCancelOrderHandler(r)
			h.Waits = w
			for range 2 { // a repeated request wakes again: the first wake-up may have been lost
				if _, err := h.Handle(context.Background(), command.CancelOrder{OrderID: id, Caller: "ann"}); err != nil {
					t.Fatal(err)
				}
			}
			if len(c.want) > 0 {
				c.want = append(c.want, c.want...)
			}
			if !slices.Equal(w.failed, c.want) {
				t.Fatalf("woke %q; want %q", w.failed, c.want)
			}
		})
	}
}
