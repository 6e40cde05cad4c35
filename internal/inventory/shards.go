package inventory

import (
	"fmt"
	"hash/fnv"
	"maps"
	"slices"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/validation"
)

// A hot SKU's stock can be split over shards (docs/adr/0021-hot-sku-shards.md, docs/hot-sku.md). Shard 0
// is the item itself (its own counters); a SKU with N > 1 shards has N shard items 1..N of their own
// (storage keys them "<SKU>#<k>", which no SKU can equal: '#' is not allowed in one), each with available,
// reserved, sold and a version. Every shard keeps the invariants an unsharded item keeps, so the SKU's
// totals keep them too. N = 1 is an unsharded item, exactly as before shards.
//
// The active shards are 1..N (shard 0 alone when N = 1). The others are draining: the item itself on a
// sharded SKU (what orders held before it was sharded stays there; a rebalance moves its available
// units out), and shard items above N after N was lowered. Reservations take from draining shards only
// when the active ones are short, so no unit is ever stranded, and the hot path of a sale never needs
// the item's counters, only its shard items. The item's span is how many shard indexes may hold stock;
// an empty draining shard at the top of the span is removed.

// MaxShards bounds N. A shard is a partition key of its own, so N shards give up to N × 1,000 WCU/s;
// 64 is 32 times the 2,000 orders/s target at 4 WRU per order, and it keeps a restock touching every
// active shard and the item (N + 1 items + the outbox) inside one 100-item TransactWriteItems.
const MaxShards = 64

// Shard is one set of counters of a SKU: the item's own (shard 0) or a shard item's.
type Shard struct {
	index                     int
	available, reserved, sold Quantity
	version                   int64
}

// ShardSnapshot is a shard item as storage holds it.
type ShardSnapshot struct {
	Index                     int
	Available, Reserved, Sold Quantity
	Version                   int64
}

// Transfer is a move of available units between two shards of one SKU (a rebalance step).
type Transfer struct {
	From, To int
	Quantity Quantity
}

// Sharded reports whether the SKU's stock spans shard items (N > 1, or draining shards remain).
func (it *Item) Sharded() bool { return it.span > 1 }

// active reports whether shard k takes reservations first: 1..N on a sharded SKU, 0 on one that is not.
func (it *Item) active(k int) bool {
	if it.Shards() <= 1 {
		return k == 0
	}
	return k >= 1 && k <= it.Shards()
}

// Draining reports whether shard k takes reservations only when the active shards are short: the item
// itself on a sharded SKU, and shards above N.
func (it *Item) Draining(k int) bool { return !it.active(k) }

// activeShards are the active shard indexes, read or not, in order.
func (it *Item) activeShards() []int {
	if it.Shards() <= 1 {
		return []int{0}
	}
	out := make([]int, it.Shards())
	for i := range out {
		out[i] = i + 1
	}
	return out
}

// Shards is N, the number of active shards (1: not sharded).
func (it *Item) Shards() int { return max(it.shards, 1) }

// Span is how many shard indexes may hold stock: N plus the draining shards (1: not sharded).
func (it *Item) Span() int { return max(it.span, 1) }

// ShardKey is the storage key of shard k >= 1 of sku.
func ShardKey(sku SKU, k int) string { return fmt.Sprintf("%s#%d", sku, k) }

// StartShard is the shard an order's reservation of a SKU with n active shards starts at: a hash of the
// order id, so that concurrent orders spread over the shards and a retried step starts where it did.
func StartShard(orderID string, n int) int {
	if n <= 1 {
		return 0
	}
	h := fnv.New32a()
	h.Write([]byte(orderID))
	return int(h.Sum32() % uint32(n))
}

// ReadWindow are the active shards a reservation of orderID looks at first on a SKU with n active
// shards: the start shard of its walk and the ones after it, size in all. A store reads these alone and
// the rest only when they hold too few units, so a reservation reads size shard items whatever N: a
// partition's reads and writes share one budget, and reading every shard capped a sale near 1,000
// orders/s however many shards it had (docs/hot-sku.md, "The ceiling on AWS, modelled").
func ReadWindow(orderID string, n, size int) []int {
	if n <= 1 {
		return nil
	}
	start := StartShard(orderID, n)
	out := make([]int, 0, min(size, n))
	for i := range min(size, n) {
		out = append(out, (start+i)%n+1) // active shards are 1..n, in walk order
	}
	return out
}

// Shard figures of one shard (the item's own for k = 0); ok is false for a shard that was not read.
func (it *Item) Shard(k int) (ShardSnapshot, bool) {
	s := it.shardAt(k)
	if s == nil {
		return ShardSnapshot{}, false
	}
	return s.snapshot(), true
}

func (s *Shard) figures() event.ShardStock {
	return event.ShardStock{Shard: s.index, Available: s.available.Int64(), Version: s.version}
}

