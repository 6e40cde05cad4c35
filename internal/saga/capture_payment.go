package saga

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/payment"
)

// Capture takes the authorized total. It was the step before ConfirmOrder until Confirm captured
// itself (docs/adr/0022); it stays for the executions started before that, which invoke it by version,
// and a Confirm that follows it finds the order captured. It captures only when a capture is due (order.Order.CaptureDue); an order elsewhere
// goes on (captured already: a repeated step) or leaves the happy path as next says. A declined
// capture is recorded on the order and answered *PaymentDeclined, which compensation turns into a
// void, the stock's release and REJECTED PAYMENT_DECLINED; an unavailable provider is
// *PaymentUnavailable, which the state machine retries before it voids and fails the order.
func (s *Steps) Capture(ctx context.Context, in Input) (Result, error) {
	return s.step(ctx, in, func(ctx context.Context, id order.ID, cause event.Cause) (Result, error) {
		o, err := s.store.Get(ctx, id)
		if err != nil || !o.CaptureDue() {
			return captured(o, err)
		}
		captureID, o, declined, err := s.capture(ctx, in, cause, o)
		switch {
		case declined:
			return captured(o, err)
		case err != nil:
			return Result{}, err
		}
		// A cancellation may have arrived meanwhile: the capture is recorded all the same, so that
		// compensation refunds it.
		o, err = s.store.UpdateFrom(ctx, o, cause, func(o *order.Order) ([]event.Payload, error) {
			return o.CapturePayment(captureID, s.now())
		})
		return captured(o, err)
	})
}

// capture asks the provider for the order's total (keyed by the order id). A decline is recorded on the
// order, so that a repeated step answers the same and the order may end REJECTED: declined is true and o
// is the order after that write. An unavailable provider is *PaymentUnavailable; any other failure is
// wrapped. Capture and Confirm share it.
func (s *Steps) capture(ctx context.Context, in Input, cause event.Cause, o *order.Order) (captureID string, _ *order.Order, declined bool, err error) {
	start := time.Now()
	captureID, err = s.payments.Capture(ctx, payment.CaptureRequest{OrderID: string(o.ID()), IdempotencyKey: payment.Key(string(o.ID()), payment.OpCapture),
		AuthorizationID: o.Payment().AuthorizationID, Amount: o.Total(), Attempt: in.Attempt})
	s.paymentLatency("CAPTURE", time.Since(start), err)
	var refused *payment.DeclinedError
	switch {
	case errors.As(err, &refused):
		o, err = s.store.UpdateFrom(ctx, o, cause, func(o *order.Order) ([]event.Payload, error) {
			return o.DeclineCapture(refused.Code, s.now())
		})
		return "", o, true, err
	case errors.Is(err, payment.ErrUnavailable):
		return "", o, false, &PaymentUnavailable{Err: err}
	case err != nil:
		return "", o, false, fmt.Errorf("capture payment of %s: %w", o.ID(), s.paymentError(err))
	}
	return captureID, o, false, nil
}

// captured ends the capture step from where the order is: a declined capture is *PaymentDeclined,
// anything else as next says.
func captured(o *order.Order, err error) (Result, error) {
	if err == nil && o.Status() == order.PaymentAuthorized && o.Payment().DeclineCode != "" && o.Cancellation() == nil {
		return Result{}, &PaymentDeclined{Code: o.Payment().DeclineCode}
	}
	return forward(o, err, order.PaymentAuthorized)
}
