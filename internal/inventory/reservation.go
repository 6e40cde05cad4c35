package inventory

import "fmt"

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
			(r.Returned == 0 || r.State == Committed) {
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
