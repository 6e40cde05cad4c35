package order

import (
	"errors"
	"fmt"
	"strconv"
)

// A customer's open orders hold stock others may need: from placement (PENDING: about to reserve)
// through RESERVED and PAYMENT_AUTHORIZED until the order confirms, is rejected, cancelled or fails. A
// CONFIRMED order is not open, although it is not terminal either: its stock is sold, not held, and
// counting it would cap what a customer may ever buy. Limits bound what one customer holds at once, so
// that one client cannot reserve a scarce SKU away from everyone else (issue 20: stock hoarding).

// IsOpen reports whether an order in the status holds stock, or is about to: PENDING, RESERVED or
// PAYMENT_AUTHORIZED.
func (s Status) IsOpen() bool { return s == Pending || s == Reserved || s == PaymentAuthorized }

// Hold is what orders count against their customer's limits: open orders and the units of their lines.
type Hold struct {
	Orders int64
	Units  int64
}

// Minus is h less o.
func (h Hold) Minus(o Hold) Hold { return Hold{Orders: h.Orders - o.Orders, Units: h.Units - o.Units} }

// IsZero reports whether the hold counts nothing.
func (h Hold) IsZero() bool { return h == Hold{} }

// Hold is what the order counts against its customer's limits: one order and its units while it is
// open and counted (see Counted), nothing otherwise. Storage keeps the customer's sum and changes it in
// the same conditional write as the order whenever Hold changes, so the sum changes once per transition
// however often a step is retried.
func (o *Order) Hold() Hold {
	if !o.counted || !o.status.IsOpen() {
		return Hold{}
	}
	var units int64
	for _, l := range o.lines {
		units += l.Quantity.Int64()
	}
	return Hold{Orders: 1, Units: units}
}

// Counted reports whether the order counts against its customer's limits: every order placed since
// the limits exist (New). An order placed before them was never added to its customer's sum, so its end
// must not subtract from it either.
func (o *Order) Counted() bool { return o.counted }

// Limits are the most one customer may hold at once. Zero means no limit.
type Limits struct {
	MaxOpenOrders int64
	MaxHeldUnits  int64
}

// DefaultLimits are the template's defaults (MaxOpenOrdersPerCustomer, MaxHeldUnitsPerCustomer).
var DefaultLimits = Limits{MaxOpenOrders: 10, MaxHeldUnits: 100}

// ErrLimitReached means the customer's open orders leave no room for the order now; it fits once some
// of them end (409).
var ErrLimitReached = errors.New("order: the customer's limit of open orders or held units is reached")

// ErrOverLimit means the order alone holds more units than a customer may hold at once; it never fits (422).
var ErrOverLimit = errors.New("order: the order holds more units than a customer may hold at once")

// LimitError says which limit refused an order; errors.Is matches ErrLimitReached or ErrOverLimit.
type LimitError struct {
	Limits Limits
	// Units is the order's units.
	Units int64
	never bool
}

func (e *LimitError) Error() string {
	if e.never {
		return fmt.Sprintf("%v: %d units, at most %d", ErrOverLimit, e.Units, e.Limits.MaxHeldUnits)
	}
	return fmt.Sprintf("%v: at most %d open orders and %d held units", ErrLimitReached, e.Limits.MaxOpenOrders, e.Limits.MaxHeldUnits)
}

func (e *LimitError) Unwrap() error {
	if e.never {
		return ErrOverLimit
	}
	return ErrLimitReached
}

// Admits checks what the order alone asks for: an order holding more units than the limit can never be
// placed (ErrOverLimit). Whether it fits beside the customer's other open orders is decided where their
// sum is kept, atomically with the order's write (Refuse makes that answer).
func (l Limits) Admits(h Hold) error {
	if l.MaxHeldUnits > 0 && h.Units > l.MaxHeldUnits {
		return &LimitError{Limits: l, Units: h.Units, never: true}
	}
	return nil
}

// Refuse is the answer to an order that does not fit beside the customer's open orders (ErrLimitReached).
func (l Limits) Refuse(h Hold) error { return &LimitError{Limits: l, Units: h.Units} }

// ParseLimits reads limits as configuration gives them (the function's environment): whole numbers of
// at least 1; an empty value takes the default (DefaultLimits).
func ParseLimits(maxOpenOrders, maxHeldUnits string) (Limits, error) {
	l := DefaultLimits
	for _, f := range []struct {
		name, value string
		to          *int64
	}{{"max open orders", maxOpenOrders, &l.MaxOpenOrders}, {"max held units", maxHeldUnits, &l.MaxHeldUnits}} {
		if f.value == "" {
			continue
		}
		n, err := strconv.ParseInt(f.value, 10, 64)
		if err != nil || n < 1 {
			return Limits{}, fmt.Errorf("order: %s %q must be a whole number of at least 1", f.name, f.value)
		}
		*f.to = n
	}
	return l, nil
}
