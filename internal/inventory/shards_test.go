package inventory_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
)

// sharded builds SKU-1 with the given available units per shard: index 0 is the item itself, n the
// active shards (1..n; the item and shards above n are draining).
func sharded(t *testing.T, n int, available ...inventory.Quantity) *inventory.Item {
	t.Helper()
	s := inventory.Snapshot{SKU: "SKU-1", Name: "Widget", Price: usd(t, 100), Available: available[0], LowStockThreshold: 3,
		Version: 10, Shards: n, Span: len(available)}
	for k := 1; k < len(available); k++ {
		s.Others = append(s.Others, inventory.ShardSnapshot{Index: k, Available: available[k], Version: 1})
	}
	it, err := inventory.FromSnapshot(s)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

// layout is each shard's available, reserved and sold.
func layout(it *inventory.Item) [][3]inventory.Quantity {
	var out [][3]inventory.Quantity
	for k := range it.Span() {
		s, _ := it.Shard(k)
		out = append(out, [3]inventory.Quantity{s.Available, s.Reserved, s.Sold})
	}
	return out
}

func totals(it *inventory.Item) inventory.Quantity { return it.Available() + it.Reserved() + it.Sold() }

// orderOn finds an order id whose reservation starts at the k-th of n active shards (shard k+1 of a
// sharded SKU).
func orderOn(k, n int) string {
	for i := 0; ; i++ {
		if id := fmt.Sprintf("o-%d", i); inventory.StartShard(id, n) == k {
			return id
		}
	}
}

func TestShardedReserveTakesFromTheOrdersShardAndWalksOnlyWhenShort(t *testing.T) {
	tests := []struct {
		name      string
		available []inventory.Quantity // the item (shard 0, draining), then active shards 1..3
		start     int                  // the order's start among the active shards
		qty       inventory.Quantity
		parts     []inventory.Part // nil: all on shard 0, stored without parts
		short     bool
	}{
		{"the start shard holds them", []inventory.Quantity{0, 5, 5, 5}, 1, 3, []inventory.Part{{Shard: 2, Quantity: 3}}, false},
		{"a short start shard passes to one that holds them all", []inventory.Quantity{5, 1, 0, 4}, 0, 3, []inventory.Part{{Shard: 3, Quantity: 3}}, false},
		{"the item is the last resort, stored without parts", []inventory.Quantity{5, 1, 0, 0}, 0, 3, nil, false},
		{"the last units are split over shards", []inventory.Quantity{1, 1, 0, 1}, 1, 3,
			[]inventory.Part{{Shard: 3, Quantity: 1}, {Shard: 1, Quantity: 1}, {Shard: 0, Quantity: 1}}, false},
		{"refused only when the SKU as a whole is short", []inventory.Quantity{1, 1, 0, 1}, 1, 4, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			it := sharded(t, 3, tc.available...)
			before := totals(it)
			id := orderOn(tc.start, 3)
			r, _, err := it.Reserve(inventory.NoReservation("SKU-1", id), tc.qty)
			if tc.short {
				var short *inventory.InsufficientStockError
				if !errors.As(err, &short) || short.Available != 3 {
					t.Fatalf("err = %v, want short of 3 available", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Parts.List(); fmt.Sprint(got) != fmt.Sprint(tc.parts) {
				t.Fatalf("parts = %v, want %v", got, tc.parts)
			}
			if it.Reserved() != tc.qty || totals(it) != before {
				t.Fatalf("reserved %d of total %d, want %d of %d", it.Reserved(), totals(it), tc.qty, before)
			}
			// A repeat is a no-op.
			again, evs, err := it.Reserve(r, tc.qty)
			if err != nil || again != r || evs != nil || it.Reserved() != tc.qty {
				t.Fatalf("repeat: %v %v %v, reserved %d", again, evs, err, it.Reserved())
			}
		})
	}
}

// Commit, release and return move exactly the shards a reservation took from, once.
func TestShardedMovesTouchExactlyTheShardsTaken(t *testing.T) {
	type move func(*inventory.Item, inventory.Reservation) (inventory.Reservation, error)
	commit := func(it *inventory.Item, r inventory.Reservation) (inventory.Reservation, error) {
		r, _, err := it.Commit(r)
		return r, err
	}
	release := func(it *inventory.Item, r inventory.Reservation) (inventory.Reservation, error) {
		r, _, err := it.Release(r)
		return r, err
	}
	ret := func(it *inventory.Item, r inventory.Reservation) (inventory.Reservation, error) {
		r, _, err := it.Return(r)
		return r, err
	}
	returnUnits := func(q inventory.Quantity) move {
		return func(it *inventory.Item, r inventory.Reservation) (inventory.Reservation, error) {
			r, _, err := it.ReturnUnits(r, q)
			return r, err
		}
	}
	tests := []struct {
		name  string
		moves []move
		want  [][3]inventory.Quantity
	}{
		{"reserved", nil, [][3]inventory.Quantity{{2, 0, 0}, {0, 2, 0}, {0, 1, 0}, {0, 0, 0}}},
		{"released", []move{release, release}, [][3]inventory.Quantity{{2, 0, 0}, {2, 0, 0}, {1, 0, 0}, {0, 0, 0}}},
		{"committed", []move{commit, commit}, [][3]inventory.Quantity{{2, 0, 0}, {0, 0, 2}, {0, 0, 1}, {0, 0, 0}}},
		{"returned", []move{commit, ret, ret}, [][3]inventory.Quantity{{2, 0, 0}, {2, 0, 0}, {1, 0, 0}, {0, 0, 0}}},
		{"two units came back, from the first shard taken", []move{commit, returnUnits(2)}, [][3]inventory.Quantity{{2, 0, 0}, {2, 0, 0}, {0, 0, 1}, {0, 0, 0}}},
		{"then the rest, then the cancellation returns nothing more", []move{commit, returnUnits(2), returnUnits(1), ret},
			[][3]inventory.Quantity{{2, 0, 0}, {2, 0, 0}, {1, 0, 0}, {0, 0, 0}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Shard 1 holds 2, shard 2 holds 1: an order of 3 starting at shard 1 splits 2 + 1, and the
			// item (2 units, draining) and shard 3 are never touched (no shard holds 3).
			it := sharded(t, 3, 2, 2, 1, 0)
			r, _, err := it.Reserve(inventory.NoReservation("SKU-1", orderOn(0, 3)), 3)
			if err != nil {
				t.Fatal(err)
			}
			before := totals(it)
			v0, _ := it.Shard(0)
			v3, _ := it.Shard(3)
			for _, m := range tc.moves {
				if r, err = m(it, r); err != nil {
					t.Fatal(err)
				}
			}
			if got := layout(it); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("layout = %v, want %v", got, tc.want)
			}
			if totals(it) != before {
				t.Fatalf("total %d, want %d", totals(it), before)
			}
			if a, _ := it.Shard(0); a.Version != v0.Version {
				t.Fatal("shard 0 moved")
			}
			if a, _ := it.Shard(3); a.Version != v3.Version {
				t.Fatal("shard 3 moved")
			}
		})
	}
}

// A reservation that names a shard that was not read, or holds more than a shard accounts for, moves
// nothing.
func TestShardedMoveRefusesAMismatchOnAnyShard(t *testing.T) {
	it := sharded(t, 2, 2, 2, 2)
	r, _, err := it.Reserve(inventory.NoReservation("SKU-1", orderOn(0, 2)), 3) // 2 on shard 1 + 1 on shard 2
	if err != nil {
		t.Fatal(err)
	}
	// The same reservation given to an item whose shard 2 was not read.
	partial, err := inventory.FromSnapshot(inventory.Snapshot{SKU: "SKU-1", Name: "Widget", Price: usd(t, 100), Version: 10, Shards: 2, Span: 3,
		Others: []inventory.ShardSnapshot{{Index: 1, Reserved: 2, Version: 2}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := partial.Commit(r); err == nil {
		t.Fatal("committed without shard 2")
	}
	if s, _ := partial.Shard(1); s.Reserved != 2 || s.Sold != 0 {
		t.Fatalf("shard 1 moved: %+v", s)
	}
}

func TestSetShardsGrowsAndShrinksWithoutMovingATotal(t *testing.T) {
	it := sharded(t, 1, 100)
	if _, err := it.SetShards(0); err == nil {
		t.Fatal("accepted 0 shards")
	}
	if _, err := it.SetShards(inventory.MaxShards + 1); err == nil {
		t.Fatal("accepted too many shards")
	}
	// Grow to 4: four empty shard items, then the rebalance moves the item's 100 units into them, 25 each.
	if evs, err := it.SetShards(4); err != nil || len(evs) != 1 {
		t.Fatalf("%v %v", evs, err)
	}
	transfers := rebalance(t, it)
	if got := layout(it); fmt.Sprint(got) != fmt.Sprint([][3]inventory.Quantity{{0, 0, 0}, {25, 0, 0}, {25, 0, 0}, {25, 0, 0}, {25, 0, 0}}) {
		t.Fatalf("after growing: %v (%d transfers)", got, transfers)
	}
	// A repeat changes nothing.
	v := it.Version()
	if evs, err := it.SetShards(4); err != nil || evs != nil || it.Version() != v {
		t.Fatalf("repeat: %v %v", evs, err)
	}
	// Orders hold units on shards 3 and 4, then N drops to 2: shards 3 and 4 drain their available units
	// to 1 and 2, keep what is held, and cannot be removed until it moves.
	r2, _, _ := it.Reserve(inventory.NoReservation("SKU-1", orderOn(2, 4)), 5)
	r3, _, _ := it.Reserve(inventory.NoReservation("SKU-1", orderOn(3, 4)), 5)
	if _, err := it.SetShards(2); err != nil {
		t.Fatal(err)
	}
	rebalance(t, it)
	if got := layout(it); fmt.Sprint(got) != fmt.Sprint([][3]inventory.Quantity{{0, 0, 0}, {45, 0, 0}, {45, 0, 0}, {0, 5, 0}, {0, 5, 0}}) {
		t.Fatalf("after shrinking: %v", got)
	}
	if _, ok := it.RemovableShard(); ok {
		t.Fatal("a shard holding units is removable")
	}
	// A reservation never starts on a draining shard while the active ones hold the units.
	for i := range 20 {
		r, _, err := it.Reserve(inventory.NoReservation("SKU-1", fmt.Sprintf("n-%d", i)), 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range r.PartsTaken() {
			if p.Shard != 1 && p.Shard != 2 {
				t.Fatalf("reserved on draining shard %d", p.Shard)
			}
		}
	}
	// Shard 4's order is released (its units become available on the draining shard: reservations
	// would still find them), shard 3's committed; rebalancing moves the released units out.
	if _, _, err := it.Release(r3); err != nil {
		t.Fatal(err)
	}
	if _, _, err := it.Commit(r2); err != nil {
		t.Fatal(err)
	}
	rebalance(t, it)
	k, ok := it.RemovableShard()
	if !ok || k != 4 {
		t.Fatalf("removable = %d %v, want shard 4", k, ok)
	}
	if _, err := it.RemoveShard(4); err != nil {
		t.Fatal(err)
	}
	if it.Span() != 4 || totals(it) != 100 || it.Sold() != 5 {
		t.Fatalf("span %d, total %d, sold %d", it.Span(), totals(it), it.Sold())
	}
	if _, ok := it.RemovableShard(); ok {
		t.Fatal("shard 3 holds sold units and was removable")
	}
}

// rebalance runs transfers to the end and checks each keeps the totals; it returns how many ran.
func rebalance(t *testing.T, it *inventory.Item) int {
	t.Helper()
	avail, total := it.Available(), totals(it)
	n := 0
	for tr, ok := it.NextTransfer(); ok; tr, ok = it.NextTransfer() {
		evs, err := it.Transfer(tr)
		if err != nil {
			t.Fatal(err)
		}
		// The catalog's per-shard records follow a transfer by its event: both shards' new figures.
		up, ok := evs[0].(event.InventoryUpdated)
		if len(evs) != 1 || !ok || len(up.Shards) != it.Span() || up.Available != int64(avail) {
			t.Fatalf("transfer %+v: events %+v", tr, evs)
		}
		if n++; n > 2*it.Span() || it.Available() != avail || totals(it) != total {
			t.Fatalf("transfer %d (%+v): available %d total %d", n, tr, it.Available(), totals(it))
		}
	}
	return n
}

func TestShardedRestockAndRevisionSpreadOverActiveShards(t *testing.T) {
	it := sharded(t, 2, 1, 0, 0, 7) // the item and shard 3 are draining
	if _, err := it.Restock(11); err != nil {
		t.Fatal(err)
	}
	if got := layout(it); fmt.Sprint(got) != fmt.Sprint([][3]inventory.Quantity{{1, 0, 0}, {6, 0, 0}, {5, 0, 0}, {7, 0, 0}}) {
		t.Fatalf("restock: %v", got)
	}
	if _, err := it.SetAvailable(5); err != nil {
		t.Fatal(err)
	}
	if got := layout(it); fmt.Sprint(got) != fmt.Sprint([][3]inventory.Quantity{{0, 0, 0}, {3, 0, 0}, {2, 0, 0}, {0, 0, 0}}) {
		t.Fatalf("set available: %v", got)
	}
}

// The last units of a sharded SKU go to whoever asks first, whichever shards hold them: a sale of
// one-unit orders sells exactly the stock and refuses the rest.
func TestShardedSaleSellsExactlyTheStock(t *testing.T) {
	it := sharded(t, 7, 3, 0, 1, 0, 2, 0, 0, 1) // 7 units, unevenly spread, 3 of them on the item
	sold := 0
	for i := range 50 {
		_, _, err := it.Reserve(inventory.NoReservation("SKU-1", fmt.Sprintf("s-%d", i)), 1)
		switch {
		case err == nil:
			sold++
		case !errors.Is(err, inventory.ErrInsufficientStock):
			t.Fatal(err)
		}
	}
	if sold != 7 || it.Available() != 0 || it.Reserved() != 7 {
		t.Fatalf("sold %d, available %d, reserved %d", sold, it.Available(), it.Reserved())
	}
}

func TestCorruptShardingIsRefused(t *testing.T) {
	for _, s := range []inventory.Snapshot{
		{Shards: inventory.MaxShards + 1, Span: inventory.MaxShards + 1},
		{Shards: 4, Span: 2},
		{Shards: 2, Span: 2, Others: []inventory.ShardSnapshot{{Index: 2, Version: 1}}},
		{Shards: 2, Span: 2, Others: []inventory.ShardSnapshot{{Index: 1, Available: -1, Version: 1}}},
		{Others: []inventory.ShardSnapshot{{Index: 1, Version: 1}}},
	} {
		s.SKU, s.Name, s.Version = "SKU-1", "W", 1
		if _, err := inventory.FromSnapshot(s); err == nil {
			t.Errorf("accepted %+v", s)
		}
	}
}

// An order's lines on sharded SKUs reserve together, split where they must; an order whose splits would
// take its step past a transaction's items is rejected with the split lines as shortages, nothing held.
func TestOrderStockOnShardedSKUsStaysWithinATransaction(t *testing.T) {
	build := func(lines int) *inventory.OrderStock {
		var ls []inventory.Line
		var items []*inventory.Item
		for i := range lines {
			sku := inventory.SKU(fmt.Sprintf("S-%02d", i))
			ls = append(ls, inventory.Line{SKU: sku, Quantity: 2})
			snap := inventory.Snapshot{SKU: sku, Name: "W", Price: usd(t, 100), Available: 1, Version: 5, Shards: 3, Span: 4}
			for k := 1; k < 4; k++ {
				snap.Others = append(snap.Others, inventory.ShardSnapshot{Index: k, Available: 1, Version: 1})
			}
			it, err := inventory.FromSnapshot(snap)
			if err != nil {
				t.Fatal(err)
			}
			items = append(items, it)
		}
		return inventory.NewOrderStock("o1", ls, items, nil)
	}
	// 45 lines of 2 units, each split over 2 shards: 90 stock items, within the budget.
	s := build(45)
	short, _, err := s.Reserve()
	if err != nil || short != nil {
		t.Fatalf("%v %v", short, err)
	}
	for _, l := range s.Lines() {
		if r := s.Reservation(l.SKU); len(r.PartsTaken()) != 2 || r.Quantity != 2 {
			t.Fatalf("%s: %+v", l.SKU, r)
		}
	}
	// 46 such lines would write 92: refused, nothing reserved.
	s = build(46)
	short, evs, err := s.Reserve()
	if err != nil || len(short) != 46 || evs != nil {
		t.Fatalf("%d shortages, %v, %v", len(short), evs, err)
	}
	if short[0].Available != 4 || short[0].Requested != 2 {
		t.Fatalf("shortage %+v", short[0])
	}
	for _, l := range s.Lines() {
		it, _ := s.Item(l.SKU)
		if s.Reservation(l.SKU).Exists() || it.Reserved() != 0 || it.Available() != 4 {
			t.Fatalf("%s moved", l.SKU)
		}
	}
}

// A saga step may read a sharded SKU's shard items without the item: its own counters are then absent
// like a shard not read, never counted, taken from or written.
func TestShardedItemReadWithoutItsOwnCounters(t *testing.T) {
	it, err := inventory.FromSnapshot(inventory.Snapshot{SKU: "SKU-1", Name: "Widget", Price: usd(t, 100), Available: 50, LowStockThreshold: 3,
		Version: 10, Shards: 2, Span: 3, OwnUnread: true,
		Others: []inventory.ShardSnapshot{{Index: 1, Available: 2, Version: 4}, {Index: 2, Available: 1, Version: 4}}})
	if err != nil {
		t.Fatal(err)
	}
	if it.Available() != 3 {
		t.Fatalf("available %d, want the shard items' 3", it.Available())
	}
	if _, _, err := it.Reserve(inventory.NoReservation("SKU-1", "o-1"), 4); !errors.Is(err, inventory.ErrInsufficientStock) {
		t.Fatalf("reserved beyond the shards read: %v", err)
	}
	r, _, err := it.Reserve(inventory.NoReservation("SKU-1", "o-2"), 3)
	if err != nil || it.Version() != 10 {
		t.Fatalf("%v, version %d", err, it.Version())
	}
	for _, p := range r.PartsTaken() {
		if p.Shard == 0 {
			t.Fatalf("took from the item, which was not read: %v", r.Parts.List())
		}
	}
	// A reservation on shard 0 cannot move without it.
	if _, _, err := it.Commit(inventory.Reservation{SKU: "SKU-1", OrderID: "o-3", Quantity: 1, State: inventory.Reserved}); err == nil {
		t.Fatal("committed on the item, which was not read")
	}
}

func TestReadWindowIsTheStartOfTheWalk(t *testing.T) {
	tests := []struct {
		n, size int
		want    int // how many shards
	}{
		{1, 2, 0}, {2, 2, 2}, {4, 2, 2}, {64, 2, 2}, {3, 5, 3},
	}
	for _, tt := range tests {
		for _, id := range []string{"01JDQ7Z3M6X9V0YB2C4D5E6F7G", "01JDQ7Z3M6X9V0YB2C4D5E6F7H", "x"} {
			got := inventory.ReadWindow(id, tt.n, tt.size)
			if len(got) != tt.want {
				t.Fatalf("ReadWindow(%s, %d, %d) = %v; want %d shards", id, tt.n, tt.size, got, tt.want)
			}
			for i, k := range got {
				// The walk's order: the start shard, then the next active ones (1..n), wrapping.
				if want := (inventory.StartShard(id, tt.n)+i)%tt.n + 1; k != want {
					t.Fatalf("ReadWindow(%s, %d, %d) = %v; shard %d is %d, want %d", id, tt.n, tt.size, got, i, k, want)
				}
			}
		}
	}
}

// The low-stock alert is decided on the whole SKU only: a reservation that read two of eight shards
// (its window) knows their units, not the SKU's, and raises nothing; one that read every counter does.
func TestLowStockOnlyFromTheWholeSKU(t *testing.T) {
	window := func() *inventory.Item {
		it, err := inventory.FromSnapshot(inventory.Snapshot{SKU: "SKU-1", Name: "Widget", Price: usd(t, 100), LowStockThreshold: 3,
			Version: 10, Shards: 8, Span: 9, OwnUnread: true,
			Others: []inventory.ShardSnapshot{{Index: 3, Available: 2, Version: 4}, {Index: 4, Available: 2, Version: 4}}})
		if err != nil {
			t.Fatal(err)
		}
		return it
	}
	tests := []struct {
		name string
		it   *inventory.Item
		low  bool
	}{
		{"a window of two shards", window(), false},
		{"every counter, falling below 3", sharded(t, 2, 0, 2, 2), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, evs, err := tt.it.Reserve(inventory.NoReservation("SKU-1", "o-1"), 2)
			if err != nil {
				t.Fatal(err)
			}
			low := false
			for _, e := range evs {
				if _, ok := e.(event.InventoryLow); ok {
					low = true
				}
			}
			if low != tt.low {
				t.Fatalf("InventoryLow %v; want %v (events %+v)", low, tt.low, evs)
			}
		})
	}
}
