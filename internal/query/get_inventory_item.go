package query

import (
	"context"

	"github.com/orion-oss/orion/internal/inventory"
)

// ItemReader reads an item as the write side stored it (strongly consistent).
type ItemReader interface {
	Get(ctx context.Context, sku inventory.SKU) (*inventory.Item, error)
}

// GetInventoryItem asks for one catalog item (public).
type GetInventoryItem struct{ SKU inventory.SKU }

// GetInventoryItemHandler answers GetInventoryItem.
type GetInventoryItemHandler struct{ items ItemReader }

// NewGetInventoryItemHandler builds the handler.
func NewGetInventoryItemHandler(items ItemReader) GetInventoryItemHandler {
	return GetInventoryItemHandler{items: items}
}

// Handle returns the item (inventory.ErrNotFound if there is none).
func (h GetInventoryItemHandler) Handle(ctx context.Context, q GetInventoryItem) (*inventory.Item, error) {
	return h.items.Get(ctx, q.SKU)
}
