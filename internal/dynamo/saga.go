package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/order"
)

// Saga stores the saga's stock moves: each is one transaction of the order, every item it touches and
// their events, conditional on the versions read, so stock can never be oversold or moved twice.
type Saga struct {
	db     *dynamodb.Client
	tables Tables
	orders *OrderRepository
	items  *InventoryRepository
	now    func() time.Time
}

// NewSaga builds the saga's store.
func NewSaga(db *dynamodb.Client, t Tables) *Saga {
	return &Saga{db: db, tables: t, orders: NewOrderRepository(db, t), items: NewInventoryRepository(db, t), now: time.Now}
}

// ReserveStock reserves every line of a PENDING order at once, or rejects the order OUT_OF_STOCK when
// any line is short; nothing is reserved then. An order that is no longer PENDING is returned as it is
// (a repeated step). Under contention it re-decides on fresh stock; ErrConflict after that means the
// saga should retry the step.
func (s *Saga) ReserveStock(ctx context.Context, id order.ID, cause event.Cause) (*order.Order, error) {
	for range conflictAttempts {
		o, err := s.reserve(ctx, id, cause)
		if !errors.Is(err, errCondition) {
			return o, err
		}
	}
	return nil, fmt.Errorf("%w: reserving stock for %s", ErrConflict, id)
}

func (s *Saga) reserve(ctx context.Context, id order.ID, cause event.Cause) (*order.Order, error) {
	o, err := s.orders.Get(ctx, id)
	if err != nil || o.Status() != order.Pending {
		return o, err
	}
	read := o.Version()
	lines := o.Lines()
	skus := make([]inventory.SKU, len(lines))
	for i, l := range lines {
		skus[i] = l.SKU
	}
	items, err := s.items.Catalog(ctx, skus)
	if err != nil {
		return nil, err
	}
	itemRead := map[inventory.SKU]int64{}
	for sku, it := range items {
		itemRead[sku] = it.Version()
	}
	now := s.now()
	var evs []event.Payload
	var shortages []event.Shortage
	for _, l := range lines {
		it, ok := items[l.SKU]
		if !ok {
			shortages = append(shortages, event.Shortage{SKU: string(l.SKU), Requested: l.Quantity.Int64()})
			continue
		}
		low, err := it.Reserve(string(id), l.Quantity)
		var short *inventory.InsufficientStockError
		switch {
		case errors.As(err, &short):
			shortages = append(shortages, event.Shortage{SKU: string(l.SKU), Requested: l.Quantity.Int64(), Available: short.Available.Int64()})
		case err != nil:
			return nil, err
		default:
			evs = append(evs, low...)
		}
	}
	orderAV := func() (map[string]types.AttributeValue, error) { return attributevalue.MarshalMap(toOrderRecord(o)) }
	if len(shortages) > 0 {
		rejected, err := o.RejectOutOfStock(shortages, now)
		if err != nil {
			return nil, err
		}
		av, err := orderAV()
		if err != nil {
			return nil, err
		}
		err = writeWithEvents(ctx, s.db, s.tables.Outbox, []types.TransactWriteItem{versionedPut(s.tables.Orders, av, read)}, rejected, cause, now)
		return o, wrapWrite(err, id)
	}
	reserved, err := o.MarkReserved(now)
	if err != nil {
		return nil, err
	}
	// The stock lines carry each item's figures after the move, for the catalog view.
	for _, p := range reserved {
		if r, ok := p.(event.InventoryReserved); ok {
			for i, sl := range r.Lines {
				it := items[inventory.SKU(sl.SKU)]
				avail := it.Available().Int64()
				r.Lines[i].Available, r.Lines[i].ItemVersion = &avail, it.Version()
			}
		}
	}
	av, err := orderAV()
	if err != nil {
		return nil, err
	}
	writes := []types.TransactWriteItem{versionedPut(s.tables.Orders, av, read)}
	for _, sku := range skus {
		item, err := attributevalue.MarshalMap(toItemRecord(items[sku]))
		if err != nil {
			return nil, err
		}
		writes = append(writes, versionedPut(s.tables.Inventory, item, itemRead[sku]))
	}
	err = writeWithEvents(ctx, s.db, s.tables.Outbox, writes, append(reserved, evs...), cause, now)
	return o, wrapWrite(err, id)
}

func wrapWrite(err error, id order.ID) error {
	if err == nil || errors.Is(err, errCondition) {
		return err
	}
	return fmt.Errorf("dynamo: saga step of order %s: %w", id, err)
}
