package command

import (
	"context"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
)

// ItemSharder changes how a stored item's stock is split over shards: it runs fn on the item (with
// every shard) in one conditional transaction, then rebalances the available units and removes
// drained shards, each move conditional (docs/adr/0021-hot-sku-shards.md).
type ItemSharder interface {
	SetShards(ctx context.Context, sku inventory.SKU, cause event.Cause, fn func(*inventory.Item) ([]event.Payload, error)) (*inventory.Item, error)
}

// SetInventoryShards sets the number of shards a SKU's stock is split over (1: not split).
type SetInventoryShards struct {
	SKU    inventory.SKU
	Shards int
	Cause  event.Cause
	// Actor is the admin asking; the item's events record them.
	Actor event.Actor
}

// SetInventoryShardsHandler shards items.
type SetInventoryShardsHandler struct{ items ItemSharder }

// NewSetInventoryShardsHandler builds the handler.
func NewSetInventoryShardsHandler(items ItemSharder) SetInventoryShardsHandler {
	return SetInventoryShardsHandler{items: items}
}

// Handle sets the item's shards (inventory.ErrNotFound if there is none); a repeat is a no-op.
func (h SetInventoryShardsHandler) Handle(ctx context.Context, cmd SetInventoryShards) (*inventory.Item, error) {
	return h.items.SetShards(ctx, cmd.SKU, cmd.Cause, func(it *inventory.Item) ([]event.Payload, error) {
		evs, err := it.SetShards(cmd.Shards)
		return event.Attribute(evs, cmd.Actor), err
	})
}
