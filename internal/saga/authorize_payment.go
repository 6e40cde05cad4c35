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
// due (order.Order.PaymentDue: RESERVED, holding its stock, no pending cancellation); an order elsewhere goes on or leaves the happy path
// as next says. A decline is *PaymentDeclined (compensation, REJECTED); an unavailable provider is
// *PaymentUnavailable, which the state machine retries.
func (s *Steps) Authorize(ctx context.Context, in Input) (Result, error) {
	return s.step(ctx, in, func(ctx context.Context, id order.ID, cause event.Cause) (Result, error) {
		o, err := s.store.Get(ctx, id)
		if err != nil || !o.PaymentDue() {
			return forward(o, err, order.PaymentAuthorized)
		}
		start := time.Now()
		auth, err := s.payments.Authorize(ctx, payment.AuthorizeRequest{OrderID: string(id), IdempotencyKey: payment.Key(string(id), payment.OpAuthorize),
			Token: o.PaymentToken(), Amount: o.Total(), Attempt: in.Attempt})
		authID := auth.ID
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

// paymentError counts a provider configuration error (PaymentConfigurationErrors, which the template
// alarms on: the provider refused Orion's credentials or request, and no retry fixes that) and returns
// the error as it is: the state machine retries it as any step error, then compensates.
func (s *Steps) paymentError(err error) error {
	if errors.Is(err, payment.ErrMisconfigured) {
		s.Metrics.Emit(nil, metrics.Metric{Name: "PaymentConfigurationErrors", Unit: metrics.Count, Value: 1})
	}
	return err
}
