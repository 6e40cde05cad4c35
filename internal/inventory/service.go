package inventory

import (
	"context"
	"errors"

	"github.com/orion-oss/orion/internal/event"
)

// Repository stores items. Update loads the item, runs fn and writes the result with fn's events in one
// conditional transaction (re-running fn on fresh state after a concurrent change).
type Repository interface {
	Get(ctx context.Context, sku SKU) (*Item, error)
	Create(ctx context.Context, it *Item, events []event.Payload, cause event.Cause) error
	Update(ctx context.Context, sku SKU, cause event.Cause, fn func(*Item) ([]event.Payload, error)) (*Item, error)
}

// Service is the catalog's use cases for admins and readers.
type Service struct{ repo Repository }

// NewService builds the service.
func NewService(r Repository) *Service { return &Service{repo: r} }

// Get returns an item.
func (s *Service) Get(ctx context.Context, sku SKU) (*Item, error) { return s.repo.Get(ctx, sku) }

// Upsert creates the item or revises it to the given details and stock; created tells which. A nil
// lowStockThreshold keeps the item's (DefaultLowStockThreshold for a new item).
func (s *Service) Upsert(ctx context.Context, cause event.Cause, sku SKU, d Details, available Quantity, lowStockThreshold *Quantity) (*Item, bool, error) {
	for range 2 {
		it, err := s.repo.Update(ctx, sku, cause, func(it *Item) ([]event.Payload, error) { return it.Revise(d, available, lowStockThreshold) })
		if !errors.Is(err, ErrNotFound) {
			return it, false, err
		}
		threshold := DefaultLowStockThreshold
		if lowStockThreshold != nil {
			threshold = *lowStockThreshold
		}
		it, evs, err := NewItem(sku, d, available, threshold)
		if err != nil {
			return nil, false, err
		}
		err = s.repo.Create(ctx, it, evs, cause)
		if !errors.Is(err, ErrExists) {
			return it, err == nil, err
		}
		// Another request created it between our read and our write: revise it instead.
	}
	return nil, false, ErrExists
}

// Restock adds units to available stock.
func (s *Service) Restock(ctx context.Context, cause event.Cause, sku SKU, qty Quantity) (*Item, error) {
	return s.repo.Update(ctx, sku, cause, func(it *Item) ([]event.Payload, error) { return it.Restock(qty) })
}
