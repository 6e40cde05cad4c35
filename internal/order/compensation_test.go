package order_test

import (
	"errors"
	"testing"
	"time"

	"github.com/orion-oss/orion/internal/order"
)

// Whether a payment is due, which compensation is due, and how a compensated order ends, in every place of its life: whether a
// refund is due, and what finishing it FAILED (STEP_FAILED), CANCELLED or REJECTED (PAYMENT_DECLINED)
// does. "-" is a no-op; a status is where the order ends; "pending" is ErrCompensationPending (stock or
// payment still held); "invalid" is ErrInvalidTransition.
func TestCompensationMatrix(t *testing.T) {
	tests := []struct {
		name                       string
		build                      func(t *testing.T) *order.Order
		paymentDue, refundDue      bool
		failed, cancelled, decline string
	}{
		{"PENDING", at(order.Pending), false, false, "FAILED", "invalid", "invalid"},
		{"RESERVED", at(order.Reserved), true, false, "pending", "invalid", "pending"},
		{"RESERVED, cancellation pending", at(order.Reserved, cancel), false, false, "pending", "pending", "pending"},
		{"RESERVED, stock released", at(order.Reserved, released), false, false, "FAILED", "invalid", "REJECTED"},
		{"RESERVED, cancelled, stock released", at(order.Reserved, cancel, released), false, false, "CANCELLED", "CANCELLED", "REJECTED"},
		{"PAYMENT_AUTHORIZED", at(order.PaymentAuthorized), false, true, "pending", "invalid", "invalid"},
		{"PAYMENT_AUTHORIZED, cancellation pending", at(order.PaymentAuthorized, cancel), false, true, "pending", "pending", "invalid"},
		{"PAYMENT_AUTHORIZED, stock released", at(order.PaymentAuthorized, released), false, true, "pending", "invalid", "invalid"},
		{"PAYMENT_AUTHORIZED, refunded", at(order.PaymentAuthorized, refunded), false, false, "pending", "invalid", "invalid"},
		{"PAYMENT_AUTHORIZED, refunded, stock released", at(order.PaymentAuthorized, refunded, released), false, false, "FAILED", "invalid", "invalid"},
		{"PAYMENT_AUTHORIZED, cancelled, refunded, stock released", at(order.PaymentAuthorized, cancel, refunded, released), false, false, "CANCELLED", "CANCELLED", "invalid"},
		{"CONFIRMED", at(order.Confirmed), false, false, "-", "-", "-"},
		{"CONFIRMED, cancellation pending", at(order.Confirmed, cancel), false, true, "pending", "pending", "invalid"},
		{"CONFIRMED, cancelled, refunded", at(order.Confirmed, cancel, refunded), false, false, "pending", "pending", "invalid"},
		{"CONFIRMED, cancelled, refunded, stock returned", at(order.Confirmed, cancel, refunded, returned), false, false, "CANCELLED", "CANCELLED", "invalid"},
		{"REJECTED", at(order.Rejected), false, false, "-", "-", "-"},
		{"CANCELLED", at(order.Cancelled), false, false, "-", "-", "-"},
		{"FAILED", at(order.Failed), false, false, "-", "-", "-"},
	}
	outcomes := []struct {
		to          order.Status
		reason      order.Reason
		declineCode string
	}{{order.Failed, order.StepFailed, ""}, {order.Cancelled, "", ""}, {order.Rejected, order.PaymentDeclined, "card_declined"}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.build(t).PaymentDue(); got != tt.paymentDue {
				t.Errorf("PaymentDue = %v; want %v", got, tt.paymentDue)
			}
			if got := tt.build(t).RefundDue(); got != tt.refundDue {
				t.Errorf("RefundDue = %v; want %v", got, tt.refundDue)
			}
			for i, want := range []string{tt.failed, tt.cancelled, tt.decline} {
				out := outcomes[i]
				o := tt.build(t)
				before := o.Snapshot()
				evs, err := o.Finish(out.to, out.reason, out.declineCode, t0.Add(time.Minute))
				var got string
				switch {
				case errors.Is(err, order.ErrCompensationPending):
					got = "pending"
				case errors.Is(err, order.ErrInvalidTransition):
					got = "invalid"
				case err != nil:
					got = err.Error()
				case evs == nil && o.Version() == before.Version:
					got = "-"
				default:
					got = string(o.Status())
				}
				if got != want {
					t.Errorf("finish %s: %s (%v); want %s", out.to, got, err, want)
				}
				if err != nil && (evs != nil || o.Version() != before.Version) {
					t.Errorf("finish %s refused but changed the order", out.to)
				}
			}
		})
	}
}
