package inventory_test

import (
	"fmt"
	"testing"

	"github.com/orion-oss/orion/internal/inventory"
)

// Each step's change of a shard, and what a write of it conditional on the counters checks: the units
// it takes from each counter, nothing about the others.
func TestMovesOfEachStepAndTheirGuards(t *testing.T) {
	tests := []struct {
		name          string
		pre, step     func(*inventory.Item, inventory.Reservation) (inventory.Reservation, error) // nil step: the reservation
		want          inventory.Move
		guard         [3]inventory.Quantity // available, reserved, sold
		before, after [3]inventory.Quantity // shard 1 as the write finds it, and after the write
		refused       bool
	}{
		{name: "reserve takes available units", want: inventory.Move{Shard: 1, Available: -2, Reserved: 2},
			guard: [3]inventory.Quantity{2, 0, 0}, before: [3]inventory.Quantity{2, 5, 1}, after: [3]inventory.Quantity{0, 7, 1}},
		{name: "reserve finds the units gone since its read", want: inventory.Move{Shard: 1, Available: -2, Reserved: 2},
			guard: [3]inventory.Quantity{2, 0, 0}, before: [3]inventory.Quantity{1, 9, 0}, refused: true},
		{name: "commit sells reserved units", step: commit, want: inventory.Move{Shard: 1, Reserved: -2, Sold: 2},
			guard: [3]inventory.Quantity{0, 2, 0}, before: [3]inventory.Quantity{0, 3, 4}, after: [3]inventory.Quantity{0, 1, 6}},
		{name: "release gives reserved units back", step: release, want: inventory.Move{Shard: 1, Available: 2, Reserved: -2},
			guard: [3]inventory.Quantity{0, 2, 0}, before: [3]inventory.Quantity{0, 2, 0}, after: [3]inventory.Quantity{2, 0, 0}},
		{name: "release on a shard another release already emptied", step: release, want: inventory.Move{Shard: 1, Available: 2, Reserved: -2},
			guard: [3]inventory.Quantity{0, 2, 0}, before: [3]inventory.Quantity{3, 1, 0}, refused: true},
		{name: "return gives sold units back", pre: commit, step: func(it *inventory.Item, r inventory.Reservation) (inventory.Reservation, error) {
			r, _, err := it.Return(r)
			return r, err
		}, want: inventory.Move{Shard: 1, Available: 2, Sold: -2},
			guard: [3]inventory.Quantity{0, 0, 2}, before: [3]inventory.Quantity{0, 0, 2}, after: [3]inventory.Quantity{2, 0, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			it := sharded(t, 2, 0, 4, 0)
			r, _, err := it.Reserve(inventory.NoReservation("SKU-1", orderOn(0, 2)), 2)
			if err != nil {
				t.Fatal(err)
			}
			if tc.pre != nil {
				if r, err = tc.pre(it, r); err != nil {
					t.Fatal(err)
				}
			}
			base := sharded(t, 2, 0, 4, 0) // shard 1 as read by the step
			read, _ := base.Shard(1)
			if tc.step != nil {
				read, _ = it.Shard(1)
				if _, err := tc.step(it, r); err != nil {
					t.Fatal(err)
				}
			}
			after, _ := it.Shard(1)
			m := inventory.MoveOf(read, after)
			if m != tc.want || !m.Conserves() {
				t.Fatalf("move %v, want %v (conserving)", m, tc.want)
			}
			a, rs, s := m.Guard()
			if g := [3]inventory.Quantity{a, rs, s}; g != tc.guard {
				t.Fatalf("guard %v, want %v", g, tc.guard)
			}
			live := inventory.ShardSnapshot{Index: 1, Available: tc.before[0], Reserved: tc.before[1], Sold: tc.before[2], Version: 40}
			got, ok := m.Apply(live)
			if ok == tc.refused {
				t.Fatalf("applied %v to %+v: ok %v", m, live, ok)
			}
			if tc.refused {
				if got != live {
					t.Fatalf("a refused move changed the shard: %+v", got)
				}
				return
			}
			if g := [3]inventory.Quantity{got.Available, got.Reserved, got.Sold}; g != tc.after || got.Version != 41 {
				t.Fatalf("after %+v, want %v at version 41", got, tc.after)
			}
		})
	}
}

func commit(it *inventory.Item, r inventory.Reservation) (inventory.Reservation, error) {
	r, _, err := it.Commit(r)
	return r, err
}

func release(it *inventory.Item, r inventory.Reservation) (inventory.Reservation, error) {
	r, _, err := it.Release(r)
	return r, err
}

// Concurrent reservations of one shard that all read it at the same moment, written conditional on the
// counters and landing in any order: exactly as many succeed as there were units, none sells a unit
// twice, and the shard's total never changes. (Conditional on the version read, all but the first would
// have been refused and had to read again.)
func TestConcurrentMovesFromOneReadSellExactlyTheStock(t *testing.T) {
	for _, tc := range []struct {
		name         string
		stock, order int
		orders       int
	}{
		{"more orders than units", 5, 1, 12},
		{"fewer orders than units", 20, 1, 12},
		{"orders of two units on an odd stock", 7, 2, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			read := sharded(t, 2, 0, inventory.Quantity(tc.stock), 0)
			start, _ := read.Shard(1)
			live := start
			won := 0
			for i := range tc.orders {
				it := sharded(t, 2, 0, inventory.Quantity(tc.stock), 0) // every order decided on the same read
				id := fmt.Sprintf("o-%d", i)                            // shard 2 is empty: every walk ends on shard 1
				_, _, err := it.Reserve(inventory.NoReservation("SKU-1", id), inventory.Quantity(tc.order))
				if err != nil {
					t.Fatal(err)
				}
				after, ok := it.Shard(1)
				if !ok || after.Reserved == 0 {
					continue // the walk took it elsewhere (shard 2 is empty: never)
				}
				var applied bool
				if live, applied = inventory.MoveOf(start, after).Apply(live); applied {
					won++
				}
				if live.Available < 0 || live.Available+live.Reserved+live.Sold != start.Available {
					t.Fatalf("after %d orders: %+v", i+1, live)
				}
			}
			if want := min(tc.orders, tc.stock/tc.order); won != want || int(live.Reserved) != want*tc.order {
				t.Fatalf("%d reservations landed holding %d units; want %d", won, live.Reserved, want)
			}
		})
	}
}
