package command

import (
	"context"
	"time"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/order"
)

// ShipOrder reports that a confirmed order left the warehouse. An admin sends it over HTTP, the
// fulfilment partner as a ShipmentDispatched event; both come here.
type ShipOrder struct {
	OrderID  order.ID
	Shipment order.Shipment
	Actor    event.Actor // an admin, or the partner (RolePartner)
	// Key, when set, is the inbound event's dedupe key: the order changes once per key.
	Key   string
	Cause event.Cause
}

// ShipOrderHandler ships orders.
type ShipOrderHandler struct {
	orders OrderOnceUpdater
	now    func() time.Time
}

// NewShipOrderHandler builds the handler.
func NewShipOrderHandler(orders OrderOnceUpdater) ShipOrderHandler {
	return ShipOrderHandler{orders: orders, now: time.Now}
}

// Handle moves the order to SHIPPED (order.Order.Ship) and records who reported it.
func (h ShipOrderHandler) Handle(ctx context.Context, cmd ShipOrder) (*order.Order, error) {
	if err := fulfiller(cmd.Actor); err != nil {
		return nil, err
	}
	return updateMaybeOnce(ctx, h.orders, cmd.OrderID, cmd.Key, cmd.Cause, func(o *order.Order) ([]event.Payload, error) {
		evs, err := o.Ship(cmd.Shipment, h.now())
		return event.Attribute(evs, cmd.Actor), err
	})
}
