package inventory_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
)

// figures are one item's counters and the order's reservation of it.
type figures struct {
	available, reserved, sold inventory.Quantity
	state                     inventory.ReservationState
}

// orderStock builds the stock of an order of two lines, A-1 x2 and B-1 x3: items as given (a SKU
// missing from available has no item; threshold 3 each), and the reservations the order stores.
func orderStock(t *testing.T, available map[inventory.SKU]inventory.Quantity, held ...inventory.Reservation) *inventory.OrderStock {
	t.Helper()
	lines := []inventory.Line{{SKU: "A-1", Quantity: 2}, {SKU: "B-1", Quantity: 3}}
	var items []*inventory.Item
	for _, l := range lines {
		n, ok := available[l.SKU]
		if !ok {
			continue
		}
		// Counters that account for the reservations given, as storage keeps them.
		s := inventory.Snapshot{SKU: l.SKU, Name: "Widget", Price: usd(t, 100), Available: n, LowStockThreshold: 3, Version: 1}
		for _, r := range held {
			switch {
			case r.SKU != l.SKU:
			case r.State == inventory.Reserved:
				s.Reserved += r.Quantity
			case r.State == inventory.Committed:
				s.Sold += r.Quantity
			}
		}
		it, err := inventory.FromSnapshot(s)
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, it)
	}
	return inventory.NewOrderStock("o1", lines, items, held)
}

func held(sku inventory.SKU, qty inventory.Quantity, state inventory.ReservationState) inventory.Reservation {
	return inventory.Reservation{SKU: sku, OrderID: "o1", Quantity: qty, State: state}
}

func figuresOf(s *inventory.OrderStock) map[inventory.SKU]figures {
	out := map[inventory.SKU]figures{}
	for _, l := range s.Lines() {
		f := figures{state: s.Reservation(l.SKU).State}
		if it, ok := s.Item(l.SKU); ok {
			f.available, f.reserved, f.sold = it.Available(), it.Reserved(), it.Sold()
		}
		out[l.SKU] = f
	}
	return out
}

