package inventory

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/validation"
)

// Domain errors.
var (
	// ErrInsufficientStock is wrapped by *InsufficientStockError.
	ErrInsufficientStock = errors.New("inventory: insufficient stock")
	// ErrNotFound means no item has the SKU.
	ErrNotFound = errors.New("inventory: no such item")
	// ErrExists means an item with the SKU already exists.
	ErrExists = errors.New("inventory: item already exists")
	// ErrReservationState means a stock move does not fit the reservation's state (committing a
	// released reservation, returning one that was never sold).
	ErrReservationState = errors.New("inventory: reservation is not in a state that allows this")
)

// InsufficientStockError says how short the item is; errors.Is(err, ErrInsufficientStock) holds.
type InsufficientStockError struct {
	SKU       SKU
	Requested Quantity
	Available Quantity
}

func (e *InsufficientStockError) Error() string {
	return fmt.Sprintf("inventory: %s: requested %d, available %d", e.SKU, e.Requested, e.Available)
}

func (e *InsufficientStockError) Unwrap() error { return ErrInsufficientStock }

// DefaultLowStockThreshold applies to items created without one.
const DefaultLowStockThreshold Quantity = 5

// Item is the Inventory aggregate: a catalog item and its stock. Invariants: available, reserved and
// sold are never negative; reserved equals the sum of the item's RESERVED reservations and sold that of
// its COMMITTED ones; available + reserved + sold changes only by an admin's restock or revision. The
// reservations themselves are not in the item (see Reservation): every move gets the order's
// reservation from the caller and gives it back changed, and the item's version changes with every
// move, so storing both conditionally on what was read keeps them together.
type Item struct {
	sku               SKU
	name, description string
	price             money.Money
	lowStockThreshold Quantity
	// own holds the item's own counters and its version: shard 0 of a sharded item, the whole stock of
	// one that is not (see shards.go; docs/adr/0021-hot-sku-shards.md).
	own Shard
	// shards is N, the shards reservations start at (0 or 1: not sharded); span is how many shard
	// indexes may hold stock (N plus draining ones, shards.go), others the shard items read (1..span-1).
	shards, span int
	others       map[int]*Shard
	// ownUnread: the item's own counters were not read (a saga step of a sharded SKU that needs only
	// its shard items); shard 0 is then absent like any shard not read, and own is never written.
	ownUnread bool
}

// Details are the admin-editable fields of an item.
type Details struct {
	Name        string
	Description string
	Price       money.Money
}

func (d Details) validate(c *validation.Collector) {
	name := strings.TrimSpace(d.Name)
	switch {
	case name == "":
		c.Add("name", "is required")
	case utf8.RuneCountInString(name) > 200 || !utf8.ValidString(name):
		c.Add("name", "must be at most 200 characters of valid UTF-8")
	}
	if utf8.RuneCountInString(d.Description) > 2000 || !utf8.ValidString(d.Description) {
		c.Add("description", "must be at most 2000 characters of valid UTF-8")
	}
	switch {
	case d.Price.IsZero():
		c.Add("price", "is required")
	case d.Price.Amount() < 0:
		c.Add("price.amount", "must not be negative")
	}
}

// NewItem creates a catalog item with its initial stock. It returns InventoryUpdated.
func NewItem(sku SKU, d Details, available Quantity, lowStockThreshold Quantity) (*Item, []event.Payload, error) {
	var c validation.Collector
	if _, err := ParseSKU(string(sku)); err != nil {
		c.Merge("", err)
	}
	d.validate(&c)
	if _, err := NewQuantity(int64(available)); err != nil {
		c.Add("available", "must be between 0 and %d", MaxQuantity)
	}
	if _, err := NewQuantity(int64(lowStockThreshold)); err != nil {
		c.Add("lowStockThreshold", "must be between 0 and %d", MaxQuantity)
	}
	if err := c.Err(); err != nil {
		return nil, nil, err
	}
	it := &Item{sku: sku, name: strings.TrimSpace(d.Name), description: d.Description, price: d.Price,
		own: Shard{available: available, version: 1}, lowStockThreshold: lowStockThreshold}
	return it, []event.Payload{it.updated()}, nil
}

