package saga

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/payment"
	"github.com/orion-oss/orion/internal/platform/metrics"
)

// Reserve holds stock for every line of a PENDING order at once, or rejects it OUT_OF_STOCK
// (*OutOfStock). An order it finds elsewhere goes on if it is on its way (RESERVED, PAYMENT_AUTHORIZED,
// CONFIRMED) and otherwise leaves the happy path by a named error (route.go).
func (s *Steps) Reserve(ctx context.Context, in Input) (Result, error) {
	return s.step(ctx, in, func(ctx context.Context, id order.ID, cause event.Cause) (Result, error) {
		o, err := s.moveStock(ctx, id, cause, order.ReserveStock)
		return forward(o, err, order.Reserved, order.PaymentAuthorized)
	})
}

// moveStock runs one of the domain's stock steps on the order and the stock of its lines, in one
// conditional write; where the step does not apply, the order is returned as it is.
func (s *Steps) moveStock(ctx context.Context, id order.ID, cause event.Cause, step order.StockStep) (*order.Order, error) {
	return s.store.UpdateOrderStock(ctx, id, cause, step.Applies, func(o *order.Order, stock *inventory.OrderStock) ([]event.Payload, error) {
		return step.Apply(o, stock, s.now())
	})
}

// Authorize asks the provider to hold the order total. It authorizes only a RESERVED order that
// holds its stock and has no pending cancellation; an order elsewhere goes on or leaves the happy path
// as next says. A decline is *PaymentDeclined (compensation, REJECTED); an unavailable provider is
// *PaymentUnavailable, which the state machine retries.
func (s *Steps) Authorize(ctx context.Context, in Input) (Result, error) {
	return s.step(ctx, in, func(ctx context.Context, id order.ID, cause event.Cause) (Result, error) {
		o, err := s.store.Get(ctx, id)
		if err != nil || o.Status() != order.Reserved || o.Cancellation() != nil || o.StockReleased() {
			return forward(o, err, order.PaymentAuthorized)
		}
		start := time.Now()
		authID, err := s.payments.Authorize(ctx, payment.AuthorizeRequest{Key: string(id), Token: o.PaymentToken(), Amount: o.Total(), Attempt: in.Attempt})
		s.paymentLatency(time.Since(start), err)
		var declined *payment.DeclinedError
		switch {
		case errors.As(err, &declined):
			return Result{}, &PaymentDeclined{Code: declined.Code}
		case errors.Is(err, payment.ErrUnavailable):
			return Result{}, &PaymentUnavailable{Err: err}
		case err != nil:
			return Result{}, fmt.Errorf("authorize payment of %s: %w", id, err)
		}
		// A cancellation may have arrived while the provider answered: the authorization is recorded
		// all the same (RESERVED -> PAYMENT_AUTHORIZED), so that compensation refunds it.
		o, err = s.store.UpdateFrom(ctx, o, cause, func(o *order.Order) ([]event.Payload, error) {
			return o.AuthorizePayment(authID, s.now())
		})
		return forward(o, err, order.PaymentAuthorized)
	})
}

// Confirm turns held stock into sold stock and confirms the order. A pending cancellation is
// *CancellationRequested, which the state machine compensates.
func (s *Steps) Confirm(ctx context.Context, in Input) (Result, error) {
	return s.step(ctx, in, func(ctx context.Context, id order.ID, cause event.Cause) (Result, error) {
		o, err := s.moveStock(ctx, id, cause, order.ConfirmStock)
		if errors.Is(err, order.ErrCancellationRequested) {
			o, err = s.store.Get(ctx, id)
		}
		return forward(o, err)
	})
}

// forward ends a forward step: the order's Result when the saga goes on from where it is, or the
// named error that routes it off the happy path (next).
func forward(o *order.Order, err error, goOn ...order.Status) (Result, error) {
	if err != nil {
		return Result{}, err
	}
	if err := next(o, goOn...); err != nil {
		return Result{}, err
	}
	return resultOf(o), nil
}

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

// Release gives reserved stock back (compensation before confirmation); a no-op otherwise.
func (s *Steps) Release(ctx context.Context, in Input) (Result, error) {
	return s.step(ctx, in, func(ctx context.Context, id order.ID, cause event.Cause) (Result, error) {
		return orderResult(s.moveStock(ctx, id, cause, order.ReleaseStock))
	})
}

// Return gives a cancelled confirmed order's sold stock back (compensation after confirmation).
func (s *Steps) Return(ctx context.Context, in Input) (Result, error) {
	return s.step(ctx, in, func(ctx context.Context, id order.ID, cause event.Cause) (Result, error) {
		return orderResult(s.moveStock(ctx, id, cause, order.ReturnStock))
	})
}

// Finish ends a compensated order with its outcome: the one given (the cancellation run, recovery) or
// the one the caught error names (the order saga: CaughtError.outcome): REJECTED (PAYMENT_DECLINED),
// CANCELLED, or FAILED with a reason. A cancellation that was requested wins over a technical failure:
// the customer asked for it and nothing is held any more. An order that already ended, or a confirmed
// order nobody asked to cancel, is left as it is: it has its one outcome.
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
			now := s.now()
			switch {
			case o.Status().IsTerminal(), o.Status() == order.Confirmed && o.Cancellation() == nil:
				return nil, nil
			case o.Cancellation() != nil && out.Status != order.Rejected:
				return o.CompleteCancellation(now)
			case out.Status == order.Rejected:
				return o.DeclinePayment(out.DeclineCode, now)
			case out.Status == order.Failed:
				return o.Fail(out.Reason, now)
			}
			return nil, fmt.Errorf("%w: no cancellation to complete", order.ErrInvalidTransition)
		}))
	})
}

// Recover compensates an order whose saga run itself ended badly (failed, timed out, aborted: Step
// Functions reports it on EventBridge): it refunds, gives back held or, for a cancellation, sold stock,
// and ends the order CANCELLED if a cancellation was requested, FAILED (SAGA_FAILED) otherwise. A
// confirmed order without a cancellation, or an order that already ended, is left alone.
func (s *Steps) Recover(ctx context.Context, in Input) (Result, error) {
	r, err := s.Refund(ctx, in)
	if err != nil {
		return r, err
	}
	switch {
	case r.Status == string(order.Confirmed) && r.CancellationRequested:
		r, err = s.Return(ctx, in)
	case r.Status == string(order.Reserved) || r.Status == string(order.PaymentAuthorized):
		r, err = s.Release(ctx, in)
	}
	if err != nil {
		return r, err
	}
	in.Outcome = &Outcome{Status: order.Failed, Reason: order.SagaFailed}
	return s.Finish(ctx, in)
}

// paymentLatency records how long the provider took, by what it answered.
func (s *Steps) paymentLatency(d time.Duration, err error) {
	outcome := "AUTHORIZED"
	switch {
	case errors.Is(err, payment.ErrDeclined):
		outcome = "DECLINED"
	case errors.Is(err, payment.ErrUnavailable):
		outcome = "UNAVAILABLE"
	case err != nil:
		outcome = "ERROR"
	}
	s.Metrics.Emit(map[string]string{"Outcome": outcome}, metrics.Metric{Name: "PaymentLatency", Unit: metrics.Milliseconds, Value: float64(d.Microseconds()) / 1000})
}
