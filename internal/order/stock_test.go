package order_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/order"
)

// stockState is an order in one place of its life with what its lines' stock then looks like.
type stockState struct {
	name  string
	build func(t *testing.T) *order.Order
	held  inventory.ReservationState // the order's reservation of every line ("" none)
}

func at(s order.Status, more ...func(*order.Order) ([]event.Payload, error)) func(t *testing.T) *order.Order {
	return func(t *testing.T) *order.Order {
		o := inState(t, s)
		for _, m := range more {
			must(t)(m(o))
		}
		return o
	}
}

var (
	cancel      = func(o *order.Order) ([]event.Payload, error) { return o.RequestCancellation(order.ByCustomer, t0) }
	released    = func(o *order.Order) ([]event.Payload, error) { return o.MarkStockReleased(t0) }
	refunded    = func(o *order.Order) ([]event.Payload, error) { return o.RefundPayment("re-1", t0) }
	voided      = func(o *order.Order) ([]event.Payload, error) { return o.VoidPayment(t0) }
	captured    = func(o *order.Order) ([]event.Payload, error) { return o.CapturePayment("ch-1", t0) }
	actionAsked = func(o *order.Order) ([]event.Payload, error) {
		return o.RequirePaymentAction("pi-3ds", order.PaymentAction{Type: "redirect_to_url", RedirectURL: "https://bank.example/3ds"}, t0)
	}
	actionFailed    = func(o *order.Order) ([]event.Payload, error) { return o.FailPaymentAction("authentication_failed", t0) }
	captureDeclined = func(o *order.Order) ([]event.Payload, error) { return o.DeclineCapture("capture_declined", t0) }
	returned        = func(o *order.Order) ([]event.Payload, error) { return o.MarkStockReturned(t0) }
)

// stockStates are every status, and the flags the stock steps look at in the statuses that have them.
var stockStates = []stockState{
	{"PENDING", at(order.Pending), ""},
	{"RESERVED", at(order.Reserved), inventory.Reserved},
	{"RESERVED, cancellation pending", at(order.Reserved, cancel), inventory.Reserved},
	{"RESERVED, stock released", at(order.Reserved, released), inventory.Released},
	{"PAYMENT_AUTHORIZED", at(order.PaymentAuthorized), inventory.Reserved},
	{"PAYMENT_AUTHORIZED, cancellation pending", at(order.PaymentAuthorized, cancel), inventory.Reserved},
	{"PAYMENT_AUTHORIZED, stock released", at(order.PaymentAuthorized, released), inventory.Released},
	{"PAYMENT_AUTHORIZED, voided", at(order.PaymentAuthorized, voided), inventory.Reserved},
	{"PAYMENT_AUTHORIZED, captured", at(order.PaymentAuthorized, captured), inventory.Reserved},
	{"RESERVED, action pending", at(order.Reserved, actionAsked), inventory.Reserved},
	{"CONFIRMED", at(order.Confirmed), inventory.Committed},
	{"CONFIRMED, cancellation pending", at(order.Confirmed, cancel, refunded), inventory.Committed},
	{"CONFIRMED, cancelled, stock returned", at(order.Confirmed, cancel, refunded, returned), inventory.Returned},
	{"REJECTED", at(order.Rejected), ""},
	{"CANCELLED", at(order.Cancelled), ""},
	{"FAILED", at(order.Failed), ""},
}

// stockOf is the stock of the order's lines: 10 units available of each, and the order's reservation
// of each line in state held (counters to match).
func stockOf(t *testing.T, o *order.Order, held inventory.ReservationState) *inventory.OrderStock {
	t.Helper()
	var items []*inventory.Item
	var rs []inventory.Reservation
	for _, l := range o.StockLines() {
		s := inventory.Snapshot{SKU: l.SKU, Name: "Widget", Price: usd(t, 100), Available: 10, Version: 3}
		switch held {
		case inventory.Reserved:
			s.Reserved = l.Quantity
		case inventory.Committed:
			s.Sold = l.Quantity
		}
		it, err := inventory.FromSnapshot(s)
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, it)
		if held != "" {
			rs = append(rs, inventory.Reservation{SKU: l.SKU, OrderID: string(o.ID()), Quantity: l.Quantity, State: held})
		}
	}
	return inventory.NewOrderStock(string(o.ID()), o.StockLines(), items, rs)
}

