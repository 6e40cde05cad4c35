package order_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/validation"
)

const window = 30 * 24 * time.Hour

// delivered is an order of 2 SKU-1 at 12.50 and 1 SKU-2 at 9.99, delivered at t0+1s.
func delivered(t *testing.T) *order.Order {
	t.Helper()
	return inState(t, order.Delivered)
}

func rl(sku string, q int64) order.ReturnLine {
	return order.ReturnLine{SKU: inventory.SKU(sku), Quantity: inventory.Quantity(q)}
}

func TestRequestReturnChecksEveryLine(t *testing.T) {
	at := t0.Add(time.Hour)
	tests := []struct {
		name   string
		prior  [][]order.ReturnLine // returns asked for before
		lines  []order.ReturnLine
		reason string
		fields []string // validation fields; nil: accepted
		amount int64
	}{
		{name: "one unit", lines: []order.ReturnLine{rl("SKU-1", 1)}, amount: 1250},
		{name: "everything", lines: []order.ReturnLine{rl("SKU-1", 2), rl("SKU-2", 1)}, amount: 3499},
		{name: "what is left after a first return", prior: [][]order.ReturnLine{{rl("SKU-1", 1)}}, lines: []order.ReturnLine{rl("SKU-1", 1)}, amount: 1250},
		{name: "more than is left", prior: [][]order.ReturnLine{{rl("SKU-1", 1)}}, lines: []order.ReturnLine{rl("SKU-1", 2)}, fields: []string{"lines[0].quantity"}},
		{name: "more than bought", lines: []order.ReturnLine{rl("SKU-2", 2)}, fields: []string{"lines[0].quantity"}},
		{name: "zero units", lines: []order.ReturnLine{rl("SKU-1", 0)}, fields: []string{"lines[0].quantity"}},
		{name: "negative units", lines: []order.ReturnLine{rl("SKU-1", -1)}, fields: []string{"lines[0].quantity"}},
		{name: "a SKU not on the order", lines: []order.ReturnLine{rl("SKU-9", 1)}, fields: []string{"lines[0].sku"}},
		{name: "a SKU twice", lines: []order.ReturnLine{rl("SKU-1", 1), rl("SKU-1", 1)}, fields: []string{"lines[1].sku"}},
		{name: "no lines", lines: nil, fields: []string{"lines"}},
		{name: "a reason too long", lines: []order.ReturnLine{rl("SKU-1", 1)}, reason: strings.Repeat("x", 501), fields: []string{"reason"}},
		{name: "a reason with a control character", lines: []order.ReturnLine{rl("SKU-1", 1)}, reason: "bad\u202ereason", fields: []string{"reason"}},
		{name: "every bad line at once", lines: []order.ReturnLine{rl("SKU-9", 1), rl("SKU-2", 5)}, fields: []string{"lines[0].sku", "lines[1].quantity"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := delivered(t)
			for _, p := range tt.prior {
				if _, _, err := o.RequestReturn("", p, "", window, at); err != nil {
					t.Fatal(err)
				}
			}
			before := o.Snapshot()
			r, evs, err := o.RequestReturn("", tt.lines, tt.reason, window, at)
			if tt.fields != nil {
				var ve validation.Errors
				if !errors.As(err, &ve) {
					t.Fatalf("err = %v; want a validation error", err)
				}
				var got []string
				for _, p := range ve {
					got = append(got, p.Field)
				}
				if strings.Join(got, ",") != strings.Join(tt.fields, ",") {
					t.Fatalf("fields = %v; want %v", got, tt.fields)
				}
				if o.Version() != before.Version || len(o.Returns()) != len(before.Returns) || evs != nil {
					t.Fatal("a refused return changed the order")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			wantID := []string{"R1", "R2"}[len(tt.prior)]
			if r.ID != wantID || r.Status != order.ReturnRequested || r.Amount.Amount() != tt.amount || r.Amount.Currency() != "USD" {
				t.Fatalf("return = %+v; want %s REQUESTED of %d", r, wantID, tt.amount)
			}
			if o.Status() != order.Delivered || o.Version() != before.Version+1 {
				t.Fatalf("order %s v%d; want DELIVERED v%d", o.Status(), o.Version(), before.Version+1)
			}
			e, ok := evs[0].(event.OrderReturnRequested)
			if len(evs) != 1 || !ok || e.ReturnID != r.ID || e.Amount != r.Amount || len(e.Lines) != len(tt.lines) {
				t.Fatalf("events = %+v", evs)
			}
		})
	}
}

func TestReturnWindow(t *testing.T) {
	deliveredAt := t0.Add(time.Second) // inState delivers at t0+1s
	for _, tt := range []struct {
		at   time.Time
		want error
	}{
		{deliveredAt.Add(window), nil},
		{deliveredAt.Add(window + time.Second), order.ErrReturnWindowClosed},
	} {
		o := delivered(t)
		_, _, err := o.RequestReturn("", []order.ReturnLine{rl("SKU-1", 1)}, "", window, tt.at)
		if !errors.Is(err, tt.want) {
			t.Errorf("at %s: err = %v; want %v", tt.at, err, tt.want)
		}
	}
}

func TestReturnsAreBounded(t *testing.T) {
	o, _, err := order.New(newID(t), "cust-1", []order.Line{line(t, "SKU-1", 100, 100)}, "tok_visa", nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	at := t0.Add(time.Second)
	for _, step := range []func() ([]event.Payload, error){
		func() ([]event.Payload, error) { return o.MarkReserved(at) },
		func() ([]event.Payload, error) { return o.AuthorizePayment("a", at) },
		func() ([]event.Payload, error) { return o.CapturePayment("c", at) },
		func() ([]event.Payload, error) { return o.Confirm(at) },
		func() ([]event.Payload, error) { return o.Ship(shipment, at) },
		func() ([]event.Payload, error) { return o.Deliver(time.Time{}, at) },
	} {
		must(t)(step())
	}
	for i := range order.MaxReturns {
		if _, _, err := o.RequestReturn("", []order.ReturnLine{rl("SKU-1", 1)}, "", window, at); err != nil {
			t.Fatalf("return %d: %v", i+1, err)
		}
	}
	var ve validation.Errors
	if _, _, err := o.RequestReturn("", []order.ReturnLine{rl("SKU-1", 1)}, "", window, at); !errors.As(err, &ve) {
		t.Fatalf("return %d: err = %v; want a validation error", order.MaxReturns+1, err)
	}
}

// A return moves only its own lines, from sold back to available, once; and money is due only for a
// received return, once.
func TestReceiveAndRefundAReturn(t *testing.T) {
	o := delivered(t)
	at := t0.Add(time.Hour)
	r, _, err := o.RequestReturn("", []order.ReturnLine{rl("SKU-1", 1)}, "too small", window, at)
	if err != nil {
		t.Fatal(err)
	}
	if o.ReturnRefundDue(r.ID) {
		t.Fatal("refund due before the units were received")
	}
	if _, err := o.RefundReturn(r.ID, "re_1", at); !errors.Is(err, order.ErrInvalidTransition) {
		t.Fatalf("refund before receipt: %v", err)
	}

	stock := stockOf(t, o, inventory.Committed)
	step := order.ReceiveReturn(r.ID, time.Time{})
	if !step.Applies(o) {
		t.Fatal("receipt does not apply to a requested return")
	}
	if order.ReceiveReturn("R9", time.Time{}).Applies(o) {
		t.Fatal("receipt applies to a return the order does not have")
	}
	evs, err := step.Apply(o, stock, at)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 {
		t.Fatalf("events = %+v", evs)
	}
	got, ok := evs[1].(event.InventoryReturned)
	if _, rec := evs[0].(event.OrderReturnReceived); !rec || !ok || got.ReturnID != "R1" || len(got.Lines) != 1 || got.Lines[0].Available == nil || *got.Lines[0].Available != 11 {
		t.Fatalf("events = %+v", evs)
	}
	one, _ := stock.Item("SKU-1")
	two, _ := stock.Item("SKU-2")
	if one.Available() != 11 || one.Sold() != 1 || two.Available() != 10 || two.Sold() != 1 {
		t.Fatalf("stock after receipt: SKU-1 %d available %d sold, SKU-2 %d/%d", one.Available(), one.Sold(), two.Available(), two.Sold())
	}
	if res := stock.Reservation("SKU-1"); res.Returned != 1 || res.State != inventory.Committed {
		t.Fatalf("SKU-1 reservation = %+v; want 1 returned", res)
	}
	if step.Applies(o) {
		t.Fatal("receipt applies twice")
	}
	if !o.ReturnRefundDue(r.ID) {
		t.Fatal("no refund due after receipt")
	}
	evs, err = o.RefundReturn(r.ID, "re_1", at)
	if err != nil {
		t.Fatal(err)
	}
	if e, ok := evs[0].(event.PaymentRefunded); !ok || e.Amount.Amount() != 1250 || e.ReturnID != "R1" || e.RefundID != "re_1" || e.Status != "DELIVERED" {
		t.Fatalf("events = %+v", evs)
	}
	v := o.Version()
	if evs, err := o.RefundReturn(r.ID, "re_1", at); err != nil || evs != nil || o.Version() != v {
		t.Fatalf("repeated refund: %v %v", evs, err)
	}
	if _, err := o.RefundReturn(r.ID, "re_2", at); !errors.Is(err, order.ErrInvalidTransition) {
		t.Fatalf("a second refund of the return: %v", err)
	}
	if _, err := o.RefundReturn("R7", "re_3", at); !errors.Is(err, order.ErrReturnNotFound) {
		t.Fatalf("refund of an unknown return: %v", err)
	}
}

// Units come back at most once however the storage's reservations say otherwise: a reservation that
// returned everything refuses more.
func TestReturnUnitsRefusesMoreThanWasSold(t *testing.T) {
	o := delivered(t)
	stock := stockOf(t, o, inventory.Committed)
	if _, err := stock.ReturnUnits([]inventory.Line{{SKU: "SKU-2", Quantity: 2}}); !errors.Is(err, inventory.ErrReservationState) {
		t.Fatalf("returning 2 of 1 sold: %v", err)
	}
	if _, err := stock.ReturnUnits([]inventory.Line{{SKU: "SKU-9", Quantity: 1}}); err == nil {
		t.Fatal("returned a SKU not on the order")
	}
	if it, _ := stock.Item("SKU-2"); it.Available() != 10 || it.Sold() != 1 {
		t.Fatalf("a refused return moved stock: %d/%d", it.Available(), it.Sold())
	}
}

// A return asked for again under the same idempotency key is the same return; under the same key
// with other lines it is refused, and nothing changes either way.
func TestReturnIdempotencyKey(t *testing.T) {
	o := delivered(t)
	at := t0.Add(time.Hour)
	first, evs, err := o.RequestReturn("k-1", []order.ReturnLine{rl("SKU-1", 1)}, "too small", window, at)
	if err != nil || len(evs) != 1 {
		t.Fatalf("first: %v %v", evs, err)
	}
	v := o.Version()
	again, evs, err := o.RequestReturn("k-1", []order.ReturnLine{rl("SKU-1", 1)}, " too small ", window, at)
	if err != nil || evs != nil || again.ID != first.ID || o.Version() != v || len(o.Returns()) != 1 {
		t.Fatalf("repeat: %+v %v %v (v%d -> v%d)", again, evs, err, v, o.Version())
	}
	if _, _, err := o.RequestReturn("k-1", []order.ReturnLine{rl("SKU-2", 1)}, "too small", window, at); !errors.Is(err, order.ErrReturnKeyReused) {
		t.Fatalf("same key, other lines: %v", err)
	}
	if r, _, err := o.RequestReturn("k-2", []order.ReturnLine{rl("SKU-1", 1)}, "", window, at); err != nil || r.ID != "R2" {
		t.Fatalf("another key: %+v %v", r, err)
	}
	back, err := order.FromSnapshot(o.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	if r, _, err := back.RequestReturn("k-1", []order.ReturnLine{rl("SKU-1", 1)}, "too small", window, at); err != nil || r.ID != "R1" {
		t.Fatalf("the key did not survive the snapshot: %+v %v", r, err)
	}
}

// An order confirmed before Orion captured payments has nothing to refund a return from: no return
// is taken rather than units restocked and money owed with nothing to pay it from.
func TestNoReturnWithoutACapture(t *testing.T) {
	s := delivered(t).Snapshot()
	s.Payment.CaptureID = ""
	o, err := order.FromSnapshot(s)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := o.RequestReturn("", []order.ReturnLine{rl("SKU-1", 1)}, "", window, t0.Add(time.Hour)); !errors.Is(err, order.ErrInvalidTransition) {
		t.Fatalf("err = %v; want ErrInvalidTransition", err)
	}
}

// The partner's receivedAt is kept within the same limits as its other times.
func TestReceivedAt(t *testing.T) {
	now := t0.Add(48 * time.Hour)
	for _, tt := range []struct {
		name string
		at   time.Time
		ok   bool
	}{
		{"the partner's time", now.Add(-time.Hour), true},
		{"now", time.Time{}, true},
		{"in the future", now.Add(order.ClockSkew + time.Second), false},
		{"before the delivery", t0, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := delivered(t)
			r, _, err := o.RequestReturn("", []order.ReturnLine{rl("SKU-1", 1)}, "", window, t0.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			_, err = order.ReceiveReturn(r.ID, tt.at).Apply(o, stockOf(t, o, inventory.Committed), now)
			got, _ := o.FindReturn(r.ID)
			switch {
			case tt.ok && (err != nil || got.Status != order.ReturnReceived):
				t.Fatalf("err = %v, return %+v", err, got)
			case tt.ok && !tt.at.IsZero() && !got.ReceivedAt.Equal(tt.at):
				t.Fatalf("receivedAt = %s; want the partner's %s", got.ReceivedAt, tt.at)
			case !tt.ok && (err == nil || got.Status != order.ReturnRequested):
				t.Fatalf("accepted: %+v", got)
			}
		})
	}
}

// Compensation or recovery that reaches an order a quick warehouse has shipped leaves it alone, as it
// leaves a confirmed one: the order has its outcome.
func TestFinishLeavesAShippedOrderAlone(t *testing.T) {
	for _, st := range []order.Status{order.Confirmed, order.Shipped, order.Delivered} {
		for _, to := range []order.Status{order.Failed, order.Rejected} {
			o := inState(t, st)
			v := o.Version()
			if evs, err := o.Finish(to, order.StepFailed, "card_declined", t0.Add(time.Hour)); err != nil || evs != nil || o.Version() != v || o.Status() != st {
				t.Errorf("Finish(%s) of a %s order: %v %v, now %s", to, st, evs, err, o.Status())
			}
		}
	}
}
