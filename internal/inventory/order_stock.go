package inventory

import (
	"errors"
	"fmt"
	"maps"

	"github.com/orion-oss/orion/internal/event"
)

// Line is one line of an order as stock sees it: a SKU and how many units of it.
type Line struct {
	SKU      SKU
	Quantity Quantity
}

// OrderStock is the stock of one order: the item of each of its lines and the order's reservation of
// it. The saga moves all of them together or none: an order is reserved, released, sold or returned
// as a whole, never line by line. Each move works on copies and keeps them only when every line
// moved, so a refused move leaves the OrderStock as it was; storage writes what changed (the items
// whose version moved, the reservations that differ from what it read) in one transaction.
type OrderStock struct {
	orderID string
	lines   []Line
	items   map[SKU]*Item
	held    map[SKU]Reservation
}

// NewOrderStock gathers the stock of an order's lines: items are those found (an unknown SKU has none),
// held the order's stored reservations of them (a line without one holds nothing: NoReservation).
// Reservations of SKUs that are not on a line are ignored.
func NewOrderStock(orderID string, lines []Line, items []*Item, held []Reservation) *OrderStock {
	s := &OrderStock{orderID: orderID, lines: append([]Line(nil), lines...), items: map[SKU]*Item{}, held: map[SKU]Reservation{}}
	for _, it := range items {
		s.items[it.SKU()] = it
	}
	for _, l := range lines {
		s.held[l.SKU] = NoReservation(l.SKU, orderID)
	}
	for _, r := range held {
		if _, ok := s.held[r.SKU]; ok {
			s.held[r.SKU] = r
		}
	}
	return s
}

// OrderID is the order whose stock this is.
func (s *OrderStock) OrderID() string { return s.orderID }

// Lines are the order's lines, in the order's order.
func (s *OrderStock) Lines() []Line { return append([]Line(nil), s.lines...) }

// Item returns the item of sku, if it exists.
func (s *OrderStock) Item(sku SKU) (*Item, bool) {
	it, ok := s.items[sku]
	return it, ok
}

// Reservation returns the order's reservation of sku (NoReservation when it holds nothing there).
func (s *OrderStock) Reservation(sku SKU) Reservation {
	if r, ok := s.held[sku]; ok {
		return r
	}
	return NoReservation(sku, s.orderID)
}

// Reserve holds every line's quantity for the order, or nothing: when any line is short (its item has
// fewer units available, or there is no such item) it returns every shortage and reserves no line, so
// the order can be rejected with the whole list. Otherwise it returns the events of the moves (an
// InventoryLow for each item that fell below its threshold). Lines the order already reserved are
// repeats and change nothing (see Item.Reserve). Any other refusal is an error, and nothing moves.
func (s *OrderStock) Reserve() ([]event.Shortage, []event.Payload, error) {
	before := s.snapshot()
	var shortages []event.Shortage
	evs, err := s.moveAll(func(l Line, it *Item, r Reservation) (Reservation, []event.Payload, error) {
		if it == nil {
			shortages = append(shortages, event.Shortage{SKU: string(l.SKU), Requested: l.Quantity.Int64()})
			return r, nil, nil
		}
		after, evs, err := it.Reserve(r, l.Quantity)
		var short *InsufficientStockError
		if errors.As(err, &short) {
			shortages = append(shortages, event.Shortage{SKU: string(l.SKU), Requested: l.Quantity.Int64(), Available: short.Available.Int64()})
			return r, nil, nil
		}
		return after, evs, err
	}, func() bool { return len(shortages) == 0 })
	if err != nil {
		return nil, nil, err
	}
	if len(shortages) > 0 {
		return shortages, nil, nil
	}
	if over := s.overBudget(); len(over) > 0 {
		s.restore(before)
		return over, nil, nil
	}
	return nil, evs, nil
}

// MaxStockItems bounds the stock items (items and shard items) one move of an order writes: with the
// order, its customer's holds, its reservations record and the outbox's batch items (at most 6 for
// the events of a 50-line order) a step stays within DynamoDB's 100 items per TransactWriteItems
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html). An order
// reserves at most one shard per line unless its lines are at the last units of their shards, so only
// an order of many lines split over many shards meets it.
const MaxStockItems = 90

// overBudget is the lines split over shards when the reservation just made writes more than
// MaxStockItems stock items, as shortages (each with its SKU's available units): the order is
// rejected as out of stock rather than stored in a transaction DynamoDB refuses. Place-order cannot
// see this coming (which shards hold the units is known only when reserving), and it takes an order
// of dozens of lines each at the last units of its shards.
func (s *OrderStock) overBudget() []event.Shortage {
	touched := 0
	for _, sku := range s.skus() {
		touched += len(s.held[sku].PartsTaken())
	}
	if touched <= MaxStockItems {
		return nil
	}
	var out []event.Shortage
	for _, l := range s.lines {
		if r := s.held[l.SKU]; len(r.PartsTaken()) > 1 {
			it := s.items[l.SKU]
			out = append(out, event.Shortage{SKU: string(l.SKU), Requested: l.Quantity.Int64(), Available: (it.Available() + r.Quantity).Int64()})
		}
	}
	return out
}

