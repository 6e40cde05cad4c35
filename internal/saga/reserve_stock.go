package saga

import (
	"context"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/order"
)

// Reserve holds stock for every line of a PENDING order at once, or rejects it OUT_OF_STOCK
// (*OutOfStock): order.ReserveStock decides. An order it finds elsewhere goes on if it is on its way
// (RESERVED, PAYMENT_AUTHORIZED, CONFIRMED) and otherwise leaves the happy path by a named error
// (route.go).
func (s *Steps) Reserve(ctx context.Context, in Input) (Result, error) {
	return s.step(ctx, in, func(ctx context.Context, id order.ID, cause event.Cause) (Result, error) {
		o, err := s.moveStock(ctx, id, in.stockLines(), cause, order.ReserveStock)
		return forward(o, err, order.Reserved, order.PaymentAuthorized)
	})
}

// moveStock runs one of the domain's stock steps on the order and the stock of its lines, in one
// conditional write; where the step does not apply, the order is returned as it is. lines are the
// order's as the input tells them (none: unknown).
func (s *Steps) moveStock(ctx context.Context, id order.ID, lines []inventory.Line, cause event.Cause, step *order.StockStep) (*order.Order, error) {
	return s.store.UpdateOrderStockOf(ctx, id, lines, cause, step.Applies, func(o *order.Order, stock *inventory.OrderStock) ([]event.Payload, error) {
		return step.Apply(o, stock, s.now())
	})
}
