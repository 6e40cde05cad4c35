package saga

import (
	"context"
	"fmt"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/payment"
)

// RefundReturn gives a received return's money back (in.ReturnID): a refund of the return's amount
// from the order's captured payment, keyed by the order and the return, so that a repeated delivery of
// OrderReturnReceived refunds once, then REFUNDED on the order with PaymentRefunded. A return that is
// not due a refund (not received yet, refunded already) is a no-op; one the order does not have is an
// input problem, and so is a received return of an order without a captured payment: there is no money
// to give back, yet the customer sent units back for it, so it must not pass as done (RequestReturn
// refuses such orders; one stored so is a bug for an operator, not a success). A refund the provider
// refuses (payment.ErrRefundExceedsRemaining: refunded in its dashboard meanwhile) is returned as it
// is: nothing is recorded, and the event ends in refund-dlq for an operator.
func (s *Steps) RefundReturn(ctx context.Context, in Input) (Result, error) {
	return s.step(ctx, in, func(ctx context.Context, id order.ID, cause event.Cause) (Result, error) {
		if in.ReturnID == "" {
			return Result{}, &InvalidInput{Err: fmt.Errorf("refund a return of %s: no returnId", id)}
		}
		o, err := s.store.Get(ctx, id)
		if err != nil {
			return Result{}, err
		}
		r, ok := o.FindReturn(in.ReturnID)
		switch {
		case !ok:
			return Result{}, &InvalidInput{Err: fmt.Errorf("%w: %s of order %s", order.ErrReturnNotFound, in.ReturnID, id)}
		case r.Status == order.ReturnReceived && o.Payment().CaptureID == "":
			return Result{}, &InvalidInput{Err: fmt.Errorf("refund return %s of %s: received, but the order has no captured payment to refund", r.ID, id)}
		case !o.ReturnRefundDue(in.ReturnID):
			return resultOf(o), nil
		}
		refundID, err := s.payments.Refund(ctx, payment.RefundRequest{OrderID: string(id),
			IdempotencyKey: payment.Key(string(id), payment.ReturnRefund(r.ID)), AuthorizationID: o.Payment().AuthorizationID,
			Amount: r.Amount, ReturnID: r.ID, Attempt: in.Attempt})
		if err != nil {
			return Result{}, fmt.Errorf("refund return %s of %s: %w", r.ID, id, s.paymentError(err))
		}
		return orderResult(s.store.UpdateFrom(ctx, o, cause, func(o *order.Order) ([]event.Payload, error) {
			if !o.ReturnRefundDue(r.ID) {
				return nil, nil // refunded meanwhile by another delivery of the same event
			}
			return o.RefundReturn(r.ID, refundID, s.now())
		}))
	})
}