// skus are the SKUs of the lines, once each.
func (s *OrderStock) skus() []SKU {
	var out []SKU
	seen := map[SKU]bool{}
	for _, l := range s.lines {
		if !seen[l.SKU] {
			seen[l.SKU] = true
			out = append(out, l.SKU)
		}
	}
	return out
}

// snapshot and restore keep an OrderStock's state across a move that is undone.
type stockState struct {
	items map[SKU]*Item
	held  map[SKU]Reservation
}

func (s *OrderStock) snapshot() stockState {
	st := stockState{items: map[SKU]*Item{}, held: maps.Clone(s.held)}
	for sku, it := range s.items {
		st.items[sku] = it.clone()
	}
	return st
}

func (s *OrderStock) restore(st stockState) {
	for sku, it := range st.items {
		*s.items[sku] = *it
	}
	s.held = st.held
}

// ShardFigures are the figures of the shards of sku the order's reservation took from, after the
// move, for the catalog view of a SKU split over shards (each shard has a version of its own); nil for
// a SKU that is not sharded, whose item's Available and Version say it all.
func (s *OrderStock) ShardFigures(sku SKU) []event.ShardStock {
	it, ok := s.items[sku]
	if !ok || !it.Sharded() {
		return nil
	}
	var out []event.ShardStock
	for _, p := range s.Reservation(sku).PartsTaken() {
		if sh := it.shardAt(p.Shard); sh != nil {
			out = append(out, sh.figures())
		}
	}
	return out
}

// Release gives back the units every line holds (compensation before confirmation): see Item.Release.
func (s *OrderStock) Release() ([]event.Payload, error) { return s.each((*Item).Release) }

// Commit turns the units every line holds into sold units (the order is confirmed): see Item.Commit.
func (s *OrderStock) Commit() ([]event.Payload, error) { return s.each((*Item).Commit) }

// Return gives every line's sold units back (a confirmed order was cancelled): see Item.Return.
func (s *OrderStock) Return() ([]event.Payload, error) { return s.each((*Item).Return) }

// ReturnUnits gives the units of a received return back to available stock: each of lines is a SKU of
// the order and how many of its sold units came back (see Item.ReturnUnits). Lines of the order that
// are not returned do not move; a returned SKU that is not on the order is an error.
func (s *OrderStock) ReturnUnits(lines []Line) ([]event.Payload, error) {
	qty := make(map[SKU]Quantity, len(lines))
	for _, l := range lines {
		if _, ok := s.held[l.SKU]; !ok {
			return nil, fmt.Errorf("inventory: stock of order %s: returned %s is not on the order", s.orderID, l.SKU)
		}
		qty[l.SKU] += l.Quantity
	}
	return s.moveAll(func(l Line, it *Item, r Reservation) (Reservation, []event.Payload, error) {
		q, returned := qty[l.SKU]
		switch {
		case !returned:
			return r, nil, nil
		case it == nil:
			return r, nil, fmt.Errorf("inventory: stock of order %s: item %s is gone", s.orderID, l.SKU)
		}
		return it.ReturnUnits(r, q)
	}, func() bool { return true })
}

// each applies move to every line's item and reservation; a line whose item no longer exists is an
// error, because the order holds (or held) units of it.
func (s *OrderStock) each(move func(*Item, Reservation) (Reservation, []event.Payload, error)) ([]event.Payload, error) {
	return s.moveAll(func(l Line, it *Item, r Reservation) (Reservation, []event.Payload, error) {
		if it == nil {
			return r, nil, fmt.Errorf("inventory: stock of order %s: item %s is gone", s.orderID, l.SKU)
		}
		return move(it, r)
	}, func() bool { return true })
}

// moveAll runs move over every line on copies of the items and reservations (it == nil: no such item)
// and keeps the copies only when no move failed and keep says so, so that a step moves every line or
// none. It returns the moves' events in line order.
func (s *OrderStock) moveAll(move func(l Line, it *Item, r Reservation) (Reservation, []event.Payload, error), keep func() bool) ([]event.Payload, error) {
	items := make(map[SKU]*Item, len(s.items))
	for sku, it := range s.items {
		items[sku] = it.clone()
	}
	held := make(map[SKU]Reservation, len(s.held))
	for sku, r := range s.held {
		held[sku] = r
	}
	var evs []event.Payload
	for _, l := range s.lines {
		r, more, err := move(l, items[l.SKU], held[l.SKU])
		if err != nil {
			return nil, err
		}
		held[l.SKU] = r
		evs = append(evs, more...)
	}
	if !keep() {
		return nil, nil
	}
	for sku, it := range items {
		*s.items[sku] = *it
	}
	s.held = held
	return evs, nil
}
