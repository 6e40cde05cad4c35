package inventory_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/validation"
)

func usd(t testing.TB, cents int64) money.Money {
	t.Helper()
	m, err := money.New(cents, "USD")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func newItem(t testing.TB, available inventory.Quantity) *inventory.Item {
	t.Helper()
	it, evs, err := inventory.NewItem("SKU-1", inventory.Details{Name: "Widget", Price: usd(t, 1999)}, available, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].EventType() != event.TypeInventoryUpdated {
		t.Fatalf("NewItem events = %v", evs)
	}
	return it
}

// stock is an item with its reservations as storage keeps them beside it: each move is given the order's
// stored reservation and what it returns is stored, as the repository does in one transaction.
type stock struct {
	t    testing.TB
	it   *inventory.Item
	held map[string]inventory.Reservation
}

func newStock(t testing.TB, available inventory.Quantity) *stock {
	return &stock{t: t, it: newItem(t, available), held: map[string]inventory.Reservation{}}
}

func (s *stock) reservation(order string) inventory.Reservation {
	if r, ok := s.held[order]; ok {
		return r
	}
	return inventory.NoReservation(s.it.SKU(), order)
}

func (s *stock) move(order string, m func(inventory.Reservation) (inventory.Reservation, []event.Payload, error)) ([]event.Payload, error) {
	s.t.Helper()
	before := s.reservation(order)
	version := s.it.Version()
	r, evs, err := m(before)
	if err != nil || r == before {
		if r != before || s.it.Version() != version {
			s.t.Fatalf("a refused or repeated move changed the reservation (%+v -> %+v) or the item (v%d -> v%d)", before, r, version, s.it.Version())
		}
		return evs, err
	}
	if s.it.Version() != version+1 {
		s.t.Fatalf("the reservation moved (%+v -> %+v) but the item's version went from %d to %d", before, r, version, s.it.Version())
	}
	s.held[order] = r
	return evs, nil
}

func (s *stock) reserve(order string, q inventory.Quantity) ([]event.Payload, error) {
	return s.move(order, func(r inventory.Reservation) (inventory.Reservation, []event.Payload, error) {
		return s.it.Reserve(r, q)
	})
}
func (s *stock) release(order string) ([]event.Payload, error) { return s.move(order, s.it.Release) }
func (s *stock) commit(order string) ([]event.Payload, error)  { return s.move(order, s.it.Commit) }
func (s *stock) ret(order string) ([]event.Payload, error)     { return s.move(order, s.it.Return) }

func TestStockMovesAreKeyedByOrder(t *testing.T) {
	tests := []struct {
		name                      string
		ops                       func(*stock) error
		available, reserved, sold inventory.Quantity
		state                     inventory.ReservationState // of o1 at the end
	}{
		{"reserve", func(s *stock) error { _, err := s.reserve("o1", 4); return err }, 6, 4, 0, inventory.Reserved},
		{"reserve twice for one order", func(s *stock) error {
			s.reserve("o1", 4)
			_, err := s.reserve("o1", 4)
			return err
		}, 6, 4, 0, inventory.Reserved},
		{"release twice", func(s *stock) error {
			s.reserve("o1", 4)
			s.release("o1")
			_, err := s.release("o1")
			return err
		}, 10, 0, 0, inventory.Released},
		{"release unknown order", func(s *stock) error { _, err := s.release("o1"); return err }, 10, 0, 0, ""},
		{"commit twice", func(s *stock) error {
			s.reserve("o1", 4)
			s.commit("o1")
			_, err := s.commit("o1")
			return err
		}, 6, 0, 4, inventory.Committed},
		{"return after commit, twice", func(s *stock) error {
			s.reserve("o1", 4)
			s.commit("o1")
			s.ret("o1")
			_, err := s.ret("o1")
			return err
		}, 10, 0, 0, inventory.Returned},
		{"reserve after release is a no-op", func(s *stock) error {
			s.reserve("o1", 4)
			s.release("o1")
			_, err := s.reserve("o1", 4)
			return err
		}, 10, 0, 0, inventory.Released},
		{"reserve after commit is a no-op", func(s *stock) error {
			s.reserve("o1", 4)
			s.commit("o1")
			_, err := s.reserve("o1", 4)
			return err
		}, 6, 0, 4, inventory.Committed},
		{"orders move independently", func(s *stock) error {
			s.reserve("o1", 4)
			s.reserve("o2", 3)
			s.commit("o2")
			_, err := s.release("o2")
			if !errors.Is(err, inventory.ErrReservationState) {
				return fmt.Errorf("release of o2 after commit: %v", err)
			}
			return nil
		}, 3, 4, 3, inventory.Reserved},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStock(t, 10)
			if err := tt.ops(s); err != nil {
				t.Fatal(err)
			}
			it := s.it
			if it.Available() != tt.available || it.Reserved() != tt.reserved || it.Sold() != tt.sold {
				t.Fatalf("available/reserved/sold = %d/%d/%d; want %d/%d/%d", it.Available(), it.Reserved(), it.Sold(), tt.available, tt.reserved, tt.sold)
			}
			if r := s.reservation("o1"); r.State != tt.state || (r.Exists() && r.Quantity != 4) {
				t.Fatalf("o1's reservation = %+v; want state %q of 4", r, tt.state)
			}
		})
	}
}

