package saga

import (
	"context"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/order"
)

// Return gives a cancelled confirmed order's sold stock back (compensation after confirmation:
// order.ReturnStock); a no-op otherwise.
func (s *Steps) Return(ctx context.Context, in Input) (Result, error) {
	return s.step(ctx, in, func(ctx context.Context, id order.ID, cause event.Cause) (Result, error) {
		return orderResult(s.moveStock(ctx, id, in.stockLines(), cause, order.ReturnStock))
	})
}
