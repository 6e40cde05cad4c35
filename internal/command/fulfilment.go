package command

import (
	"context"
	"errors"
	"fmt"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/order"
)

// ErrNotFulfiller means the actor may not report fulfilment (ship, deliver, receive a return): only an
// admin or the fulfilment partner may.
var ErrNotFulfiller = errors.New("command: only an admin or the fulfilment partner reports fulfilment")

// OrderOnceUpdater changes a stored order like OrderUpdater, or, with UpdateOnce, at most once per
// key: the change and a record of the key are written in one transaction, so an inbound event
// delivered twice changes the order once (first is false for a repeat).
type OrderOnceUpdater interface {
	OrderUpdater
	UpdateOnce(ctx context.Context, id order.ID, key string, cause event.Cause, fn func(*order.Order) ([]event.Payload, error)) (o *order.Order, first bool, err error)
}

// OrderStockUpdater changes an order together with the stock of its lines in one transaction: it loads
// the order, asks applies, and only then loads the stock, runs fn and writes both with fn's events.
type OrderStockUpdater interface {
	UpdateOrderStock(ctx context.Context, id order.ID, cause event.Cause, applies func(*order.Order) bool,
		fn func(*order.Order, *inventory.OrderStock) ([]event.Payload, error)) (*order.Order, error)
}

// fulfiller checks that the actor may report fulfilment.
func fulfiller(a event.Actor) error {
	if a.Sub == "" || (a.Role != event.RoleAdmin && a.Role != event.RolePartner) {
		return ErrNotFulfiller
	}
	return nil
}

// updateMaybeOnce runs fn through UpdateOnce when key is set (an inbound event) and Update otherwise
// (an admin's request, which the domain's own no-op rules make safe to repeat).
func updateMaybeOnce(ctx context.Context, orders OrderOnceUpdater, id order.ID, key string, cause event.Cause,
	fn func(*order.Order) ([]event.Payload, error)) (*order.Order, error) {
	if key == "" {
		return orders.Update(ctx, id, cause, fn)
	}
	o, _, err := orders.UpdateOnce(ctx, id, key, cause, fn)
	if err != nil {
		return nil, fmt.Errorf("command: order %s, event %s: %w", id, key, err)
	}
	return o, nil
}
