package saga

import (
	"context"
	"fmt"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/payment"
)

// Refund gives an authorized payment back (compensation); it does nothing when no refund is due
// (order.Order.RefundDue). The provider is keyed by the order id, so a repeated refund returns the
// same refund.
func (s *Steps) Refund(ctx context.Context, in Input) (Result, error) {
	return s.step(ctx, in, func(ctx context.Context, id order.ID, cause event.Cause) (Result, error) {
		o, err := s.store.Get(ctx, id)
		if err != nil || !o.RefundDue() {
			return orderResult(o, err)
		}
		refundID, err := s.payments.Refund(ctx, payment.RefundRequest{OrderID: string(id), IdempotencyKey: payment.Key(string(id), payment.OpRefund),
			AuthorizationID: o.Payment().AuthorizationID, Amount: o.Total(), Attempt: in.Attempt})
		if err != nil {
			return Result{}, fmt.Errorf("refund payment of %s: %w", id, err)
		}
		return orderResult(s.store.UpdateFrom(ctx, o, cause, func(o *order.Order) ([]event.Payload, error) {
			if !o.RefundDue() {
				return nil, nil
			}
			return o.RefundPayment(refundID, s.now())
		}))
	})
}