// Snapshot is an item as storage holds it. Available, Reserved and Sold are the item's own counters
// (shard 0 of a sharded item); Shards and Span its sharding (0 or 1: none), Others the shard items
// read with it (a step reads only the shards it may move).
type Snapshot struct {
	SKU                       SKU
	Name, Description         string
	Price                     money.Money
	Available, Reserved, Sold Quantity
	LowStockThreshold         Quantity
	Version                   int64
	Shards, Span              int
	Others                    []ShardSnapshot
	// OwnUnread says Available, Reserved and Sold were not read (only a sharded item's shard items
	// were): shard 0 is then absent, as a shard not read is.
	OwnUnread bool
}

// FromSnapshot rebuilds an item from storage without the creation rules; it still refuses a snapshot
// that breaks the invariants it can see, because acting on corrupt stock would be worse than failing.
// (That reserved and sold match the reservations is kept by the moves; the reservations are not loaded
// with the item.)
func FromSnapshot(s Snapshot) (*Item, error) {
	if s.Available < 0 || s.Reserved < 0 || s.Sold < 0 || s.Version < 1 {
		return nil, fmt.Errorf("inventory: %s: corrupt snapshot (available %d, reserved %d, sold %d, version %d)",
			s.SKU, s.Available, s.Reserved, s.Sold, s.Version)
	}
	it := &Item{sku: s.SKU, name: s.Name, description: s.Description, price: s.Price,
		own:               Shard{available: s.Available, reserved: s.Reserved, sold: s.Sold, version: s.Version},
		lowStockThreshold: s.LowStockThreshold, ownUnread: s.OwnUnread}
	if err := it.loadShards(s.Shards, s.Span, s.Others); err != nil {
		return nil, err
	}
	return it, nil
}

// Snapshot returns the item's state for storage.
func (it *Item) Snapshot() Snapshot {
	return Snapshot{SKU: it.sku, Name: it.name, Description: it.description, Price: it.price, Available: it.own.available,
		Reserved: it.own.reserved, Sold: it.own.sold, LowStockThreshold: it.lowStockThreshold, Version: it.own.version,
		Shards: it.shards, Span: it.span, Others: it.shardSnapshots(), OwnUnread: it.ownUnread}
}

func (it *Item) SKU() SKU                    { return it.sku }
func (it *Item) Name() string                { return it.name }
func (it *Item) Description() string         { return it.description }
func (it *Item) Price() money.Money          { return it.price }
func (it *Item) LowStockThreshold() Quantity { return it.lowStockThreshold }

// Version is the item's own version (shard 0's): it moves with every change of the item's details,
// sharding or own counters, not with moves on its other shards.
func (it *Item) Version() int64 { return it.own.version }

// Available, Reserved and Sold are the SKU's totals over the item and the shards read with it (every
// shard when the item was read for an admin or a query).
func (it *Item) Available() Quantity { return it.total(func(s *Shard) Quantity { return s.available }) }
func (it *Item) Reserved() Quantity  { return it.total(func(s *Shard) Quantity { return s.reserved }) }
func (it *Item) Sold() Quantity      { return it.total(func(s *Shard) Quantity { return s.sold }) }