func TestStockMovesRefused(t *testing.T) {
	s := newStock(t, 3)
	it := s.it
	_, err := s.reserve("o1", 4)
	var short *inventory.InsufficientStockError
	if !errors.As(err, &short) || !errors.Is(err, inventory.ErrInsufficientStock) || short.Requested != 4 || short.Available != 3 {
		t.Fatalf("Reserve beyond stock: %v", err)
	}
	if it.Available() != 3 || it.Version() != 1 || s.reservation("o1").Exists() {
		t.Fatal("a refused reservation changed the item or stored a reservation")
	}
	if _, err := s.commit("o9"); !errors.Is(err, inventory.ErrReservationState) {
		t.Fatalf("Commit without reservation: %v", err)
	}
	if _, err := s.ret("o9"); !errors.Is(err, inventory.ErrReservationState) {
		t.Fatalf("Return without reservation: %v", err)
	}
	s.reserve("o1", 1)
	if _, err := s.ret("o1"); !errors.Is(err, inventory.ErrReservationState) {
		t.Fatalf("Return of a held reservation: %v", err)
	}
	s.release("o1")
	if _, err := s.commit("o1"); !errors.Is(err, inventory.ErrReservationState) {
		t.Fatalf("Commit of a released reservation: %v", err)
	}
	if _, err := s.ret("o1"); !errors.Is(err, inventory.ErrReservationState) {
		t.Fatalf("Return of an unsold reservation: %v", err)
	}
	for _, q := range []inventory.Quantity{0, -1} {
		if _, err := s.reserve("o2", q); !errors.Is(err, validation.ErrInvalid) {
			t.Fatalf("Reserve(%d): %v", q, err)
		}
		if _, err := it.Restock(q); !errors.Is(err, validation.ErrInvalid) {
			t.Fatalf("Restock(%d): %v", q, err)
		}
	}
	if _, err := s.reserve("", 1); !errors.Is(err, validation.ErrInvalid) {
		t.Fatalf("Reserve without an order: %v", err)
	}
	if _, err := it.Restock(inventory.MaxQuantity); !errors.Is(err, validation.ErrInvalid) {
		t.Fatalf("Restock past the maximum: %v", err)
	}
}

