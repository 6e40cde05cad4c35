package saga

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/payment"
	"github.com/orion-oss/orion/internal/platform/metrics"
)

// Authorize asks the provider to hold the order total. It authorizes only an order whose payment is
// due (order.Order.PaymentDue: RESERVED, holding its stock, no pending cancellation, no payment yet);
// an order elsewhere goes on or leaves the happy path as next says. An approval makes the order
// PAYMENT_AUTHORIZED; a customer action (3-D Secure) leaves it RESERVED with the action recorded and
// answers *PaymentActionRequired, which the state machine routes to the wait (Await). A decline is
// *PaymentDeclined (compensation, REJECTED); an unavailable provider is *PaymentUnavailable, which the
// state machine retries.
func (s *Steps) Authorize(ctx context.Context, in Input) (Result, error) {
	return s.step(ctx, in, func(ctx context.Context, id order.ID, cause event.Cause) (Result, error) {
		o, err := s.store.Get(ctx, id)
		if err != nil || !o.PaymentDue() {
			return authorized(o, err)
		}
		start := time.Now()
		auth, err := s.payments.Authorize(ctx, payment.AuthorizeRequest{OrderID: string(id), IdempotencyKey: payment.Key(string(id), payment.OpAuthorize),
			Token: o.PaymentToken(), Amount: o.Total(), Attempt: in.Attempt})
		s.paymentLatency("AUTHORIZE", time.Since(start), err)
		var declined *payment.DeclinedError
		switch {
		case errors.As(err, &declined):
			return Result{}, &PaymentDeclined{Code: declined.Code}
		case errors.Is(err, payment.ErrUnavailable):
			return Result{}, &PaymentUnavailable{Err: err}
		case err != nil:
			return Result{}, fmt.Errorf("authorize payment of %s: %w", id, s.paymentError(err))
		}
		// A cancellation may have arrived while the provider answered: the authorization is recorded
		// all the same (RESERVED -> PAYMENT_AUTHORIZED, or the pending action), so that compensation
		// voids it.
		o, err = s.store.UpdateFrom(ctx, o, cause, func(o *order.Order) ([]event.Payload, error) {
			if a := auth.Action; a != nil {
				return o.RequirePaymentAction(auth.ID, order.PaymentAction{Type: a.Type, RedirectURL: a.RedirectURL}, s.now())
			}
			return o.AuthorizePayment(auth.ID, s.now())
		})
		return authorized(o, err)
	})
}

// authorized ends the authorize step from where the order is: PAYMENT_AUTHORIZED goes on to the
// capture; a RESERVED order whose payment awaits the customer's action, or has its outcome recorded
// already (the wait answers at once then), is *PaymentActionRequired; elsewhere as next says (a
// cancellation pending wins: compensation voids the hold rather than wait for it).
func authorized(o *order.Order, err error) (Result, error) {
	if err != nil {
		return Result{}, err
	}
	if _, awaits := o.ActionOutcome(); awaits && o.Status() == order.Reserved {
		if err := next(o, order.Reserved); err != nil {
			return Result{}, err
		}
		return Result{}, &PaymentActionRequired{Order: resultOf(o)}
	}
	return forward(o, nil, order.PaymentAuthorized)
}

// paymentLatency records how long the provider took for an operation (AUTHORIZE, CAPTURE), by what
// it answered (AUTHORIZED or CAPTURED, DECLINED, UNAVAILABLE, ERROR).
func (s *Steps) paymentLatency(op string, d time.Duration, err error) {
	outcome := map[string]string{"AUTHORIZE": "AUTHORIZED", "CAPTURE": "CAPTURED"}[op]
	switch {
	case errors.Is(err, payment.ErrDeclined):
		outcome = "DECLINED"
	case errors.Is(err, payment.ErrUnavailable):
		outcome = "UNAVAILABLE"
	case err != nil:
		outcome = "ERROR"
	}
	s.Metrics.Emit(map[string]string{"Operation": op, "Outcome": outcome},
		metrics.Metric{Name: "PaymentLatency", Unit: metrics.Milliseconds, Value: float64(d.Microseconds()) / 1000})
}

// paymentError counts a provider configuration error (PaymentConfigurationErrors, which the template
// alarms on: the provider refused Orion's credentials or request, and no retry fixes that) and returns
// the error as it is: the state machine retries it as any step error, then compensates.
func (s *Steps) paymentError(err error) error {
	if errors.Is(err, payment.ErrMisconfigured) {
		s.Metrics.Emit(nil, metrics.Metric{Name: "PaymentConfigurationErrors", Unit: metrics.Count, Value: 1})
	}
	return err
}