// Every move of an order's stock over every line at once: all lines move, or (a shortage, a refusal)
// none does.
func TestOrderStockMovesEveryLineOrNone(t *testing.T) {
	reserve := func(s *inventory.OrderStock) ([]event.Shortage, []event.Payload, error) { return s.Reserve() }
	only := func(m func(*inventory.OrderStock) ([]event.Payload, error)) func(*inventory.OrderStock) ([]event.Shortage, []event.Payload, error) {
		return func(s *inventory.OrderStock) ([]event.Shortage, []event.Payload, error) {
			evs, err := m(s)
			return nil, evs, err
		}
	}
	release, commit, ret := only((*inventory.OrderStock).Release), only((*inventory.OrderStock).Commit), only((*inventory.OrderStock).Return)
	ten := map[inventory.SKU]inventory.Quantity{"A-1": 10, "B-1": 10}
	tests := []struct {
		name      string
		available map[inventory.SKU]inventory.Quantity
		held      []inventory.Reservation
		move      func(*inventory.OrderStock) ([]event.Shortage, []event.Payload, error)
		shortages []event.Shortage
		events    []string // event types, in line order
		err       error    // errors.Is; errAny: any error
		after     map[inventory.SKU]figures
	}{
		{name: "reserve every line", available: ten, move: reserve,
			after: map[inventory.SKU]figures{"A-1": {8, 2, 0, inventory.Reserved}, "B-1": {7, 3, 0, inventory.Reserved}}},
		{name: "reserve reports each item that falls below its threshold", available: map[inventory.SKU]inventory.Quantity{"A-1": 4, "B-1": 10}, move: reserve,
			events: []string{event.TypeInventoryLow},
			after:  map[inventory.SKU]figures{"A-1": {2, 2, 0, inventory.Reserved}, "B-1": {7, 3, 0, inventory.Reserved}}},
		{name: "one short line reserves nothing", available: map[inventory.SKU]inventory.Quantity{"A-1": 10, "B-1": 1}, move: reserve,
			shortages: []event.Shortage{{SKU: "B-1", Requested: 3, Available: 1}},
			after:     map[inventory.SKU]figures{"A-1": {10, 0, 0, ""}, "B-1": {1, 0, 0, ""}}},
		{name: "every short line is reported", available: map[inventory.SKU]inventory.Quantity{"A-1": 1, "B-1": 0}, move: reserve,
			shortages: []event.Shortage{{SKU: "A-1", Requested: 2, Available: 1}, {SKU: "B-1", Requested: 3}},
			after:     map[inventory.SKU]figures{"A-1": {1, 0, 0, ""}, "B-1": {0, 0, 0, ""}}},
		{name: "an unknown SKU is a shortage of everything", available: map[inventory.SKU]inventory.Quantity{"A-1": 10}, move: reserve,
			shortages: []event.Shortage{{SKU: "B-1", Requested: 3}},
			after:     map[inventory.SKU]figures{"A-1": {10, 0, 0, ""}, "B-1": {}}},
		{name: "reserve repeated changes nothing", available: map[inventory.SKU]inventory.Quantity{"A-1": 8, "B-1": 7},
			held: []inventory.Reservation{held("A-1", 2, inventory.Reserved), held("B-1", 3, inventory.Reserved)}, move: reserve,
			after: map[inventory.SKU]figures{"A-1": {8, 2, 0, inventory.Reserved}, "B-1": {7, 3, 0, inventory.Reserved}}},
		{name: "reserve over a corrupt reservation is refused", available: ten,
			held: []inventory.Reservation{held("B-1", 0, inventory.Reserved)}, move: reserve, err: errAny,
			after: map[inventory.SKU]figures{"A-1": {10, 0, 0, ""}, "B-1": {10, 0, 0, inventory.Reserved}}},
		{name: "release every line", available: map[inventory.SKU]inventory.Quantity{"A-1": 8, "B-1": 7},
			held: []inventory.Reservation{held("A-1", 2, inventory.Reserved), held("B-1", 3, inventory.Reserved)}, move: release,
			after: map[inventory.SKU]figures{"A-1": {10, 0, 0, inventory.Released}, "B-1": {10, 0, 0, inventory.Released}}},
		{name: "release of nothing held changes nothing", available: ten, move: release,
			after: map[inventory.SKU]figures{"A-1": {10, 0, 0, ""}, "B-1": {10, 0, 0, ""}}},
		{name: "release of a sold line is refused, and no line moves", available: map[inventory.SKU]inventory.Quantity{"A-1": 8, "B-1": 7},
			held: []inventory.Reservation{held("A-1", 2, inventory.Reserved), held("B-1", 3, inventory.Committed)}, move: release, err: inventory.ErrReservationState,
			after: map[inventory.SKU]figures{"A-1": {8, 2, 0, inventory.Reserved}, "B-1": {7, 0, 3, inventory.Committed}}},
		{name: "release of a line whose item is gone is refused", available: map[inventory.SKU]inventory.Quantity{"A-1": 8},
			held: []inventory.Reservation{held("A-1", 2, inventory.Reserved), held("B-1", 3, inventory.Reserved)}, move: release, err: errAny,
			after: map[inventory.SKU]figures{"A-1": {8, 2, 0, inventory.Reserved}, "B-1": {0, 0, 0, inventory.Reserved}}},
		{name: "commit every line", available: map[inventory.SKU]inventory.Quantity{"A-1": 8, "B-1": 7},
			held: []inventory.Reservation{held("A-1", 2, inventory.Reserved), held("B-1", 3, inventory.Reserved)}, move: commit,
			after: map[inventory.SKU]figures{"A-1": {8, 0, 2, inventory.Committed}, "B-1": {7, 0, 3, inventory.Committed}}},
		{name: "commit of a released line is refused, and no line moves", available: map[inventory.SKU]inventory.Quantity{"A-1": 8, "B-1": 10},
			held: []inventory.Reservation{held("A-1", 2, inventory.Reserved), held("B-1", 3, inventory.Released)}, move: commit, err: inventory.ErrReservationState,
			after: map[inventory.SKU]figures{"A-1": {8, 2, 0, inventory.Reserved}, "B-1": {10, 0, 0, inventory.Released}}},
		{name: "commit repeated changes nothing", available: map[inventory.SKU]inventory.Quantity{"A-1": 8, "B-1": 7},
			held: []inventory.Reservation{held("A-1", 2, inventory.Committed), held("B-1", 3, inventory.Committed)}, move: commit,
			after: map[inventory.SKU]figures{"A-1": {8, 0, 2, inventory.Committed}, "B-1": {7, 0, 3, inventory.Committed}}},
		{name: "return every line", available: map[inventory.SKU]inventory.Quantity{"A-1": 8, "B-1": 7},
			held: []inventory.Reservation{held("A-1", 2, inventory.Committed), held("B-1", 3, inventory.Committed)}, move: ret,
			after: map[inventory.SKU]figures{"A-1": {10, 0, 0, inventory.Returned}, "B-1": {10, 0, 0, inventory.Returned}}},
		{name: "return of an unsold line is refused, and no line moves", available: map[inventory.SKU]inventory.Quantity{"A-1": 8, "B-1": 7},
			held: []inventory.Reservation{held("A-1", 2, inventory.Committed), held("B-1", 3, inventory.Reserved)}, move: ret, err: inventory.ErrReservationState,
			after: map[inventory.SKU]figures{"A-1": {8, 0, 2, inventory.Committed}, "B-1": {7, 3, 0, inventory.Reserved}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := orderStock(t, tt.available, tt.held...)
			versions := map[inventory.SKU]int64{}
			for _, l := range s.Lines() {
				if it, ok := s.Item(l.SKU); ok {
					versions[l.SKU] = it.Version()
				}
			}
			before := figuresOf(s)
			shortages, evs, err := tt.move(s)
			switch {
			case tt.err == errAny && err == nil, tt.err != errAny && !errors.Is(err, tt.err):
				t.Fatalf("err = %v; want %v", err, tt.err)
			}
			if !slices.Equal(shortages, tt.shortages) {
				t.Errorf("shortages = %+v; want %+v", shortages, tt.shortages)
			}
			var types []string
			for _, e := range evs {
				types = append(types, e.EventType())
			}
			if !slices.Equal(types, tt.events) {
				t.Errorf("events = %v; want %v", types, tt.events)
			}
			after := figuresOf(s)
			if fmt.Sprint(after) != fmt.Sprint(tt.after) {
				t.Errorf("after: %+v; want %+v", after, tt.after)
			}
			// An item's version moves with its counters and only then.
			for sku, v := range versions {
				it, _ := s.Item(sku)
				if moved := after[sku] != before[sku]; moved != (it.Version() == v+1) || (!moved && it.Version() != v) {
					t.Errorf("%s: moved %v, version %d -> %d", sku, moved, v, it.Version())
				}
			}
		})
	}
}

// errAny in a test table: some error, whichever.
var errAny = errors.New("any error")

// The stock is the order's lines' alone: reservations of other SKUs are not part of it, and a line
// without a stored reservation holds nothing.
func TestNewOrderStock(t *testing.T) {
	s := orderStock(t, map[inventory.SKU]inventory.Quantity{"A-1": 1}, held("A-1", 2, inventory.Reserved), held("Z-9", 1, inventory.Committed))
	if got := s.Reservation("B-1"); got != inventory.NoReservation("B-1", "o1") {
		t.Fatalf("B-1: %+v", got)
	}
	if got := s.Reservation("A-1"); got != held("A-1", 2, inventory.Reserved) {
		t.Fatalf("A-1: %+v", got)
	}
	if _, ok := s.Item("B-1"); ok {
		t.Fatal("an item that does not exist was found")
	}
	evs, err := s.Release()
	if err == nil || evs != nil {
		t.Fatalf("release with B-1's item gone: %v %v", evs, err)
	}
	if s.OrderID() != "o1" || len(s.Lines()) != 2 {
		t.Fatalf("order %s lines %v", s.OrderID(), s.Lines())
	}
}
