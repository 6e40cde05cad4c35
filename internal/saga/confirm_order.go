package saga

import (
	"context"
	"errors"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/order"
)

// Confirm turns held stock into sold stock and confirms the order (order.ConfirmStock). A pending
// cancellation is *CancellationRequested, which the state machine compensates.
func (s *Steps) Confirm(ctx context.Context, in Input) (Result, error) {
	return s.step(ctx, in, func(ctx context.Context, id order.ID, cause event.Cause) (Result, error) {
		o, err := s.moveStock(ctx, id, cause, order.ConfirmStock)
		if errors.Is(err, order.ErrCancellationRequested) {
			o, err = s.store.Get(ctx, id)
		}
		return forward(o, err)
	})
}
