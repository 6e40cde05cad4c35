package saga

import (
	"context"
	"fmt"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/payment"
)

// Refund gives the payment back (compensation, the cancellation of a confirmed order) the way the
// order decides (order.Order.PaymentReturn): a hold never captured is voided, captured money is
// refunded, and nothing happens when nothing is due. The provider is keyed by the order id and the
// operation, so a repeated step voids or refunds once. The step keeps the name refund-payment: it is
// the compensation of the payment, whichever call that takes.
func (s *Steps) Refund(ctx context.Context, in Input) (Result, error) {
	return s.step(ctx, in, func(ctx context.Context, id order.ID, cause event.Cause) (Result, error) {
		o, err := s.store.Get(ctx, id)
		if err != nil {
			return Result{}, err
		}
		var record func(o *order.Order) ([]event.Payload, error)
		switch o.PaymentReturn() {
		case order.ReturnVoid:
			err = s.payments.Void(ctx, payment.VoidRequest{OrderID: string(id), IdempotencyKey: payment.Key(string(id), payment.OpVoid),
				AuthorizationID: o.Payment().AuthorizationID, Attempt: in.Attempt})
			record = func(o *order.Order) ([]event.Payload, error) { return o.VoidPayment(s.now()) }
		case order.ReturnRefund:
			var refundID string
			refundID, err = s.payments.Refund(ctx, payment.RefundRequest{OrderID: string(id), IdempotencyKey: payment.Key(string(id), payment.OpRefund),
				AuthorizationID: o.Payment().AuthorizationID, Amount: o.Total(), Attempt: in.Attempt})
			record = func(o *order.Order) ([]event.Payload, error) { return o.RefundPayment(refundID, s.now()) }
		default:
			return resultOf(o), nil
		}
		if err != nil {
			return Result{}, fmt.Errorf("give back the payment of %s: %w", id, s.paymentError(err))
		}
		want := o.PaymentReturn()
		return orderResult(s.store.UpdateFrom(ctx, o, cause, func(o *order.Order) ([]event.Payload, error) {
			if o.PaymentReturn() != want {
				return nil, nil // another writer gave it back (or changed what is due) meanwhile: the next run decides
			}
			return record(o)
		}))
	})
}
