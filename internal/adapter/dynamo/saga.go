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
	stock, err := s.items.orderStock(ctx, string(id), skus)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var evs []event.Payload
	var shortages []event.Shortage
	for _, l := range lines {
		if _, ok := stock.items[l.SKU]; !ok {
			shortages = append(shortages, event.Shortage{SKU: string(l.SKU), Requested: l.Quantity.Int64()})
			continue
		}
		low, err := stock.move(l.SKU, func(it *inventory.Item, r inventory.Reservation) (inventory.Reservation, []event.Payload, error) {
			return it.Reserve(r, l.Quantity)
		})
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
		// Nothing is reserved: the moves of the lines that fitted are dropped with stock.
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
	withFigures(reserved, stock.items)
	av, err := orderAV()
	if err != nil {
		return nil, err
	}
	moves, err := stock.writes(s.tables, now)
	if err != nil {
		return nil, err
	}
	writes := append([]types.TransactWriteItem{versionedPut(s.tables.Orders, av, read)}, moves...)
	err = writeWithEvents(ctx, s.db, s.tables.Outbox, writes, append(reserved, evs...), cause, now)
	return o, wrapWrite(err, id)
}

func wrapWrite(err error, id order.ID) error {
	if err == nil || errors.Is(err, errCondition) {
		return err
	}
	return fmt.Errorf("dynamo: saga step of order %s: %w", id, err)
}

// stockMove is a compensation or confirmation step: it applies move to every line's item and the order's
// reservation of it, and step to the order, and stores them with their events in one transaction.
type stockMove struct {
	name  string
	move  func(it *inventory.Item, r inventory.Reservation) (inventory.Reservation, []event.Payload, error)
	step  func(o *order.Order, now time.Time) ([]event.Payload, error)
	apply func(o *order.Order) bool // whether the order is in a state this step applies to
}

// ReleaseStock gives a RESERVED or PAYMENT_AUTHORIZED order's held stock back (compensation).
func (s *Saga) ReleaseStock(ctx context.Context, id order.ID, cause event.Cause) (*order.Order, error) {
	return s.run(ctx, id, cause, stockMove{name: "release",
		move: (*inventory.Item).Release,
		step: (*order.Order).MarkStockReleased,
		apply: func(o *order.Order) bool {
			return (o.Status() == order.Reserved || o.Status() == order.PaymentAuthorized) && !o.StockReleased()
		},
	})
}

// Confirm turns a paid order's held stock into sold stock and confirms the order, unless a
// cancellation is pending (order.ErrCancellationRequested).
func (s *Saga) Confirm(ctx context.Context, id order.ID, cause event.Cause) (*order.Order, error) {
	return s.run(ctx, id, cause, stockMove{name: "confirm",
		move:  (*inventory.Item).Commit,
		step:  (*order.Order).Confirm,
		apply: func(o *order.Order) bool { return o.Status() == order.PaymentAuthorized },
	})
}

// ReturnStock gives a cancelled confirmed order's sold stock back (compensation after confirmation).
func (s *Saga) ReturnStock(ctx context.Context, id order.ID, cause event.Cause) (*order.Order, error) {
	return s.run(ctx, id, cause, stockMove{name: "return",
		move: (*inventory.Item).Return,
		step: (*order.Order).MarkStockReturned,
		apply: func(o *order.Order) bool {
			return o.Status() == order.Confirmed && o.Cancellation() != nil && !o.StockReturned()
		},
	})
}

func (s *Saga) run(ctx context.Context, id order.ID, cause event.Cause, m stockMove) (*order.Order, error) {
	for range conflictAttempts {
		o, err := s.moveOnce(ctx, id, cause, m)
		if !errors.Is(err, errCondition) {
			return o, err
		}
	}
	return nil, fmt.Errorf("%w: %s stock of %s", ErrConflict, m.name, id)
}

func (s *Saga) moveOnce(ctx context.Context, id order.ID, cause event.Cause, m stockMove) (*order.Order, error) {
	o, err := s.orders.Get(ctx, id)
	if err != nil || !m.apply(o) {
		return o, err // nothing to do: a repeated step, or the order is elsewhere (the saga decides)
	}
	read := o.Version()
	lines := o.Lines()
	skus := make([]inventory.SKU, len(lines))
	for i, l := range lines {
		skus[i] = l.SKU
	}
	stock, err := s.items.orderStock(ctx, string(id), skus)
	if err != nil {
		return nil, err
	}
	var evs []event.Payload
	for _, sku := range skus {
		more, err := stock.move(sku, m.move)
		if err != nil {
			return nil, err
		}
		evs = append(evs, more...)
	}
	now := s.now()
	stepEvs, err := m.step(o, now)
	if err != nil {
		return nil, err
	}
	withFigures(stepEvs, stock.items)
	av, err := attributevalue.MarshalMap(toOrderRecord(o))
	if err != nil {
		return nil, err
	}
	moves, err := stock.writes(s.tables, now)
	if err != nil {
		return nil, err
	}
	writes := append([]types.TransactWriteItem{versionedPut(s.tables.Orders, av, read)}, moves...)
	err = writeWithEvents(ctx, s.db, s.tables.Outbox, writes, append(stepEvs, evs...), cause, now)
	return o, wrapWrite(err, id)
}

// withFigures stamps each stock line of the events with its item's figures after the move.
func withFigures(evs []event.Payload, items map[inventory.SKU]*inventory.Item) {
	stamp := func(lines []event.StockLine) {
		for i, sl := range lines {
			if it, ok := items[inventory.SKU(sl.SKU)]; ok {
				avail := it.Available().Int64()
				lines[i].Available, lines[i].ItemVersion = &avail, it.Version()
			}
		}
	}
	for _, p := range evs {
		switch e := p.(type) {
		case event.InventoryReserved:
			stamp(e.Lines)
		case event.InventoryReleased:
			stamp(e.Lines)
		case event.InventoryCommitted:
			stamp(e.Lines)
		case event.InventoryReturned:
			stamp(e.Lines)
		}
	}
}
