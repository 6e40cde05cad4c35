package order

import (
	"fmt"
	"time"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
)

// StockStep is a saga step that moves the stock of every line of an order together with the order:
// which status it applies in, what it does to the stock and to the order, and which events it causes.
// Storage loads the order, asks Applies, loads the order's stock only then, runs Apply and writes the
// order, the stock and the events in one transaction conditional on what it read.
type StockStep int

const (
	// ReserveStock reserves every line of a PENDING order (-> RESERVED), or rejects the order
	// OUT_OF_STOCK with every shortage when any line is short; nothing is reserved then.
	ReserveStock StockStep = iota + 1
	// ReleaseStock gives the held stock of a RESERVED or PAYMENT_AUTHORIZED order back (compensation
	// before confirmation), once.
	ReleaseStock
	// ConfirmStock sells the held stock of a PAYMENT_AUTHORIZED order and confirms it, unless a
	// cancellation is pending (ErrCancellationRequested) or compensation began.
	ConfirmStock
	// ReturnStock gives the sold stock of a CONFIRMED order with a cancellation back, once.
	ReturnStock
)

// StockSteps lists every stock step.
var StockSteps = []StockStep{ReserveStock, ReleaseStock, ConfirmStock, ReturnStock}

func (s StockStep) String() string {
	switch s {
	case ReserveStock:
		return "reserve"
	case ReleaseStock:
		return "release"
	case ConfirmStock:
		return "confirm"
	case ReturnStock:
		return "return"
	}
	return fmt.Sprintf("StockStep(%d)", int(s))
}

// Applies reports whether the order is where the step acts. Anywhere else the step is a no-op that
// needs no stock: a repeated step (the order is past it) or an order elsewhere, which the saga routes.
func (s StockStep) Applies(o *Order) bool {
	switch s {
	case ReserveStock:
		return o.status == Pending
	case ReleaseStock:
		return (o.status == Reserved || o.status == PaymentAuthorized) && !o.stockReleased
	case ConfirmStock:
		return o.status == PaymentAuthorized
	case ReturnStock:
		return o.status == Confirmed && o.cancellation != nil && !o.stockReturned
	}
	return false
}

// Apply runs the step on the order and the stock of its lines, and returns the order's events first,
// then the stock's (InventoryLow). Where the step does not apply it returns nothing and changes
// nothing. On an error both may have changed and must be dropped.
func (s StockStep) Apply(o *Order, stock *inventory.OrderStock, now time.Time) ([]event.Payload, error) {
	if !s.Applies(o) {
		return nil, nil
	}
	if stock.OrderID() != string(o.id) {
		return nil, fmt.Errorf("order: %s stock of %s given the stock of order %q", s, o.id, stock.OrderID())
	}
	var moved []event.Payload
	var err error
	switch s {
	case ReserveStock:
		var shortages []event.Shortage
		shortages, moved, err = stock.Reserve()
		if err != nil {
			return nil, err
		}
		if len(shortages) > 0 {
			return o.RejectOutOfStock(shortages, now) // nothing was reserved
		}
	case ReleaseStock:
		moved, err = stock.Release()
	case ConfirmStock:
		moved, err = stock.Commit()
	case ReturnStock:
		moved, err = stock.Return()
	default:
		return nil, fmt.Errorf("order: unknown stock step %d", int(s))
	}
	if err != nil {
		return nil, err
	}
	evs, err := s.step(o, now)
	if err != nil {
		return nil, err
	}
	// The stock lines carry each item's figures after the move, for the catalog view.
	withFigures(evs, stock)
	return append(evs, moved...), nil
}

// step is the order's half of the step.
func (s StockStep) step(o *Order, now time.Time) ([]event.Payload, error) {
	switch s {
	case ReserveStock:
		return o.MarkReserved(now)
	case ReleaseStock:
		return o.MarkStockReleased(now)
	case ConfirmStock:
		return o.Confirm(now)
	default:
		return o.MarkStockReturned(now)
	}
}

// StockLines are the order's lines as stock sees them: what an OrderStock of the order is built on.
func (o *Order) StockLines() []inventory.Line {
	out := make([]inventory.Line, len(o.lines))
	for i, l := range o.lines {
		out[i] = inventory.Line{SKU: l.SKU, Quantity: l.Quantity}
	}
	return out
}

// withFigures stamps each stock line of the events with its item's figures after the move.
func withFigures(evs []event.Payload, stock *inventory.OrderStock) {
	stamp := func(lines []event.StockLine) {
		for i, sl := range lines {
			if it, ok := stock.Item(inventory.SKU(sl.SKU)); ok {
				avail := it.Available().Int64()
				lines[i].Available, lines[i].ItemVersion = &avail, it.Version()
			}
		}
	}
	for _, p := range evs {
		switch e := p.(type) {
		case event.InventoryReserved:
			stamp(e.Lines)
		case event.InventoryReleased:
			stamp(e.Lines)
		case event.InventoryCommitted:
			stamp(e.Lines)
		case event.InventoryReturned:
			stamp(e.Lines)
		}
	}
}
