package order_test

import (
	"errors"
	"testing"
	"time"

	"github.com/orion-oss/orion/internal/order"
)

const (
	none   = order.ReturnNone
	void   = order.ReturnVoid
	refund = order.ReturnRefund
)

// Whether a payment is due, how compensation gives the payment back (none, void, refund), and how a
// compensated order ends, in every place of its life: what finishing it FAILED (STEP_FAILED), CANCELLED or REJECTED (PAYMENT_DECLINED)
// does. "-" is a no-op; a status is where the order ends; "pending" is ErrCompensationPending (stock or
// payment still held); "invalid" is ErrInvalidTransition.
func TestCompensationMatrix(t *testing.T) {
	tests := []struct {
		name                       string
		build                      func(t *testing.T) *order.Order
		paymentDue                 bool
		ret                        order.Return
		failed, cancelled, decline string
	}{
		{"PENDING", at(order.Pending), false, none, "FAILED", "invalid", "invalid"},
		{"RESERVED", at(order.Reserved), true, none, "pending", "invalid", "pending"},
		{"RESERVED, cancellation pending", at(order.Reserved, cancel), false, none, "pending", "pending", "pending"},
		{"RESERVED, stock released", at(order.Reserved, released), false, none, "FAILED", "invalid", "REJECTED"},
		{"RESERVED, cancelled, stock released", at(order.Reserved, cancel, released), false, none, "CANCELLED", "CANCELLED", "REJECTED"},
		{"RESERVED, action pending", at(order.Reserved, actionAsked), false, void, "pending", "invalid", "pending"},
		{"RESERVED, action pending, stock released", at(order.Reserved, actionAsked, released), false, void, "pending", "invalid", "pending"},
		{"RESERVED, action pending, cancelled, voided, stock released", at(order.Reserved, actionAsked, cancel, voided, released), false, none, "CANCELLED", "CANCELLED", "REJECTED"},
		{"RESERVED, action failed", at(order.Reserved, actionAsked, actionFailed), false, void, "pending", "invalid", "pending"},
		{"RESERVED, action failed, voided, stock released", at(order.Reserved, actionAsked, actionFailed, voided, released), false, none, "FAILED", "invalid", "REJECTED"},
		{"PAYMENT_AUTHORIZED", at(order.PaymentAuthorized), false, void, "pending", "invalid", "invalid"},
		{"PAYMENT_AUTHORIZED, cancellation pending", at(order.PaymentAuthorized, cancel), false, void, "pending", "pending", "invalid"},
		{"PAYMENT_AUTHORIZED, stock released", at(order.PaymentAuthorized, released), false, void, "pending", "invalid", "invalid"},
		{"PAYMENT_AUTHORIZED, voided", at(order.PaymentAuthorized, voided), false, none, "pending", "invalid", "pending"},
		{"PAYMENT_AUTHORIZED, voided, stock released", at(order.PaymentAuthorized, voided, released), false, none, "FAILED", "invalid", "REJECTED"}, // a late action success after the expiry
		{"PAYMENT_AUTHORIZED, cancelled, voided, stock released", at(order.PaymentAuthorized, cancel, voided, released), false, none, "CANCELLED", "CANCELLED", "REJECTED"},
		{"PAYMENT_AUTHORIZED, captured", at(order.PaymentAuthorized, captured), false, refund, "pending", "invalid", "invalid"},
		{"PAYMENT_AUTHORIZED, captured, refunded, stock released", at(order.PaymentAuthorized, captured, refunded, released), false, none, "FAILED", "invalid", "invalid"},
		{"PAYMENT_AUTHORIZED, capture declined", at(order.PaymentAuthorized, captureDeclined), false, void, "pending", "invalid", "pending"},
		{"PAYMENT_AUTHORIZED, capture declined, voided, stock released", at(order.PaymentAuthorized, captureDeclined, voided, released), false, none, "FAILED", "invalid", "REJECTED"},
		{"CONFIRMED", at(order.Confirmed), false, none, "-", "-", "-"},
		{"CONFIRMED, cancellation pending", at(order.Confirmed, cancel), false, refund, "pending", "pending", "invalid"},
		{"CONFIRMED, cancelled, refunded", at(order.Confirmed, cancel, refunded), false, none, "pending", "pending", "invalid"},
		{"CONFIRMED, cancelled, refunded, stock returned", at(order.Confirmed, cancel, refunded, returned), false, none, "CANCELLED", "CANCELLED", "invalid"},
		{"REJECTED", at(order.Rejected), false, none, "-", "-", "-"},
		{"CANCELLED", at(order.Cancelled), false, none, "-", "-", "-"},
		{"FAILED", at(order.Failed), false, none, "-", "-", "-"},
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
			if got := tt.build(t).PaymentReturn(); got != tt.ret {
				t.Errorf("PaymentReturn = %v; want %v", got, tt.ret)
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
