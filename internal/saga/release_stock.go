package saga

import (
	"context"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/order"
)

// Release gives reserved stock back (compensation before confirmation: order.ReleaseStock); a no-op
// otherwise.
func (s *Steps) Release(ctx context.Context, in Input) (Result, error) {
	return s.step(ctx, in, func(ctx context.Context, id order.ID, cause event.Cause) (Result, error) {
		return orderResult(s.moveStock(ctx, id, in.stockLines(), cause, order.ReleaseStock))
	})
}
