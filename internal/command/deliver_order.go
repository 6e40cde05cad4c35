package command

import (
	"context"
	"time"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/order"
)

// DeliverOrder reports that the carrier delivered a shipped order: an admin over HTTP, or the partner
// as a ShipmentDelivered event.
type DeliverOrder struct {
	OrderID     order.ID
	DeliveredAt time.Time // when the carrier delivered; zero means now
	Actor       event.Actor
	Key         string // the inbound event's dedupe key, if any
	Cause       event.Cause
}

// DeliverOrderHandler delivers orders.
type DeliverOrderHandler struct {
	orders OrderOnceUpdater
	now    func() time.Time
}

// NewDeliverOrderHandler builds the handler.
func NewDeliverOrderHandler(orders OrderOnceUpdater) DeliverOrderHandler {
	return DeliverOrderHandler{orders: orders, now: time.Now}
}

// Handle moves the order to DELIVERED (order.Order.Deliver); the return window starts then.
func (h DeliverOrderHandler) Handle(ctx context.Context, cmd DeliverOrder) (*order.Order, error) {
	if err := fulfiller(cmd.Actor); err != nil {
		return nil, err
	}
	return updateMaybeOnce(ctx, h.orders, cmd.OrderID, cmd.Key, cmd.Cause, func(o *order.Order) ([]event.Payload, error) {
		evs, err := o.Deliver(cmd.DeliveredAt, h.now())
		return event.Attribute(evs, cmd.Actor), err
	})
}