// stockOutcome is what one stock step does in one state; the zero value: it does not apply.
type stockOutcome struct {
	to     order.Status
	events []string
	held   inventory.ReservationState // every line's reservation afterwards
	err    error
}

func (w stockOutcome) applies() bool { return w.to != "" || w.err != nil }

// stockMatrix is the saga's stock steps in every state: which compensation applies where. The
// states left out of a step's row are those it does not apply in (a no-op: nothing loaded, nothing
// written).
var stockMatrix = map[string]map[*order.StockStep]stockOutcome{
	"PENDING": {order.ReserveStock: {to: order.Reserved, events: []string{"InventoryReserved"}, held: inventory.Reserved}},
	"RESERVED": {
		order.ReleaseStock: {to: order.Reserved, events: []string{"InventoryReleased"}, held: inventory.Released},
	},
	"RESERVED, cancellation pending": {
		order.ReleaseStock: {to: order.Reserved, events: []string{"InventoryReleased"}, held: inventory.Released},
	},
	"RESERVED, stock released": {},
	"PAYMENT_AUTHORIZED": {
		order.ReleaseStock: {to: order.PaymentAuthorized, events: []string{"InventoryReleased"}, held: inventory.Released},
		// Never confirmed on money only held: the capture comes first.
		order.ConfirmStock: {err: order.ErrInvalidTransition},
	},
	"PAYMENT_AUTHORIZED, captured": {
		order.ReleaseStock: {to: order.PaymentAuthorized, events: []string{"InventoryReleased"}, held: inventory.Released},
		order.ConfirmStock: {to: order.Confirmed, events: []string{"InventoryCommitted", "OrderConfirmed"}, held: inventory.Committed},
	},
	"RESERVED, action pending": {
		order.ReleaseStock: {to: order.Reserved, events: []string{"InventoryReleased"}, held: inventory.Released},
	},
	"PAYMENT_AUTHORIZED, cancellation pending": {
		order.ReleaseStock: {to: order.PaymentAuthorized, events: []string{"InventoryReleased"}, held: inventory.Released},
		order.ConfirmStock: {err: order.ErrCancellationRequested},
	},
	"PAYMENT_AUTHORIZED, stock released": {
		// The stock moves first: what was given back cannot be sold.
		order.ConfirmStock: {err: inventory.ErrReservationState},
	},
	"PAYMENT_AUTHORIZED, voided": {
		order.ReleaseStock: {to: order.PaymentAuthorized, events: []string{"InventoryReleased"}, held: inventory.Released},
		order.ConfirmStock: {err: order.ErrInvalidTransition},
	},
	"CONFIRMED": {},
	"CONFIRMED, cancellation pending": {
		order.ReturnStock: {to: order.Confirmed, events: []string{"InventoryReturned"}, held: inventory.Returned},
	},
	"CONFIRMED, cancelled, stock returned": {},
	"REJECTED":                             {},
	"CANCELLED":                            {},
	"FAILED":                               {},
}

func TestStockStepMatrix(t *testing.T) {
	for _, st := range stockStates {
		row, ok := stockMatrix[st.name]
		if !ok {
			t.Fatalf("matrix lacks %s", st.name)
		}
		for _, step := range []*order.StockStep{order.ReserveStock, order.ReleaseStock, order.ConfirmStock, order.ReturnStock} {
			want := row[step]
			t.Run(fmt.Sprintf("%s/%s", st.name, step), func(t *testing.T) {
				o := st.build(t)
				stock := stockOf(t, o, st.held)
				before := o.Snapshot()
				if got := step.Applies(o); got != want.applies() {
					t.Fatalf("Applies = %v; want %v", got, want.applies())
				}
				evs, err := step.Apply(o, stock, t0.Add(time.Minute))
				switch {
				case want.err != nil:
					if !errors.Is(err, want.err) || evs != nil {
						t.Fatalf("events %v, err %v; want %v", evs, err, want.err)
					}
					return // the caller drops the order and the stock
				case err != nil:
					t.Fatalf("err = %v", err)
				case !want.applies():
					if evs != nil || o.Version() != before.Version || o.Status() != before.Status {
						t.Fatalf("a step that does not apply returned %v and moved the order v%d -> v%d", evs, before.Version, o.Version())
					}
					for _, l := range o.StockLines() {
						if r := stock.Reservation(l.SKU); r.State != st.held {
							t.Fatalf("a step that does not apply moved %s to %s", l.SKU, r.State)
						}
					}
					return
				}
				if o.Status() != want.to || o.Version() != before.Version+1 {
					t.Errorf("order %s v%d; want %s v%d", o.Status(), o.Version(), want.to, before.Version+1)
				}
				var types []string
				for _, e := range evs {
					types = append(types, e.EventType())
				}
				if !slices.Equal(types, want.events) {
					t.Errorf("events %v; want %v", types, want.events)
				}
				for _, l := range o.StockLines() {
					if r := stock.Reservation(l.SKU); r.State != want.held || r.Quantity != l.Quantity {
						t.Errorf("%s: reservation %+v; want %s of %d", l.SKU, r, want.held, l.Quantity)
					}
				}
				// The stock lines of the events carry each item's figures after the move.
				for _, e := range evs {
					for _, sl := range stockLinesOf(e) {
						it, _ := stock.Item(inventory.SKU(sl.SKU))
						if sl.Available == nil || *sl.Available != it.Available().Int64() || sl.ItemVersion != it.Version() || it.Version() != 4 {
							t.Errorf("%s line %+v; item available %d v%d", e.EventType(), sl, it.Available(), it.Version())
						}
					}
				}
			})
		}
	}
}

