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
//
// The steps are values holding their own functions, not cases of one switch: each saga step is a
// Lambda function of its own, and a function links only the step it names (a switch would link all
// four, see docs/adr/0009-package-splits-for-cold-start.md).
type StockStep struct {
	name    string
	applies func(o *Order) bool
	// move changes the stock; shortages (reserve only) mean nothing moved and the order is rejected.
	move func(stock *inventory.OrderStock) (shortages []event.Shortage, moved []event.Payload, err error)
	// moveFor, when set, replaces move for a step whose stock move depends on the order (a return moves
	// only the returned lines).
	moveFor func(o *Order, stock *inventory.OrderStock) (shortages []event.Shortage, moved []event.Payload, err error)
	step    func(o *Order, now time.Time) ([]event.Payload, error) // the order's half
}

var (
	// ReserveStock reserves every line of a PENDING order (-> RESERVED), or rejects the order
	// OUT_OF_STOCK with every shortage when any line is short; nothing is reserved then.
	ReserveStock = &StockStep{name: "reserve",
		applies: func(o *Order) bool { return o.status == Pending },
		move:    (*inventory.OrderStock).Reserve,
		step:    (*Order).MarkReserved,
	}
	// ReleaseStock gives the held stock of a RESERVED or PAYMENT_AUTHORIZED order back (compensation
	// before confirmation), once.
	ReleaseStock = &StockStep{name: "release",
		applies: func(o *Order) bool {
			return (o.status == Reserved || o.status == PaymentAuthorized) && !o.stockReleased
		},
		move: func(s *inventory.OrderStock) ([]event.Shortage, []event.Payload, error) {
			evs, err := s.Release()
			return nil, evs, err
		},
		step: (*Order).MarkStockReleased,
	}
	// ConfirmStock sells the held stock of a PAYMENT_AUTHORIZED order and confirms it, unless a
	// cancellation is pending (ErrCancellationRequested) or compensation began.
	ConfirmStock = &StockStep{name: "confirm",
		applies: func(o *Order) bool { return o.status == PaymentAuthorized },
		move: func(s *inventory.OrderStock) ([]event.Shortage, []event.Payload, error) {
			evs, err := s.Commit()
			return nil, evs, err
		},
		step: (*Order).Confirm,
	}
	// ReturnStock gives the sold stock of a CONFIRMED order with a cancellation back, once.
	ReturnStock = &StockStep{name: "return",
		applies: func(o *Order) bool {
			return o.status == Confirmed && o.cancellation != nil && !o.stockReturned
		},
		move: func(s *inventory.OrderStock) ([]event.Shortage, []event.Payload, error) {
			evs, err := s.Return()
			return nil, evs, err
		},
		step: (*Order).MarkStockReturned,
	}
)

// StockSteps lists every stock step.
func StockSteps() []*StockStep {
	return []*StockStep{ReserveStock, ReleaseStock, ConfirmStock, ReturnStock}
}

func (s *StockStep) String() string { return s.name }

// Applies reports whether the order is where the step acts. Anywhere else the step is a no-op that
// needs no stock: a repeated step (the order is past it) or an order elsewhere, which the saga routes.
func (s *StockStep) Applies(o *Order) bool { return s.applies(o) }

// Apply runs the step on the order and the stock of its lines, and returns the order's events first,
// then the stock's (InventoryLow). Where the step does not apply it returns nothing and changes
// nothing. On an error both may have changed and must be dropped.
func (s *StockStep) Apply(o *Order, stock *inventory.OrderStock, now time.Time) ([]event.Payload, error) {
	if !s.applies(o) {
		return nil, nil
	}
	if stock.OrderID() != string(o.id) {
		return nil, fmt.Errorf("order: %s stock of %s given the stock of order %q", s.name, o.id, stock.OrderID())
	}
	move := s.move
	if s.moveFor != nil {
		move = func(stock *inventory.OrderStock) ([]event.Shortage, []event.Payload, error) {
			return s.moveFor(o, stock)
		}
	}
	shortages, moved, err := move(stock)
	if err != nil {
		return nil, err
	}
	if len(shortages) > 0 {
		return o.RejectOutOfStock(shortages, now) // nothing was reserved
	}
	evs, err := s.step(o, now)
	if err != nil {
		return nil, err
	}
	// The stock lines carry each item's figures after the move, for the catalog view.
	withFigures(evs, stock)
	return append(evs, moved...), nil
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
			if shards := stock.ShardFigures(inventory.SKU(sl.SKU)); shards != nil {
				lines[i].Shards = shards // a sharded SKU: each shard's own version (docs/hot-sku.md)
			} else if it, ok := stock.Item(inventory.SKU(sl.SKU)); ok {
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
