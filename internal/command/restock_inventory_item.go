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
}

// RestockInventoryItemHandler restocks items.
type RestockInventoryItemHandler struct{ items ItemUpdater }

// NewRestockInventoryItemHandler builds the handler.
func NewRestockInventoryItemHandler(items ItemUpdater) RestockInventoryItemHandler {
	return RestockInventoryItemHandler{items: items}
}

// Handle restocks the item (inventory.ErrNotFound if there is none).
func (h RestockInventoryItemHandler) Handle(ctx context.Context, cmd RestockInventoryItem) (*inventory.Item, error) {
	return h.items.Update(ctx, cmd.SKU, cmd.Cause, func(it *inventory.Item) ([]event.Payload, error) { return it.Restock(cmd.Quantity) })
}
