package command

import (
	"context"
	"errors"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
)

// ItemUpdater changes a stored item: it loads the item, runs fn and writes the item with fn's events
// in one transaction conditional on the version it read (re-running fn on a conflict).
type ItemUpdater interface {
	Update(ctx context.Context, sku inventory.SKU, cause event.Cause, fn func(*inventory.Item) ([]event.Payload, error)) (*inventory.Item, error)
}

// Items stores items: new ones (inventory.ErrExists for a SKU taken) and changes to existing ones.
type Items interface {
	ItemUpdater
	Create(ctx context.Context, it *inventory.Item, events []event.Payload, cause event.Cause) error
}

// PutInventoryItem creates the item of a SKU or revises it to the given details and stock.
type PutInventoryItem struct {
	SKU       inventory.SKU
	Details   inventory.Details
	Available inventory.Quantity
	// LowStockThreshold nil keeps the item's (inventory.DefaultLowStockThreshold for a new item).
	LowStockThreshold *inventory.Quantity
	Cause             event.Cause
	// Actor is the admin asking; the item's events record them.
	Actor event.Actor
}

// PutInventoryItemHandler creates and revises items.
type PutInventoryItemHandler struct{ items Items }

// NewPutInventoryItemHandler builds the handler.
func NewPutInventoryItemHandler(items Items) PutInventoryItemHandler {
	return PutInventoryItemHandler{items: items}
}

// Handle revises the item, or creates it when there is none; the bool is true when it created it.
func (h PutInventoryItemHandler) Handle(ctx context.Context, cmd PutInventoryItem) (*inventory.Item, bool, error) {
	for range 2 {
		it, err := h.items.Update(ctx, cmd.SKU, cmd.Cause, func(it *inventory.Item) ([]event.Payload, error) {
			evs, err := it.Revise(cmd.Details, cmd.Available, cmd.LowStockThreshold)
			return event.Attribute(evs, cmd.Actor), err
		})
		if !errors.Is(err, inventory.ErrNotFound) {
			return it, false, err
		}
		threshold := inventory.DefaultLowStockThreshold
		if cmd.LowStockThreshold != nil {
			threshold = *cmd.LowStockThreshold
		}
		it, evs, err := inventory.NewItem(cmd.SKU, cmd.Details, cmd.Available, threshold)
		if err != nil {
			return nil, false, err
		}
		err = h.items.Create(ctx, it, event.Attribute(evs, cmd.Actor), cmd.Cause)
		if !errors.Is(err, inventory.ErrExists) {
			return it, err == nil, err
		}
		// Another request created it between our read and our write: revise it instead.
	}
	return nil, false, inventory.ErrExists
}
