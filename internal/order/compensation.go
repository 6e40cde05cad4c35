package order

import (
	"fmt"
	"time"

	"github.com/orion-oss/orion/internal/event"
)

// PaymentDue reports whether the saga should ask the provider to authorize the order's total: only a
// RESERVED order that still holds its stock and has no pending cancellation. (An authorization that
// comes back after a cancellation arrived is still recorded, so that compensation refunds it: see
// AuthorizePayment.)
func (o *Order) PaymentDue() bool {
	return o.status == Reserved && o.cancellation == nil && !o.stockReleased
}

// RefundDue reports whether compensation should give the authorized payment back: before
// confirmation always, after confirmation only for a cancellation (a confirmed order is otherwise a
// success). Once refunded, nothing is due.
func (o *Order) RefundDue() bool {
	if o.payment.AuthorizationID == "" || o.payment.RefundID != "" {
		return false
	}
	return o.status == PaymentAuthorized || (o.status == Confirmed && o.cancellation != nil)
}

// Finish ends a compensated order with the outcome the saga reached: REJECTED (PAYMENT_DECLINED, with
// the provider's decline code), CANCELLED, or FAILED with a failure reason. A cancellation that was
// requested wins over a technical failure: the customer asked for it and nothing is held any more. An
// order that already ended, or a confirmed order nobody asked to cancel, is left as it is: it has its
// one outcome. The transitions check that compensation is complete (ErrCompensationPending).
func (o *Order) Finish(to Status, reason Reason, declineCode string, now time.Time) ([]event.Payload, error) {
	switch {
	case o.status.IsTerminal(), o.status == Confirmed && o.cancellation == nil:
		return nil, nil
	case o.cancellation != nil && to != Rejected:
		return o.CompleteCancellation(now)
	case to == Rejected:
		return o.DeclinePayment(declineCode, now)
	case to == Failed:
		return o.Fail(reason, now)
	}
	return nil, fmt.Errorf("%w: no cancellation to complete", ErrInvalidTransition)
}
