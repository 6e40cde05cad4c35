package saga

import (
	"context"
	"errors"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/order"
)

// Await is the wait for the customer's payment action (3-D Secure): the Task
// lambda:invoke.waitForTaskToken hands it the run's task token, and the run waits until someone
// answers that token. The step stores the token on the order. When the provider's event came first
// (the order records the outcome), it answers the token itself; otherwise the provider-event handler
// will, when it records the outcome (ProviderEvents): each conditional write sees the other's, so
// whichever is second resumes the run, and a duplicate answer finds the task closed (ErrTaskClosed).
//
// The run resumes with the order's Result (authorized) or the failure PaymentDeclined with the
// provider's code. An order off the path (ended, a cancellation pending) fails the task at once with
// next's error; the Task's TimeoutSeconds ends a wait nobody answers (docs/saga.md).
func (s *Steps) Await(ctx context.Context, in Input) (Result, error) {
	if in.TaskToken == "" {
		return Result{}, &InvalidInput{Err: errors.New("taskToken is required")}
	}
	return s.step(ctx, in, func(ctx context.Context, id order.ID, cause event.Cause) (Result, error) {
		o, err := s.store.Get(ctx, id)
		if err != nil {
			return Result{}, err
		}
		if err := next(o, order.Reserved, order.PaymentAuthorized); err != nil || o.Status().IsSold() {
			return resultOf(o), err // a confirmed order (a repeated run) has nothing to wait for either
		}
		var out order.ActionOutcome
		o, err = s.store.UpdateFrom(ctx, o, cause, func(o *order.Order) ([]event.Payload, error) {
			var err error
			out, err = o.AwaitPaymentAction(in.TaskToken, s.now())
			return nil, err
		})
		if errors.Is(err, order.ErrCancellationRequested) {
			// The cancellation landed between the read above and the token's write: compensation now.
			if o, err = s.store.Get(ctx, id); err != nil {
				return Result{}, err
			}
			return Result{}, &CancellationRequested{Order: resultOf(o)}
		}
		if err != nil {
			return Result{}, err
		}
		if out == order.ActionPending {
			return resultOf(o), nil // the provider's event will resume the run
		}
		return resultOf(o), resume(ctx, s.Resumer, in.TaskToken, o)
	})
}