// Reserve holds qty units for the order of r, the order's reservation of this item as stored
// (NoReservation when it holds nothing here). It returns the reservation to store. A repeat for the same
// order is a no-op (r unchanged, nil events, nil error), whatever state the reservation reached since:
// an order reserves once. A sharded item takes the units from the shards read with it, starting at the
// order's own shard (shards.go); the order is refused only when they hold too few together.
func (it *Item) Reserve(r Reservation, qty Quantity) (Reservation, []event.Payload, error) {
	if r.OrderID == "" {
		return r, nil, validation.New("orderId", "is required")
	}
	if qty <= 0 || qty > MaxQuantity {
		return r, nil, validation.New("quantity", "must be between 1 and %d", MaxQuantity)
	}
	if err := r.check(it.sku); err != nil || r.Exists() {
		return r, nil, err
	}
	before := it.Available()
	if before < qty {
		return r, nil, &InsufficientStockError{SKU: it.sku, Requested: qty, Available: before}
	}
	parts := it.pick(r.OrderID, qty)
	for _, p := range parts {
		s := it.shardAt(p.Shard)
		s.available -= p.Quantity
		s.reserved += p.Quantity // cannot overflow: reserved + available <= MaxQuantity is kept by Restock
		s.version++
	}
	r.Quantity = qty
	r.Parts = compactParts(parts)
	return r.moved(Reserved), it.lowStock(before), nil
}

// Release gives the held units of r's order back and returns the reservation to store. Releasing an
// order that holds nothing here (never reserved, already released) is a no-op; releasing a committed
// reservation is ErrReservationState, because sold stock comes back only through Return.
func (it *Item) Release(r Reservation) (Reservation, []event.Payload, error) {
	if err := r.check(it.sku); err != nil || !r.Exists() || r.State == Released {
		return r, nil, err
	}
	if r.State != Reserved {
		return r, nil, fmt.Errorf("%w: release %s in state %s", ErrReservationState, r.OrderID, r.State)
	}
	err := it.moveParts(r, r.PartsTaken(), func(s *Shard, q Quantity) bool { return q <= s.reserved },
		func(s *Shard, q Quantity) { s.available += q; s.reserved -= q })
	if err != nil {
		return r, nil, err
	}
	return r.moved(Released), nil, nil
}

// Commit turns the held units of r's order into sold ones when the order is confirmed, and returns the
// reservation to store. A repeat is a no-op; committing a reservation that does not exist or was
// released is ErrReservationState.
func (it *Item) Commit(r Reservation) (Reservation, []event.Payload, error) {
	if err := r.check(it.sku); err != nil || r.State == Committed {
		return r, nil, err
	}
	if r.State != Reserved {
		return r, nil, fmt.Errorf("%w: commit %s in state %q", ErrReservationState, r.OrderID, r.State)
	}
	err := it.moveParts(r, r.PartsTaken(), func(s *Shard, q Quantity) bool { return q <= s.reserved },
		func(s *Shard, q Quantity) { s.reserved -= q; s.sold += q })
	if err != nil {
		return r, nil, err
	}
	return r.moved(Committed), nil, nil
}

// Return gives the sold units of r's order (a cancelled confirmed order) back to available stock and
// returns the reservation to store. A repeat is a no-op; returning a reservation that was never
// committed is ErrReservationState.
func (it *Item) Return(r Reservation) (Reservation, []event.Payload, error) {
	if err := r.check(it.sku); err != nil || r.State == Returned {
		return r, nil, err
	}
	if r.State != Committed {
		return r, nil, fmt.Errorf("%w: return %s in state %q", ErrReservationState, r.OrderID, r.State)
	}
	// Units already back through received returns (ReturnUnits) are not sold any more.
	parts := r.PartsTaken()
	for i := range parts {
		parts[i].Quantity -= parts[i].Returned
	}
	err := it.moveParts(r, parts, func(s *Shard, q Quantity) bool { return q <= s.sold },
		func(s *Shard, q Quantity) { s.sold -= q; s.available += q })
	if err != nil {
		return r, nil, err
	}
	return r.moved(Returned), nil, nil
}

