package order

import (
	"fmt"
	"time"

	"github.com/orion-oss/orion/internal/event"
)

// PaymentDue reports whether the saga should ask the provider to authorize the order's total: only a
// RESERVED order that still holds its stock, has no pending cancellation and holds no payment yet (an
// order awaiting the customer's action holds one). An authorization that comes back after a
// cancellation arrived is still recorded, so that compensation voids it: see AuthorizePayment.
func (o *Order) PaymentDue() bool {
	return o.status == Reserved && o.cancellation == nil && !o.stockReleased && o.payment.AuthorizationID == ""
}

// PaymentReturn is how compensation gives the payment back, which is the domain's decision: nothing
// when nothing is held or it was given back already; before confirmation, a void of a hold never
// captured and a refund of captured money; after confirmation only for a cancellation (a confirmed
// order is otherwise a success), by refund (or a void for an order confirmed before Orion captured).
func (o *Order) PaymentReturn() Return {
	p := o.payment
	switch {
	case p.AuthorizationID == "" || p.Voided || p.RefundID != "":
		return ReturnNone
	case o.status == Confirmed && o.cancellation == nil, o.status != Reserved && o.status != PaymentAuthorized && o.status != Confirmed:
		return ReturnNone
	case p.CaptureID != "":
		return ReturnRefund
	}
	return ReturnVoid
}

// Finish ends a compensated order with the outcome the saga reached: REJECTED (PAYMENT_DECLINED, with
// the provider's decline code), CANCELLED, or FAILED with a failure reason. A cancellation that was
// requested wins over a technical failure: the customer asked for it and nothing is held any more. An
// order that already ended, or a confirmed (or since shipped) order nobody asked to cancel, is left as it
// is: it has its one outcome. The transitions check that compensation is complete (ErrCompensationPending).
func (o *Order) Finish(to Status, reason Reason, declineCode string, now time.Time) ([]event.Payload, error) {
	switch {
	case o.status.IsTerminal(), o.status.IsSold() && o.cancellation == nil:
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