func (s *Shard) snapshot() ShardSnapshot {
	return ShardSnapshot{Index: s.index, Available: s.available, Reserved: s.reserved, Sold: s.sold, Version: s.version}
}

// loadShards sets the item's sharding and the shard items read with it, refusing figures storage could
// not have produced.
func (it *Item) loadShards(n, span int, others []ShardSnapshot) error {
	switch {
	case n < 0 || n > MaxShards || span < 0 || span > MaxShards+1 || (n > 1 && span < n+1):
		return fmt.Errorf("inventory: %s: corrupt sharding (shards %d, span %d)", it.sku, n, span)
	case len(others) > 0 && span <= 1:
		return fmt.Errorf("inventory: %s: shard items of an item that is not sharded", it.sku)
	}
	it.shards, it.span = n, span
	for _, o := range others {
		if o.Index < 1 || o.Index >= span || o.Available < 0 || o.Reserved < 0 || o.Sold < 0 || o.Version < 1 || it.others[o.Index] != nil {
			return fmt.Errorf("inventory: %s: corrupt shard %d (available %d, reserved %d, sold %d, version %d)",
				it.sku, o.Index, o.Available, o.Reserved, o.Sold, o.Version)
		}
		if it.others == nil {
			it.others = map[int]*Shard{}
		}
		it.others[o.Index] = &Shard{index: o.Index, available: o.Available, reserved: o.Reserved, sold: o.Sold, version: o.Version}
	}
	return nil
}

// shardAt is shard k (the item's own counters for 0), nil when it was not read.
func (it *Item) shardAt(k int) *Shard {
	if k == 0 {
		if it.ownUnread {
			return nil
		}
		return &it.own
	}
	return it.others[k]
}

// shardSnapshots are the shard items read, in index order.
func (it *Item) shardSnapshots() []ShardSnapshot {
	var out []ShardSnapshot
	for _, k := range slices.Sorted(maps.Keys(it.others)) {
		out = append(out, it.others[k].snapshot())
	}
	return out
}

// total sums f over the item's own counters and the shards read.
func (it *Item) total(f func(*Shard) Quantity) Quantity {
	var t Quantity
	if !it.ownUnread {
		t = f(&it.own)
	}
	for _, s := range it.others {
		t += f(s)
	}
	return t
}

// clone is a deep copy (the shards are pointers), so a move tried on it leaves the item as it was.
func (it *Item) clone() *Item {
	cp := *it
	if it.others != nil {
		cp.others = make(map[int]*Shard, len(it.others))
		for k, s := range it.others {
			sc := *s
			cp.others[k] = &sc
		}
	}
	return &cp
}

// walk is the order in which a reservation of orderID looks at the shards read: the active ones from
// the order's start shard round, then the draining ones.
func (it *Item) walk(orderID string) []int {
	act := it.activeShards()
	start := StartShard(orderID, len(act))
	var out []int
	for i := range act {
		if k := act[(start+i)%len(act)]; it.shardAt(k) != nil {
			out = append(out, k)
		}
	}
	for k := range it.Span() {
		if !it.active(k) && it.shardAt(k) != nil {
			out = append(out, k)
		}
	}
	return out
}

// pick chooses where a reservation of qty units (no more than available) takes them from: the first
// shard of the walk that holds them all, so most lines touch one shard; else as many as each shard of
// the walk holds, in walk order, so that the last units of a SKU are sold whichever shards hold them.
func (it *Item) pick(orderID string, qty Quantity) []Part {
	order := it.walk(orderID)
	for _, k := range order {
		if it.shardAt(k).available >= qty {
			return []Part{{Shard: k, Quantity: qty}}
		}
	}
	var parts []Part
	left := qty
	for _, k := range order {
		if q := min(left, it.shardAt(k).available); q > 0 {
			parts = append(parts, Part{Shard: k, Quantity: q})
			left -= q
		}
		if left == 0 {
			break
		}
	}
	return parts
}

// spread sets (absolute) or adds qty available units over the active shards read, evenly, the
// remainder to the lowest shards; setting also empties the draining shards. The shards touched get a
// new version. Admin changes read every shard; shard 0 is always read, so no unit is lost.
func (it *Item) spread(qty Quantity, absolute bool) {
	var active []int
	for _, k := range it.activeShards() {
		if it.shardAt(k) != nil {
			active = append(active, k)
		}
	}
	n := Quantity(len(active))
	for k := range it.Span() {
		s := it.shardAt(k)
		if s == nil {
			continue
		}
		var share Quantity
		if i := slices.Index(active, k); i >= 0 {
			share = qty / n
			if Quantity(i) < qty%n {
				share++
			}
		}
		before := s.available
		if absolute {
			s.available = share
		} else {
			s.available += share
		}
		if s.available != before && k > 0 { // the caller gives the item (shard 0) its new version
			s.version++
		}
	}
}

