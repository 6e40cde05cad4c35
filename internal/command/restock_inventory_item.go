package command

import (
	"context"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
)

// RestockInventoryItem adds units to an item's available stock.
type RestockInventoryItem struct {
	SKU      inventory.SKU
	Quantity inventory.Quantity
	Cause    event.Cause
	// Actor is the admin asking; the item's events record them.
	Actor event.Actor
}

// RestockInventoryItemHandler restocks items.
type RestockInventoryItemHandler struct{ items ItemUpdater }

// NewRestockInventoryItemHandler builds the handler.
func NewRestockInventoryItemHandler(items ItemUpdater) RestockInventoryItemHandler {
	return RestockInventoryItemHandler{items: items}
}

// Handle restocks the item (inventory.ErrNotFound if there is none).
func (h RestockInventoryItemHandler) Handle(ctx context.Context, cmd RestockInventoryItem) (*inventory.Item, error) {
	return h.items.Update(ctx, cmd.SKU, cmd.Cause, func(it *inventory.Item) ([]event.Payload, error) {
		evs, err := it.Restock(cmd.Quantity)
		return event.Attribute(evs, cmd.Actor), err
	})
}