func stockLinesOf(p event.Payload) []event.StockLine {
	switch e := p.(type) {
	case event.InventoryReserved:
		return e.Lines
	case event.InventoryReleased:
		return e.Lines
	case event.InventoryCommitted:
		return e.Lines
	case event.InventoryReturned:
		return e.Lines
	}
	return nil
}

// Reserving an order whose stock is short anywhere rejects it OUT_OF_STOCK with every shortage and
// reserves nothing; reserving one that fits reports the items that fall low after the order's events.
func TestReserveStockRejectsOrReservesEveryLine(t *testing.T) {
	item := func(sku inventory.SKU, available, threshold inventory.Quantity) *inventory.Item {
		it, err := inventory.FromSnapshot(inventory.Snapshot{SKU: sku, Name: "Widget", Price: usd(t, 100), Available: available,
			LowStockThreshold: threshold, Version: 1})
		if err != nil {
			t.Fatal(err)
		}
		return it
	}
	// placed: SKU-1 x2, SKU-2 x1.
	o := placed(t)
	stock := inventory.NewOrderStock(string(o.ID()), o.StockLines(), []*inventory.Item{item("SKU-1", 1, 0)}, nil)
	evs, err := order.ReserveStock.Apply(o, stock, t0)
	if err != nil || o.Status() != order.Rejected || o.Reason() != order.OutOfStock || len(evs) != 2 {
		t.Fatalf("short: %s/%s %v %v", o.Status(), o.Reason(), evs, err)
	}
	failed := evs[0].(event.InventoryReservationFailed)
	want := []event.Shortage{{SKU: "SKU-1", Requested: 2, Available: 1}, {SKU: "SKU-2", Requested: 1}}
	if !slices.Equal(failed.Shortages, want) || evs[1].EventType() != "OrderRejected" {
		t.Fatalf("shortages %+v, then %s", failed.Shortages, evs[1].EventType())
	}
	if it, _ := stock.Item("SKU-1"); it.Available() != 1 || it.Version() != 1 || stock.Reservation("SKU-1").Exists() {
		t.Fatal("a rejected order reserved stock")
	}

	o = placed(t)
	stock = inventory.NewOrderStock(string(o.ID()), o.StockLines(), []*inventory.Item{item("SKU-1", 5, 4), item("SKU-2", 5, 0)}, nil)
	evs, err = order.ReserveStock.Apply(o, stock, t0)
	if err != nil || o.Status() != order.Reserved {
		t.Fatalf("fits: %s %v", o.Status(), err)
	}
	var types []string
	for _, e := range evs {
		types = append(types, e.EventType())
	}
	if !slices.Equal(types, []string{"InventoryReserved", "InventoryLow"}) {
		t.Fatalf("events %v", types)
	}

	// The stock must be the order's.
	o = placed(t)
	other := inventory.NewOrderStock("another", o.StockLines(), nil, nil)
	if _, err := order.ReserveStock.Apply(o, other, t0); err == nil || o.Status() != order.Pending {
		t.Fatalf("another order's stock: %v, %s", err, o.Status())
	}
}
