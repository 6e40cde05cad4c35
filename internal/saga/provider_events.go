package saga

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/payment"
	"github.com/orion-oss/orion/internal/platform/logging"
	"github.com/orion-oss/orion/internal/validation"
)

// ProviderEventStore is the storage the provider's events need (dynamo.Saga): an order change written
// together with a record of the event that caused it, once per event key (first false for a repeat).
type ProviderEventStore interface {
	UpdateOnce(ctx context.Context, id order.ID, key string, cause event.Cause, fn func(*order.Order) ([]event.Payload, error)) (o *order.Order, first bool, err error)
}

// ProviderEvents applies the payment provider's events (verified webhooks, translated by the provider's
// adapter) to their orders: the outcome of a customer action, which resumes the saga run waiting for
// it, and the provider's own refunds and disputes, which become domain events on the bus through the
// outbox. Every event is applied at most once (its id is recorded with the change) and at least once
// (the provider redelivers until it is acknowledged).
type ProviderEvents struct {
	store ProviderEventStore
	tasks TaskResumer
	now   func() time.Time
	Log   *slog.Logger
}

// NewProviderEvents builds the handler.
func NewProviderEvents(store ProviderEventStore, tasks TaskResumer) *ProviderEvents {
	return &ProviderEvents{store: store, tasks: tasks, now: time.Now, Log: slog.Default()}
}

// ErrUnknownOrder means the event names no order of this deployment (another system's payment on the
// same provider account, or an order id that is not Orion's). It is acknowledged, not retried.
var ErrUnknownOrder = errors.New("saga: the provider event names no known order")

// Handle applies one provider event. An event that no longer matters (the saga moved on: a success
// reported after the wait timed out and the hold was voided) changes nothing and is no error, so the
// provider stops redelivering it; ErrUnknownOrder likewise. Any other error is worth a redelivery.
func (h *ProviderEvents) Handle(ctx context.Context, ev payment.ProviderEvent) error {
	id, err := order.ParseID(ev.OrderID)
	if err != nil {
		return fmt.Errorf("%w: %w: %q", ErrUnknownOrder, order.ErrNotFound, ev.OrderID)
	}
	ctx = logging.With(ctx, string(id), string(id))
	var change func(*order.Order) ([]event.Payload, error)
	switch ev.Kind {
	case payment.ActionSucceeded:
		change = func(o *order.Order) ([]event.Payload, error) {
			return o.CompletePaymentAction(ev.AuthorizationID, h.now())
		}
	case payment.ActionFailed:
		change = func(o *order.Order) ([]event.Payload, error) { return o.FailPaymentAction(ev.Code, h.now()) }
	case payment.RefundedOutside:
		change = func(o *order.Order) ([]event.Payload, error) {
			return o.RecordOutsideRefund(ev.Reference, ev.Amount, h.now())
		}
	case payment.Disputed:
		change = func(o *order.Order) ([]event.Payload, error) {
			return o.RecordDispute(ev.Reference, ev.Code, ev.Amount, h.now())
		}
	default:
		h.Log.InfoContext(ctx, "provider event ignored", "providerEventId", ev.ID, "kind", ev.Kind)
		return nil
	}
	// The order's story is correlated by its id when nothing else is known; the event's id is the cause.
	o, first, err := h.store.UpdateOnce(ctx, id, ev.ID, event.Cause{CorrelationID: string(id), CausationID: ev.ID}, change)
	switch {
	case errors.Is(err, order.ErrNotFound):
		return fmt.Errorf("%w: %w", ErrUnknownOrder, err)
	case errors.Is(err, order.ErrInvalidTransition), errors.Is(err, order.ErrTerminal), isValidation(err):
		h.Log.WarnContext(ctx, "provider event no longer applies", "providerEventId", ev.ID, "kind", ev.Kind, "error", err)
		return nil
	case err != nil:
		return err
	}
	if !first {
		h.Log.InfoContext(ctx, "provider event applied before", "providerEventId", ev.ID, "kind", ev.Kind)
	}
	// A repeated event resumes again: the first delivery may have crashed between its write and the
	// resume, and resuming a closed task is no error.
	if ev.Kind == payment.ActionSucceeded || ev.Kind == payment.ActionFailed {
		if err := resume(ctx, h.tasks, o.Payment().TaskToken, o); err != nil {
			return err
		}
	}
	h.Log.InfoContext(ctx, "provider event applied", "providerEventId", ev.ID, "kind", ev.Kind, "status", o.Status())
	return nil
}

// isValidation reports a domain refusal of the event's data (a missing id, an amount in another
// currency): no redelivery can fix it.
func isValidation(err error) bool {
	var ve validation.Errors
	return errors.As(err, &ve)
}