// A reservation that is not this item's, that storage could not have produced, or that holds more than
// the item's counters account for is refused before any stock moves.
func TestCorruptReservationsAreRefused(t *testing.T) {
	it := newItem(t, 10)
	tests := []struct {
		name string
		r    inventory.Reservation
		move func(inventory.Reservation) (inventory.Reservation, []event.Payload, error)
	}{
		{"another item's", inventory.Reservation{SKU: "SKU-2", OrderID: "o1", Quantity: 1, State: inventory.Reserved}, it.Release},
		{"another item's, none stored", inventory.NoReservation("SKU-2", "o1"), it.Release},
		{"no order", inventory.Reservation{SKU: "SKU-1", Quantity: 1, State: inventory.Reserved}, it.Commit},
		{"unknown state", inventory.Reservation{SKU: "SKU-1", OrderID: "o1", Quantity: 1, State: "LOST"}, it.Release},
		{"zero quantity", inventory.Reservation{SKU: "SKU-1", OrderID: "o1", State: inventory.Committed}, it.Return},
		{"quantity without state", inventory.Reservation{SKU: "SKU-1", OrderID: "o1", Quantity: 2}, it.Commit},
		{"held beyond reserved", inventory.Reservation{SKU: "SKU-1", OrderID: "o1", Quantity: 2, State: inventory.Reserved}, it.Commit},
		{"sold beyond sold", inventory.Reservation{SKU: "SKU-1", OrderID: "o1", Quantity: 2, State: inventory.Committed}, it.Return},
		{"reserve on another item's", inventory.NoReservation("SKU-2", "o1"), func(r inventory.Reservation) (inventory.Reservation, []event.Payload, error) {
			return it.Reserve(r, 1)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _, err := tt.move(tt.r)
			if err == nil || r != tt.r || it.Version() != 1 || it.Available() != 10 || it.Reserved() != 0 || it.Sold() != 0 {
				t.Fatalf("moved: %+v, err %v, item v%d %d/%d/%d", r, err, it.Version(), it.Available(), it.Reserved(), it.Sold())
			}
		})
	}
}

func TestLowStockIsReportedOnceWhenCrossing(t *testing.T) {
	s := newStock(t, 5) // threshold 3
	evs, _ := s.reserve("o1", 1)
	if len(evs) != 0 {
		t.Fatalf("4 left: events %v", evs)
	}
	evs, _ = s.reserve("o2", 2)
	low, ok := first[event.InventoryLow](evs)
	if !ok || low.Available != 2 || low.Threshold != 3 || low.SKU != "SKU-1" {
		t.Fatalf("crossing below 3: events %v", evs)
	}
	if evs, _ := s.reserve("o3", 1); len(evs) != 0 {
		t.Fatalf("already low: events %v", evs)
	}
}

// An admin's revision alerts when it takes available stock below the threshold, whether by a lower
// stock figure or a higher threshold, and not when the item was already low.
func TestReviseAlertsOnCrossingTheThreshold(t *testing.T) {
	q := func(n inventory.Quantity) *inventory.Quantity { return &n }
	d := inventory.Details{Name: "Widget", Price: usd(t, 1999)}
	tests := []struct {
		name      string
		start     inventory.Quantity // available, threshold 3
		available inventory.Quantity
		threshold *inventory.Quantity
		alert     bool
		err       bool
	}{
		{"stock down past the threshold", 5, 2, nil, true, false},
		{"stock down, still above", 5, 3, nil, false, false},
		{"threshold raised past the stock", 5, 5, q(6), true, false},
		{"already low", 2, 1, nil, false, false},
		{"already low, threshold raised", 2, 2, q(10), false, false},
		{"threshold lowered", 2, 2, q(1), false, false},
		{"threshold out of range", 5, 5, q(-1), false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it := newItem(t, tt.start)
			evs, err := it.Revise(d, tt.available, tt.threshold)
			if tt.err {
				var v validation.Errors
				if !errors.As(err, &v) || it.Version() != 1 {
					t.Fatalf("err = %v, version %d; want a validation error and no change", err, it.Version())
				}
				return
			}
			low, alerted := first[event.InventoryLow](evs)
			if err != nil || alerted != tt.alert || (alerted && low.Available != int64(tt.available)) {
				t.Fatalf("events %v, err %v; want alert %v", evs, err, tt.alert)
			}
			if tt.threshold != nil && it.LowStockThreshold() != *tt.threshold {
				t.Fatalf("threshold %d; want %d", it.LowStockThreshold(), *tt.threshold)
			}
		})
	}
}

func first[T event.Payload](evs []event.Payload) (T, bool) {
	for _, e := range evs {
		if v, ok := e.(T); ok {
			return v, true
		}
	}
	var zero T
	return zero, false
}

func TestNewItemValidation(t *testing.T) {
	_, _, err := inventory.NewItem("bad sku", inventory.Details{Name: " ", Price: money.Money{}}, -1, 0)
	var ve validation.Errors
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v", err)
	}
	got := map[string]bool{}
	for _, p := range ve {
		got[p.Field] = true
	}
	for _, f := range []string{"sku", "name", "price", "available"} {
		if !got[f] {
			t.Errorf("no problem reported for %s in %v", f, ve)
		}
	}
}

