package saga

import (
	"context"
	"errors"
	"fmt"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/order"
)

// Finish ends a compensated order with its outcome: the one given (the cancellation run, recovery) or
// the one the caught error names (the order saga: CaughtError.outcome): REJECTED (PAYMENT_DECLINED),
// CANCELLED, or FAILED with a reason. Which transition that is, given where the order is, is the
// order's (order.Order.Finish): a requested cancellation wins over a technical failure, and an order
// that already ended, or a confirmed order nobody asked to cancel, is left as it is.
func (s *Steps) Finish(ctx context.Context, in Input) (Result, error) {
	var out Outcome
	switch {
	case in.Outcome != nil:
		out = *in.Outcome
	case in.Error != nil:
		out = in.Error.outcome()
	default:
		return Result{}, &InvalidInput{Err: errors.New("outcome or error is required")}
	}
	switch {
	case out.Status == order.Rejected && out.Reason == order.PaymentDeclined:
	case out.Status == order.Cancelled:
	case out.Status == order.Failed && (out.Reason == order.PaymentUnavailable || out.Reason == order.StepFailed || out.Reason == order.SagaFailed):
	default:
		return Result{}, &InvalidInput{Err: fmt.Errorf("outcome %s cannot be finished by compensation", out)}
	}
	return s.step(ctx, in, func(ctx context.Context, id order.ID, cause event.Cause) (Result, error) {
		return orderResult(s.store.Update(ctx, id, cause, func(o *order.Order) ([]event.Payload, error) {
			return o.Finish(out.Status, out.Reason, out.DeclineCode, s.now())
		}))
	})
}
