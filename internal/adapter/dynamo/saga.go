package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/order"
)

// Saga is the saga's storage: the order alone (Get, Update, UpdateFrom) and the order with the stock of
// its lines (UpdateOrderStock), each change one conditional transaction with its events. What a step
// decides is the domain's (order.StockStep); this only loads, writes conditionally and retries.
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

// Get reads an order (strongly consistent).
func (s *Saga) Get(ctx context.Context, id order.ID) (*order.Order, error) {
	return s.orders.Get(ctx, id)
}

// Update changes an order through fn with its events (see OrderRepository.Update).
func (s *Saga) Update(ctx context.Context, id order.ID, cause event.Cause, fn func(*order.Order) ([]event.Payload, error)) (*order.Order, error) {
	return s.orders.Update(ctx, id, cause, fn)
}

// UpdateFrom is Update starting from an order just read (see OrderRepository.UpdateFrom).
func (s *Saga) UpdateFrom(ctx context.Context, loaded *order.Order, cause event.Cause, fn func(*order.Order) ([]event.Payload, error)) (*order.Order, error) {
	return s.orders.UpdateFrom(ctx, loaded, loaded.ID(), cause, fn)
}

// UpdateOrderStock changes an order together with the stock of its lines: it reads the order and, when
// applies holds for it, the items of its lines and the order's reservations of them (one BatchGetItem),
// lets fn change them and return its events, and writes the order, every item and reservation that
// moved and the events in one TransactWriteItems conditional on the versions read, so stock can never be
// oversold or moved twice. An order applies refuses is returned as it is, nothing else read (a repeated
// step costs one read). When another writer got there first it reads and decides again; ErrConflict
// after conflictAttempts means the caller should retry later. fn must depend only on what it is given.
func (s *Saga) UpdateOrderStock(ctx context.Context, id order.ID, cause event.Cause, applies func(*order.Order) bool,
	fn func(*order.Order, *inventory.OrderStock) ([]event.Payload, error)) (*order.Order, error) {
	return s.updateStock(ctx, nil, id, nil, cause, applies, fn)
}

// UpdateOrderStockOf is UpdateOrderStock for a caller that knows the order's stock lines (the saga's
// execution input carries them): its first attempt reads the order in the same BatchGetItem as the
// stock, one call instead of two (docs/adr/0022). The order read stays the truth: when its lines are not
// lines, the stock of its own lines is read again before anything is decided, and an order applies
// refuses is returned as it is, the stock read for nothing. No lines: UpdateOrderStock.
func (s *Saga) UpdateOrderStockOf(ctx context.Context, id order.ID, lines []inventory.Line, cause event.Cause, applies func(*order.Order) bool,
	fn func(*order.Order, *inventory.OrderStock) ([]event.Payload, error)) (*order.Order, error) {
	return s.updateStock(ctx, nil, id, lines, cause, applies, fn)
}

// UpdateOrderStockFrom is UpdateOrderStock starting from an order the caller has just read, which saves
// that read; a conflict reads it afresh. The caller must not use loaded afterwards: fn changes it.
func (s *Saga) UpdateOrderStockFrom(ctx context.Context, loaded *order.Order, cause event.Cause, applies func(*order.Order) bool,
	fn func(*order.Order, *inventory.OrderStock) ([]event.Payload, error)) (*order.Order, error) {
	return s.updateStock(ctx, loaded, loaded.ID(), nil, cause, applies, fn)
}

func (s *Saga) updateStock(ctx context.Context, loaded *order.Order, id order.ID, lines []inventory.Line, cause event.Cause, applies func(*order.Order) bool,
	fn func(*order.Order, *inventory.OrderStock) ([]event.Payload, error)) (*order.Order, error) {
	for range conflictAttempts {
		o, err := s.updateStockOnce(ctx, loaded, id, lines, cause, applies, fn)
		loaded = nil
		if !errors.Is(err, errCondition) && !errors.Is(err, errConflicted) {
			return o, err
		}
	}
	return nil, fmt.Errorf("%w: stock of order %s", ErrConflict, id)
}

func (s *Saga) updateStockOnce(ctx context.Context, o *order.Order, id order.ID, lines []inventory.Line, cause event.Cause, applies func(*order.Order) bool,
	fn func(*order.Order, *inventory.OrderStock) ([]event.Payload, error)) (*order.Order, error) {
	var err error
	var stock *orderStock
	switch {
	case o == nil && len(lines) > 0:
		stock, o, err = s.orderAndStock(ctx, id, lines)
	case o == nil:
		o, err = s.orders.Get(ctx, id)
	}
	if err != nil || !applies(o) {
		return o, err // nothing to do: a repeated step, or the order is elsewhere (the saga decides)
	}
	read, held := o.Version(), o.Hold()
	if stock == nil || !slices.Equal(lines, o.StockLines()) {
		if stock, err = s.items.orderStock(ctx, string(id), o.StockLines()); err != nil {
			return nil, err
		}
	}
	evs, err := fn(o, stock.OrderStock)
	if err != nil {
		return nil, err
	}
	now := s.now()
	moves, err := stock.writes(s.tables, now)
	if err != nil {
		return nil, err
	}
	if o.Version() == read && len(moves) == 0 {
		return o, nil // nothing changed: nothing to write
	}
	av, err := attributevalue.MarshalMap(toOrderRecord(o))
	if err != nil {
		return nil, err
	}
	writes := append([]types.TransactWriteItem{versionedPut(s.tables.Orders, av, read)}, moves...)
	// Confirming or rejecting out of stock ends the order's hold on its customer's limits, in the same
	// transaction: the order's version condition makes it happen once.
	writes = append(writes, holdsWrites(s.tables.Orders, o, held, now)...)
	err = writeWithEvents(ctx, s.db, s.tables.Outbox, writes, evs, cause, now)
	if err == nil || errors.Is(err, errCondition) || errors.Is(err, errConflicted) {
		return o, err
	}
	return o, fmt.Errorf("dynamo: saga step of order %s: %w", id, err)
}

// orderAndStock reads the order and the stock of lines in one BatchGetItem (strongly consistent, as
// Get reads the order).
func (s *Saga) orderAndStock(ctx context.Context, id order.ID, lines []inventory.Line) (*orderStock, *order.Order, error) {
	stock, err := s.items.orderStock(ctx, string(id), lines, tableKey{s.tables.Orders, orderKey(id)})
	if err != nil {
		return nil, nil, err
	}
	avs := stock.also[s.tables.Orders]
	if len(avs) == 0 {
		return nil, nil, fmt.Errorf("%w: %s", order.ErrNotFound, id)
	}
	var rec orderRecord
	if err := attributevalue.UnmarshalMap(avs[0], &rec); err != nil {
		return nil, nil, fmt.Errorf("dynamo: order %s: %w", id, err)
	}
	o, err := rec.order()
	return stock, o, err
}