// ReturnUnits gives qty sold units of r's order back to available stock when a return of them was
// received (issue 21), and returns the reservation to store with the units counted as returned. The
// order's return, stored in the same transaction, makes each receipt happen once; here at most the
// units sold to the order can come back (ErrReservationState beyond that, or for a reservation that
// was never sold). On a sharded item the units go back to the shards they were sold from, in the
// order the reservation took them.
func (it *Item) ReturnUnits(r Reservation, qty Quantity) (Reservation, []event.Payload, error) {
	if err := r.check(it.sku); err != nil {
		return r, nil, err
	}
	switch {
	case qty <= 0:
		return r, nil, fmt.Errorf("%w: return %d units of %s for %s", ErrReservationState, qty, it.sku, r.OrderID)
	case r.State != Committed:
		return r, nil, fmt.Errorf("%w: return units of %s in state %q", ErrReservationState, r.OrderID, r.State)
	case r.Returned+qty > r.Quantity:
		return r, nil, fmt.Errorf("%w: return %d more units of %s for %s, which bought %d and returned %d",
			ErrReservationState, qty, it.sku, r.OrderID, r.Quantity, r.Returned)
	}
	taken := r.PartsTaken()
	moves := make([]Part, len(taken))
	left := qty
	for i, p := range taken {
		q := min(left, p.Quantity-p.Returned)
		moves[i] = Part{Shard: p.Shard, Quantity: q}
		taken[i].Returned += q
		left -= q
	}
	err := it.moveParts(r, moves, func(s *Shard, q Quantity) bool { return q <= s.sold },
		func(s *Shard, q Quantity) { s.sold -= q; s.available += q })
	if err != nil {
		return r, nil, err
	}
	r.Returned += qty
	if !r.Parts.IsZero() {
		r.Parts = NewParts(taken)
	}
	return r, nil, nil
}

// moveParts applies move to the shard of each part holding units, after checking with ok that every
// one of them accounts for its units, so that a reservation moves on all its shards or none.
func (it *Item) moveParts(r Reservation, parts []Part, ok func(*Shard, Quantity) bool, move func(*Shard, Quantity)) error {
	for _, p := range parts {
		if p.Quantity == 0 {
			continue
		}
		s := it.shardAt(p.Shard)
		if s == nil || !ok(s, p.Quantity) {
			return it.mismatch(r, p)
		}
	}
	for _, p := range parts {
		if p.Quantity == 0 {
			continue
		}
		s := it.shardAt(p.Shard)
		move(s, p.Quantity)
		s.version++
	}
	return nil
}

// mismatch is the error of a reservation holding more than the item's counters account for: the two
// were not stored together, and moving stock on them would take a counter below zero.
func (it *Item) mismatch(r Reservation, p Part) error {
	s := it.shardAt(p.Shard)
	if s == nil {
		return fmt.Errorf("inventory: %s: reservation of order %q holds %d units on shard %d, which was not read",
			it.sku, r.OrderID, p.Quantity, p.Shard)
	}
	return fmt.Errorf("inventory: %s: reservation of order %q (%d %s on shard %d) does not match the item (reserved %d, sold %d)",
		it.sku, r.OrderID, p.Quantity, r.State, p.Shard, s.reserved, s.sold)
}

// Restock adds units to available stock (admins), spread over the active shards of a sharded item.
// The total of available and reserved stays within MaxQuantity so later moves cannot overflow.
func (it *Item) Restock(qty Quantity) ([]event.Payload, error) {
	if qty <= 0 {
		return nil, validation.New("quantity", "must be greater than 0")
	}
	if int64(it.Available())+int64(it.Reserved())+int64(qty) > int64(MaxQuantity) {
		return nil, validation.New("quantity", "would take stock above %d", MaxQuantity)
	}
	it.spread(qty, false)
	it.own.version++
	return []event.Payload{it.updated()}, nil
}

