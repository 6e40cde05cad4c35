package command

import (
	"context"
	"fmt"
	"time"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/order"
)

// ReceiveReturn reports that the warehouse received a return's units: an admin over HTTP, or the
// partner as a ReturnReceived event. There is no dedupe key: a return is received once (a repeat, by
// the same or another event, is a no-op), so the return id is the key.
type ReceiveReturn struct {
	OrderID  order.ID
	ReturnID string
	// ReceivedAt is when the warehouse received the parcel (the partner's receivedAt); zero means now.
	ReceivedAt time.Time
	Actor      event.Actor
	Cause      event.Cause
}

// ReceiveReturnHandler receives returns.
type ReceiveReturnHandler struct {
	orders OrderStockUpdater
	now    func() time.Time
}

// NewReceiveReturnHandler builds the handler.
func NewReceiveReturnHandler(orders OrderStockUpdater) ReceiveReturnHandler {
	return ReceiveReturnHandler{orders: orders, now: time.Now}
}

// Handle puts the return's units back on sale and marks it RECEIVED in one transaction
// (order.ReceiveReturn); the refund follows from its OrderReturnReceived. A return the order does not
// have is order.ErrReturnNotFound.
func (h ReceiveReturnHandler) Handle(ctx context.Context, cmd ReceiveReturn) (*order.Order, error) {
	if err := fulfiller(cmd.Actor); err != nil {
		return nil, err
	}
	step := order.ReceiveReturn(cmd.ReturnID, cmd.ReceivedAt)
	o, err := h.orders.UpdateOrderStock(ctx, cmd.OrderID, cmd.Cause, step.Applies, func(o *order.Order, stock *inventory.OrderStock) ([]event.Payload, error) {
		evs, err := step.Apply(o, stock, h.now())
		return event.Attribute(evs, cmd.Actor), err
	})
	if err != nil {
		return nil, err
	}
	if _, ok := o.FindReturn(cmd.ReturnID); !ok {
		return nil, fmt.Errorf("%w: %s of order %s", order.ErrReturnNotFound, cmd.ReturnID, cmd.OrderID)
	}
	return o, nil
}