// TestConservationUnderRandomOperations runs random sequences of every stock move, repeated and out of
// order as at-least-once delivery produces them, and checks the invariants after each one.
func TestConservationUnderRandomOperations(t *testing.T) {
	for seed := uint64(0); seed < 200; seed++ {
		r := rand.New(rand.NewPCG(seed, 7))
		s := newStock(t, inventory.Quantity(r.IntN(50)))
		total := s.it.Available()
		for step := 0; step < 200; step++ {
			order := fmt.Sprintf("o%d", r.IntN(20))
			switch r.IntN(5) {
			case 0:
				s.reserve(order, inventory.Quantity(1+r.IntN(10)))
			case 1:
				s.release(order)
			case 2:
				s.commit(order)
			case 3:
				s.ret(order)
			case 4:
				q := inventory.Quantity(1 + r.IntN(5))
				if _, err := s.it.Restock(q); err == nil {
					total += q
				}
			}
			checkInvariants(t, s, total, seed, step)
		}
	}
}

func checkInvariants(t *testing.T, s *stock, total inventory.Quantity, seed uint64, step int) {
	t.Helper()
	it := s.it
	if it.Available() < 0 || it.Reserved() < 0 || it.Sold() < 0 {
		t.Fatalf("seed %d step %d: negative stock %d/%d/%d", seed, step, it.Available(), it.Reserved(), it.Sold())
	}
	if got := it.Available() + it.Reserved() + it.Sold(); got != total {
		t.Fatalf("seed %d step %d: available+reserved+sold = %d; want %d", seed, step, got, total)
	}
	var held, sold inventory.Quantity
	for _, r := range s.held {
		switch r.State {
		case inventory.Reserved:
			held += r.Quantity
		case inventory.Committed:
			sold += r.Quantity
		}
	}
	if held != it.Reserved() || sold != it.Sold() {
		t.Fatalf("seed %d step %d: reservations hold %d and sold %d; the item says %d and %d", seed, step, held, sold, it.Reserved(), it.Sold())
	}
	if _, err := inventory.FromSnapshot(it.Snapshot()); err != nil {
		t.Fatalf("seed %d step %d: snapshot breaks invariants: %v", seed, step, err)
	}
}

func FuzzStockMoves(f *testing.F) {
	f.Add(uint16(10), []byte{0, 1, 2, 3, 4, 0, 0})
	f.Fuzz(func(t *testing.T, start uint16, ops []byte) {
		s := newStock(t, inventory.Quantity(start))
		total := s.it.Available()
		for i, op := range ops {
			order := fmt.Sprintf("o%d", op%7)
			q := inventory.Quantity(op % 13)
			switch op % 5 {
			case 0:
				s.reserve(order, q)
			case 1:
				s.release(order)
			case 2:
				s.commit(order)
			case 3:
				s.ret(order)
			case 4:
				if _, err := s.it.Restock(q); err == nil {
					total += q
				}
			}
			checkInvariants(t, s, total, 0, i)
		}
	})
}

func TestSKUAndQuantity(t *testing.T) {
	for _, ok := range []string{"A", "SKU-1", "X_9", string(make([]byte, 0)) + "ABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJABCD"} {
		if _, err := inventory.ParseSKU(ok); err != nil {
			t.Errorf("ParseSKU(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "sku-1", "A B", "A/B", "Ä", "ABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDE"} {
		if _, err := inventory.ParseSKU(bad); !errors.Is(err, validation.ErrInvalid) {
			t.Errorf("ParseSKU(%q) = %v", bad, err)
		}
	}
	q, _ := inventory.NewQuantity(5)
	if _, err := q.Sub(6); !errors.Is(err, inventory.ErrQuantityRange) {
		t.Errorf("5-6: %v", err)
	}
	if _, err := inventory.MaxQuantity.Add(1); !errors.Is(err, inventory.ErrQuantityRange) {
		t.Errorf("max+1: %v", err)
	}
}

func FuzzParseSKU(f *testing.F) {
	f.Add("SKU-1")
	f.Fuzz(func(t *testing.T, s string) {
		sku, err := inventory.ParseSKU(s)
		if err == nil && (len(sku) == 0 || len(sku) > inventory.MaxSKULength || string(sku) != s) {
			t.Fatalf("accepted %q as %q", s, sku)
		}
	})
}
