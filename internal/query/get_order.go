package query

import (
	"context"
	"fmt"

	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/order"
)

// OrderReader reads an order as the write side stored it (strongly consistent).
type OrderReader interface {
	Get(ctx context.Context, id order.ID) (*order.Order, error)
}

// GetOrder asks for one order on behalf of its caller.
type GetOrder struct {
	OrderID order.ID
	Caller  customer.ID
	Admin   bool
}

// GetOrderHandler answers GetOrder.
type GetOrderHandler struct{ orders OrderReader }

// NewGetOrderHandler builds the handler.
func NewGetOrderHandler(orders OrderReader) GetOrderHandler { return GetOrderHandler{orders: orders} }

// Handle returns the order to its owner or an admin; anyone else gets order.ErrNotFound, exactly as
// for an order that does not exist, so ids cannot be probed.
func (h GetOrderHandler) Handle(ctx context.Context, q GetOrder) (*order.Order, error) {
	o, err := h.orders.Get(ctx, q.OrderID)
	if err != nil {
		return nil, err
	}
	if !o.VisibleTo(q.Caller, q.Admin) {
		return nil, fmt.Errorf("%w: %s", order.ErrNotFound, q.OrderID)
	}
	return o, nil
}
