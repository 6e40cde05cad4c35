package saga

import (
	"context"
	"fmt"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/order"
)

// refundable reports whether compensation should give an authorized payment back: before confirmation
// always, after confirmation only for a cancellation (a confirmed order is otherwise a success).
func refundable(o *order.Order) bool {
	p := o.Payment()
	if p.AuthorizationID == "" || p.RefundID != "" {
		return false
	}
	return o.Status() == order.PaymentAuthorized || (o.Status() == order.Confirmed && o.Cancellation() != nil)
}

// Refund gives an authorized payment back (compensation); it does nothing when there is nothing to
// refund. The provider is keyed by the order id, so a repeated refund returns the same refund.
func (s *Steps) Refund(ctx context.Context, in Input) (Result, error) {
	return s.step(ctx, in, func(ctx context.Context, id order.ID, cause event.Cause) (Result, error) {
		o, err := s.store.Get(ctx, id)
		if err != nil || !refundable(o) {
			return orderResult(o, err)
		}
		refundID, err := s.payments.Refund(ctx, string(id), o.Payment().AuthorizationID, o.Total())
		if err != nil {
			return Result{}, fmt.Errorf("refund payment of %s: %w", id, err)
		}
		return orderResult(s.store.UpdateFrom(ctx, o, cause, func(o *order.Order) ([]event.Payload, error) {
			if !refundable(o) {
				return nil, nil
			}
			return o.RefundPayment(refundID, s.now())
		}))
	})
}