// Update changes the catalog details (admins). Prices of orders already placed do not change: orders
// copy the price when they are placed.
func (it *Item) Update(d Details) ([]event.Payload, error) {
	var c validation.Collector
	d.validate(&c)
	if err := c.Err(); err != nil {
		return nil, err
	}
	it.name, it.description, it.price = strings.TrimSpace(d.Name), d.Description, d.Price
	it.own.version++
	return []event.Payload{it.updated()}, nil
}

// Revise applies an admin's full description of the item (PUT): details, available stock and, when
// given, the low-stock threshold, with one InventoryUpdated event (and InventoryLow if available stock
// now falls below the threshold where it did not before). A sharded item's available stock is spread
// over its active shards.
func (it *Item) Revise(d Details, available Quantity, lowStockThreshold *Quantity) ([]event.Payload, error) {
	var c validation.Collector
	d.validate(&c)
	reserved := it.Reserved()
	if available < 0 || int64(available)+int64(reserved) > int64(MaxQuantity) {
		c.Add("available", "must be between 0 and %d", int64(MaxQuantity)-int64(reserved))
	}
	if lowStockThreshold != nil && (*lowStockThreshold < 0 || *lowStockThreshold > MaxQuantity) {
		c.Add("lowStockThreshold", "must be between 0 and %d", MaxQuantity)
	}
	if err := c.Err(); err != nil {
		return nil, err
	}
	wasLow := it.Available() < it.lowStockThreshold
	it.name, it.description, it.price = strings.TrimSpace(d.Name), d.Description, d.Price
	it.spread(available, true)
	if lowStockThreshold != nil {
		it.lowStockThreshold = *lowStockThreshold
	}
	it.own.version++
	evs := []event.Payload{it.updated()}
	if !wasLow && it.Available() < it.lowStockThreshold {
		evs = append(evs, it.lowAlert())
	}
	return evs, nil
}

// SetAvailable sets available stock to an absolute figure (an admin's stock count), above what is held.
func (it *Item) SetAvailable(n Quantity) ([]event.Payload, error) {
	reserved := it.Reserved()
	if n < 0 || int64(n)+int64(reserved) > int64(MaxQuantity) {
		return nil, validation.New("available", "must be between 0 and %d", int64(MaxQuantity)-int64(reserved))
	}
	before := it.Available()
	if n == before {
		return nil, nil
	}
	it.spread(n, true)
	it.own.version++
	return append([]event.Payload{it.updated()}, it.lowStock(before)...), nil
}

// lowStock reports InventoryLow when this change took available stock below the threshold; only the
// crossing is reported, so admins get one alert per shortage rather than one per order.
func (it *Item) lowStock(before Quantity) []event.Payload {
	// A sharded SKU's step may read only some of its shards (a reservation's window): its Available is
	// then theirs, not the SKU's, and no alert can be decided on it (docs/hot-sku.md).
	if !it.complete() {
		return nil
	}
	if before >= it.lowStockThreshold && it.Available() < it.lowStockThreshold {
		return []event.Payload{it.lowAlert()}
	}
	return nil
}

// complete reports whether every counter of the SKU was read: the item's own and every shard of its span.
func (it *Item) complete() bool {
	return !it.ownUnread && len(it.others) == it.Span()-1
}

func (it *Item) lowAlert() event.InventoryLow {
	return event.InventoryLow{SKU: string(it.sku), Name: it.name, Available: int64(it.Available()),
		Threshold: int64(it.lowStockThreshold), ItemVersion: it.own.version}
}

func (it *Item) updated() event.InventoryUpdated {
	e := event.InventoryUpdated{SKU: string(it.sku), Name: it.name, Description: it.description, Price: it.price,
		Available: int64(it.Available()), Reserved: int64(it.Reserved()), Sold: int64(it.Sold()), ItemVersion: it.own.version}
	if it.Sharded() {
		for k := range it.Span() {
			if s := it.shardAt(k); s != nil {
				e.Shards = append(e.Shards, s.figures())
			}
		}
	}
	return e
}
