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
	Get(ctx context.Context, id order.ID) (*order.Order, error)
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
	// Payments voids a hold the provider reports for an order that ended without it (nil: none is
	// voided; the provider releases an uncaptured hold by itself after about a week).
	Payments payment.Provider
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
	case errors.Is(err, order.ErrTerminal) && ev.Kind == payment.ActionSucceeded:
		return h.voidStray(ctx, id, ev)
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

// voidStray releases a hold the provider reports for an order that has ended without recording it:
// the authorization's every answer was lost (timeouts) and the saga compensated without its id, so
// nothing else will ever capture or void it, and the customer's funds would stay held until the
// provider lets the hold lapse. A hold the order recorded was given back by compensation already.
// The idempotency key names the hold, so a redelivered event voids it once.
func (h *ProviderEvents) voidStray(ctx context.Context, id order.ID, ev payment.ProviderEvent) error {
	o, err := h.store.Get(ctx, id)
	if err != nil {
		return err
	}
	if h.Payments == nil || ev.AuthorizationID == "" || ev.AuthorizationID == o.Payment().AuthorizationID {
		h.Log.InfoContext(ctx, "provider event for an ended order acknowledged", "providerEventId", ev.ID, "kind", ev.Kind, "status", o.Status())
		return nil
	}
	err = h.Payments.Void(ctx, payment.VoidRequest{OrderID: string(id), AuthorizationID: ev.AuthorizationID,
		IdempotencyKey: payment.Key(string(id), payment.OpVoid) + "-" + ev.AuthorizationID})
	if err != nil {
		return fmt.Errorf("void the stray hold %s of ended order %s: %w", ev.AuthorizationID, id, err)
	}
	h.Log.WarnContext(ctx, "stray hold of an ended order voided", "providerEventId", ev.ID, "authorizationId", ev.AuthorizationID, "status", o.Status())
	return nil
}
