package inventory

import (
	"fmt"
	"strconv"
	"strings"
)

// ReservationState is where an order's hold on an item is.
type ReservationState string

const (
	Reserved  ReservationState = "RESERVED"  // units held for the order
	Released  ReservationState = "RELEASED"  // held units given back (order rejected, cancelled or failed)
	Committed ReservationState = "COMMITTED" // held units sold (order confirmed)
	Returned  ReservationState = "RETURNED"  // sold units given back (confirmed order cancelled)
)

// Reservation is one order's hold on one item. It is not part of the Item: the item holds only its
// counters, so that its size stays the same however many orders it serves, and each reservation is
// stored on its own beside it. A stock move takes the order's reservation as stored, checks the move
// against its state, and returns it as it must be stored with the item's new counters, in the same
// write; the zero State means the order holds nothing on the item (nothing is stored).
type Reservation struct {
	SKU      SKU
	OrderID  string
	Quantity Quantity
	State    ReservationState
	// Returned counts the units of a COMMITTED reservation that came back in received returns (issue 21):
	// they are available again, and at most Quantity of them can come back.
	Returned Quantity
	// Parts are the units taken from each shard of a sharded item, in the order they were taken, so
	// that every later move touches exactly those shards. None (the zero Parts) means every unit is on
	// shard 0 (the item itself): the reservations of an item that is not sharded, and every one stored
	// before shards.
	Parts Parts
}

// Parts is a reservation's list of Part, immutable and comparable (reservations are compared to tell
// what a step changed).
type Parts struct{ enc string }

// NewParts is the Parts of a list (none for an empty list).
func NewParts(list []Part) Parts {
	var b strings.Builder
	for i, p := range list {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%d:%d:%d", p.Shard, p.Quantity, p.Returned)
	}
	return Parts{enc: b.String()}
}

// IsZero reports whether there are no parts (every unit on shard 0).
func (p Parts) IsZero() bool { return p.enc == "" }

// List is the parts, in the order they were taken (nil for none).
func (p Parts) List() []Part {
	if p.enc == "" {
		return nil
	}
	fields := strings.Split(p.enc, ",")
	out := make([]Part, len(fields))
	for i, f := range fields {
		n := strings.SplitN(f, ":", 3)
		k, _ := strconv.Atoi(n[0])
		q, _ := strconv.ParseInt(n[1], 10, 64)
		r, _ := strconv.ParseInt(n[2], 10, 64)
		out[i] = Part{Shard: k, Quantity: Quantity(q), Returned: Quantity(r)}
	}
	return out
}

// Part is what a reservation took from one shard: Quantity units, Returned of them back through
// received returns.
type Part struct {
	Shard    int
	Quantity Quantity
	Returned Quantity
}

// PartsTaken are the reservation's parts, with the implicit one of a reservation without parts (every
// unit on shard 0). The result is a copy.
func (r Reservation) PartsTaken() []Part {
	if r.Parts.IsZero() {
		return []Part{{Shard: 0, Quantity: r.Quantity, Returned: r.Returned}}
	}
	return r.Parts.List()
}

// compactParts drops the parts of a reservation that took everything from shard 0 (none), so an
// unsharded item's reservations are stored exactly as before shards.
func compactParts(parts []Part) Parts {
	if len(parts) == 1 && parts[0].Shard == 0 && parts[0].Returned == 0 {
		return Parts{}
	}
	return NewParts(parts)
}

// NoReservation is the reservation of an order that holds nothing on the item: what a stock move is
// given when storage has no reservation of the order for the SKU.
func NoReservation(sku SKU, orderID string) Reservation {
	return Reservation{SKU: sku, OrderID: orderID}
}

// Exists reports whether the order holds (or held) units of the item: whether the reservation is stored.
func (r Reservation) Exists() bool { return r.State != "" }

// check refuses a reservation that is not this item's or that storage could not have produced, because
// moving stock on a corrupt reservation would be worse than failing.
func (r Reservation) check(sku SKU) error {
	switch {
	case r.SKU != sku:
		return fmt.Errorf("inventory: reservation of %s for order %q given to item %s", r.SKU, r.OrderID, sku)
	case r.OrderID == "":
		return fmt.Errorf("inventory: %s: reservation without an order", sku)
	}
	switch r.State {
	case "":
		if r.Quantity == 0 {
			return nil
		}
	case Reserved, Released, Committed, Returned:
		if r.Quantity > 0 && r.Quantity <= MaxQuantity && r.Returned >= 0 && r.Returned <= r.Quantity &&
			(r.Returned == 0 || r.State == Committed) && r.partsAddUp() {
			return nil
		}
	}
	return fmt.Errorf("inventory: %s: corrupt reservation of order %q (quantity %d, state %q)", sku, r.OrderID, r.Quantity, r.State)
}

// moved is the reservation in a new state.
func (r Reservation) moved(to ReservationState) Reservation {
	r.State = to
	return r
}

// partsAddUp reports whether the parts account for the reservation's units and returns exactly, each
// on a distinct shard within MaxShards.
func (r Reservation) partsAddUp() bool {
	if r.Parts.IsZero() {
		return true
	}
	var qty, returned Quantity
	seen := map[int]bool{}
	for _, p := range r.Parts.List() {
		if p.Shard < 0 || p.Shard > MaxShards || seen[p.Shard] || p.Quantity <= 0 || p.Returned < 0 || p.Returned > p.Quantity {
			return false
		}
		seen[p.Shard] = true
		qty += p.Quantity
		returned += p.Returned
	}
	return qty == r.Quantity && returned == r.Returned
}
