package command

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/order"
)

// OrderUpdater changes a stored order: it loads the order, runs fn and writes the order with fn's
// events in one transaction conditional on the version it read (re-running fn on a conflict).
type OrderUpdater interface {
	Update(ctx context.Context, id order.ID, cause event.Cause, fn func(*order.Order) ([]event.Payload, error)) (*order.Order, error)
}

// CancelOrder asks to cancel an order on behalf of its caller.
type CancelOrder struct {
	OrderID order.ID
	Caller  customer.ID
	Admin   bool
	Cause   event.Cause
}

// PaymentWaits ends a saga run's wait for the customer's payment action (3-D Secure) with an error
// the state machine routes on (saga.TaskResumer's failure half, Step Functions' SendTaskFailure). A
// task that no longer waits is no error.
type PaymentWaits interface {
	Fail(ctx context.Context, token, errName, cause string) error
}

// CancelOrderHandler asks to cancel orders.
type CancelOrderHandler struct {
	orders OrderUpdater
	now    func() time.Time
	// Waits, when set, wakes a saga run waiting for the customer's payment action when its order is
	// cancelled, so that compensation starts now instead of when the wait expires (docs/saga.md). nil:
	// the run sees the cancellation when the wait ends.
	Waits PaymentWaits
	// Log receives a wake-up that failed (nil: slog's default).
	Log *slog.Logger
}

// NewCancelOrderHandler builds the handler.
func NewCancelOrderHandler(orders OrderUpdater) CancelOrderHandler {
	return CancelOrderHandler{orders: orders, now: time.Now}
}

// Handle records the cancellation request (see order.Order.RequestCancellation): the owner or an admin
// may ask; anyone else gets order.ErrNotFound, exactly as for an order that does not exist, so ids
// cannot be probed.
//
// A run waiting for the customer's payment action is woken with CancellationRequested (Waits), which
// voids the hold, releases the stock and ends the order CANCELLED. Waking it is best effort: the
// cancellation is recorded either way, and a run that is not woken meets it when the wait ends.
func (h CancelOrderHandler) Handle(ctx context.Context, cmd CancelOrder) (*order.Order, error) {
	o, err := h.request(ctx, cmd)
	if err != nil || h.Waits == nil || o.Cancellation() == nil {
		return o, err
	}
	if out, ok := o.ActionOutcome(); ok && out == order.ActionPending && o.Payment().TaskToken != "" {
		// The cause reads like a Lambda step's error, the shape the state machine's Catch hands on.
		cause := `{"errorMessage":"cancellation requested","errorType":"CancellationRequested"}`
		if err := h.Waits.Fail(ctx, o.Payment().TaskToken, "CancellationRequested", cause); err != nil {
			h.logger().WarnContext(ctx, "saga run waiting for a payment action not woken; it meets the cancellation when the wait ends",
				"orderId", o.ID(), "error", err)
		}
	}
	return o, nil
}

func (h CancelOrderHandler) logger() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.Default()
}

func (h CancelOrderHandler) request(ctx context.Context, cmd CancelOrder) (*order.Order, error) {
	return h.orders.Update(ctx, cmd.OrderID, cmd.Cause, func(o *order.Order) ([]event.Payload, error) {
		if !o.VisibleTo(cmd.Caller, cmd.Admin) {
			return nil, fmt.Errorf("%w: %s", order.ErrNotFound, cmd.OrderID)
		}
		by, actor := order.ByCustomer, event.Actor{Sub: cmd.Caller.String(), Role: event.RoleCustomer}
		if o.CustomerID() != cmd.Caller {
			by, actor.Role = order.ByAdmin, event.RoleAdmin
		}
		evs, err := o.RequestCancellation(by, h.now())
		return event.Attribute(evs, actor), err
	})
}
