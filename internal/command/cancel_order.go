package command

import (
	"context"
	"fmt"
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

// CancelOrderHandler asks to cancel orders.
type CancelOrderHandler struct {
	orders OrderUpdater
	now    func() time.Time
}

// NewCancelOrderHandler builds the handler.
func NewCancelOrderHandler(orders OrderUpdater) CancelOrderHandler {
	return CancelOrderHandler{orders: orders, now: time.Now}
}

// Handle records the cancellation request (see order.Order.RequestCancellation): the owner or an admin
// may ask; anyone else gets order.ErrNotFound, exactly as for an order that does not exist, so ids
// cannot be probed.
func (h CancelOrderHandler) Handle(ctx context.Context, cmd CancelOrder) (*order.Order, error) {
	return h.orders.Update(ctx, cmd.OrderID, cmd.Cause, func(o *order.Order) ([]event.Payload, error) {
		if !o.VisibleTo(cmd.Caller, cmd.Admin) {
			return nil, fmt.Errorf("%w: %s", order.ErrNotFound, cmd.OrderID)
		}
		by := order.ByCustomer
		if o.CustomerID() != cmd.Caller {
			by = order.ByAdmin
		}
		return o.RequestCancellation(by, h.now())
	})
}