// SetShards sets N, the SKU's active shards (admins), between 1 and MaxShards. Growing creates the
// missing shard items empty (their first version is above any the item had, so a shard removed and
// created again never repeats a version a stale reader saw); shrinking makes the shards above n
// draining, and N = 1 makes the item itself the active shard again. Stock does not move here: Rebalance moves it afterwards, one conditional transfer at a time,
// so that the change of N never contends with a sale for every shard at once. A repeat is a no-op. It
// needs every shard read. It returns InventoryUpdated (the totals do not change).
func (it *Item) SetShards(n int) ([]event.Payload, error) {
	if n < 1 || n > MaxShards {
		return nil, validation.New("shards", "must be between 1 and %d", MaxShards)
	}
	if n == it.Shards() {
		return nil, nil
	}
	it.own.version++
	if n > 1 {
		for k := max(it.Span(), 1); k <= n; k++ {
			if it.others == nil {
				it.others = map[int]*Shard{}
			}
			it.others[k] = &Shard{index: k, version: it.own.version}
		}
		it.span = max(it.Span(), n+1)
	}
	it.shards = n
	if n == 1 && it.Span() == 1 {
		it.shards, it.span = 0, 0 // back to an unsharded item, stored as before shards
	}
	return []event.Payload{it.updated()}, nil
}

// NextTransfer is the next step of a rebalance, if any is due: from the shard with the most available
// units above its share to the one furthest below. The shares spread the available units evenly over
// the active shards; a draining shard's share is 0. Each transfer brings one shard to its share, so a
// rebalance of a quiet SKU ends within 2 × span transfers; under a sale the caller bounds it (stock is
// right whatever the layout: reservations walk every shard). It needs every shard read.
func (it *Item) NextTransfer() (Transfer, bool) {
	act := it.activeShards()
	n := Quantity(len(act))
	total := it.Available()
	share := func(k int) Quantity {
		i := slices.Index(act, k)
		if i < 0 {
			return 0
		}
		s := total / n
		if Quantity(i) < total%n {
			s++
		}
		return s
	}
	from, to := -1, -1
	var surplus, deficit Quantity
	for k := range it.Span() {
		s := it.shardAt(k)
		if s == nil {
			continue
		}
		d := s.available - share(k)
		if d > surplus {
			from, surplus = k, d
		}
		if -d > deficit {
			to, deficit = k, -d
		}
	}
	if from < 0 || to < 0 {
		return Transfer{}, false
	}
	return Transfer{From: from, To: to, Quantity: min(surplus, deficit)}, true
}

// Transfer moves available units between two shards read; both get a new version. Totals do not change.
// It returns InventoryUpdated with every shard's figures, so that the catalog's per-shard records follow the move (the item itself may
// not change: each shard has a version of its own).
func (it *Item) Transfer(t Transfer) ([]event.Payload, error) {
	from, to := it.shardAt(t.From), it.shardAt(t.To)
	switch {
	case from == nil || to == nil || t.From == t.To:
		return nil, fmt.Errorf("inventory: %s: transfer between shards %d and %d that were not read", it.sku, t.From, t.To)
	case t.Quantity <= 0 || t.Quantity > from.available:
		return nil, fmt.Errorf("inventory: %s: transfer %d units from shard %d holding %d", it.sku, t.Quantity, t.From, from.available)
	}
	from.available -= t.Quantity
	to.available += t.Quantity
	from.version++
	to.version++
	return []event.Payload{it.updated()}, nil
}

// RemovableShard is the draining shard at the top of the span when it holds nothing at all (no order
// holds or bought units there any more): it can be removed, shrinking the span.
func (it *Item) RemovableShard() (int, bool) {
	k := it.Span() - 1
	if k < 1 || it.active(k) {
		return 0, false
	}
	s := it.shardAt(k)
	if s == nil || s.available != 0 || s.reserved != 0 || s.sold != 0 {
		return 0, false
	}
	return k, true
}

// RemoveShard drops the removable shard k (RemovableShard) and returns InventoryUpdated (the catalog
// view stops counting it). The item's new version is above the shard's last one, so that a shard k
// created again later (SetShards starts it above the item's version) never repeats a version a
// reader or the catalog view saw of the removed one.
func (it *Item) RemoveShard(k int) ([]event.Payload, error) {
	if r, ok := it.RemovableShard(); !ok || r != k {
		return nil, fmt.Errorf("inventory: %s: shard %d cannot be removed", it.sku, k)
	}
	it.own.version = max(it.own.version, it.others[k].version) + 1
	delete(it.others, k)
	it.span--
	if it.span <= 1 {
		it.shards, it.span = 0, 0
	}
	return []event.Payload{it.updated()}, nil
}
