package saga_test

import (
	"context"
	"errors"
	"testing"

	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/saga"
)

// An order's whole life after confirmation against the emulator: shipped and delivered through the
// commands over the real store, two units returned and received (back on sale once, however often the
// receipt is repeated), refunded once however often the refund step runs, and stock and money add up.
func TestReturnIsReceivedAndRefundedOnce(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.item("R-1", 10)
	in := w.place("R-1", 3, "tok_visa")
	w.do("reserve", w.steps.Reserve, in)
	w.do("authorize", w.steps.Authorize, in)
	w.do("capture", w.steps.Capture, in)
	w.do("confirm", w.steps.Confirm, in)
	id := order.ID(in.OrderID)
	partner := event.Actor{Sub: "partner.fulfilment", Role: event.RolePartner}

	if _, err := command.NewShipOrderHandler(w.store).Handle(ctx, command.ShipOrder{OrderID: id,
		Shipment: order.Shipment{Carrier: "DHL", TrackingNumber: "JD0001"}, Actor: partner, Key: "wh-1", Cause: cause}); err != nil {
		t.Fatal(err)
	}
	// The same partner event again: its key was recorded with the change.
	if _, err := command.NewShipOrderHandler(w.store).Handle(ctx, command.ShipOrder{OrderID: id,
		Shipment: order.Shipment{Carrier: "DHL", TrackingNumber: "JD0001"}, Actor: partner, Key: "wh-1", Cause: cause}); err != nil {
		t.Fatal(err)
	}
	// A saga step repeated after a quick warehouse shipped (its answer was lost, Step Functions retries)
	// finds a success, not an unexpected status that would send the run into compensation.
	for name, step := range map[string]saga.Step{"reserve": w.steps.Reserve, "authorize": w.steps.Authorize,
		"capture": w.steps.Capture, "confirm": w.steps.Confirm} {
		if r, err := step(ctx, in); err != nil || r.Status != "SHIPPED" {
			t.Fatalf("%s repeated on a shipped order: %+v, %v", name, r, err)
		}
	}
	if _, err := command.NewDeliverOrderHandler(w.store).Handle(ctx, command.DeliverOrder{OrderID: id, Actor: partner, Key: "wh-2", Cause: cause}); err != nil {
		t.Fatal(err)
	}
	// Before anything is received, a refund step has nothing to do, and stock is as sold.
	if _, _, err := command.NewRequestReturnHandler(w.store, 0).Handle(ctx, command.RequestReturn{OrderID: id, Caller: "cust-1", Cause: cause,
		Lines: []order.ReturnLine{{SKU: "R-1", Quantity: 2}}}); err != nil {
		t.Fatal(err)
	}
	refund := in
	refund.ReturnID = "R1"
	w.do("refund before receipt", w.steps.RefundReturn, refund)
	if a, _, s := w.stock("R-1", 10); a != 7 || s != 3 {
		t.Fatalf("before receipt: available %d sold %d; want 7 and 3", a, s)
	}
	if rt, _ := w.order(in).FindReturn("R1"); rt.Status != order.ReturnRequested {
		t.Fatalf("refund step moved a return not received: %+v", rt)
	}

	recv := command.NewReceiveReturnHandler(w.store)
	for range 2 {
		if _, err := recv.Handle(ctx, command.ReceiveReturn{OrderID: id, ReturnID: "R1", Actor: partner, Cause: cause}); err != nil {
			t.Fatal(err)
		}
	}
	if a, r, s := w.stock("R-1", 10); a != 9 || r != 0 || s != 1 {
		t.Fatalf("after receipt: available %d reserved %d sold %d; want 9, 0, 1", a, r, s)
	}
	w.do("refund", w.steps.RefundReturn, refund)
	o := w.order(in)
	rt, _ := o.FindReturn("R1")
	if rt.Status != order.ReturnRefunded || rt.RefundID == "" || rt.Amount.Amount() != 2500 {
		t.Fatalf("return = %+v; want REFUNDED 2500", rt)
	}
	if o.Status() != order.Delivered || o.Shipment() == nil || o.Shipment().TrackingNumber != "JD0001" || o.DeliveredAt().IsZero() {
		t.Fatalf("order = %s %+v delivered %s", o.Status(), o.Shipment(), o.DeliveredAt())
	}
	got := w.events(in)
	want := sorted("OrderPlaced", "InventoryReserved", "PaymentAuthorized", "PaymentCaptured", "InventoryCommitted", "OrderConfirmed",
		"OrderShipped", "OrderDelivered", "OrderReturnRequested", "OrderReturnReceived", "InventoryReturned", "PaymentRefunded")
	if len(got) != len(want) {
		t.Fatalf("events = %v; want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("events = %v; want %v", got, want)
		}
	}
	refunded := w.event(in, "PaymentRefunded")
	p, err := refunded.Payload()
	if err != nil {
		t.Fatal(err)
	}
	if e := p.(*event.PaymentRefunded); e.Amount.Amount() != 2500 || e.ReturnID != "R1" {
		t.Fatalf("PaymentRefunded = %+v", e)
	}
	// The last unit can still be returned; more cannot.
	if _, _, err := command.NewRequestReturnHandler(w.store, 0).Handle(ctx, command.RequestReturn{OrderID: id, Caller: "cust-1", Cause: cause,
		Lines: []order.ReturnLine{{SKU: "R-1", Quantity: 2}}}); err == nil {
		t.Fatal("returned more units than are left")
	}
	unknown := in
	unknown.ReturnID = "R5"
	if _, err := w.steps.RefundReturn(ctx, unknown); !errors.As(err, new(*saga.InvalidInput)) {
		t.Fatalf("refund of an unknown return: %v", err)
	}
}

// A cancellation and a shipment of the same confirmed order racing each other: exactly one wins,
// whichever writes first, and the other is refused (ADR 0018). Both are conditional on the version.
func TestShipAndCancelExcludeEachOther(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.item("RACE-1", 50)
	admin := event.Actor{Sub: "root", Role: event.RoleAdmin}
	for i := range 6 {
		in := w.place("RACE-1", 1, "tok_visa")
		w.do("reserve", w.steps.Reserve, in)
		w.do("authorize", w.steps.Authorize, in)
		w.do("capture", w.steps.Capture, in)
		w.do("confirm", w.steps.Confirm, in)
		id := order.ID(in.OrderID)
		var shipErr, cancelErr error
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, shipErr = command.NewShipOrderHandler(w.store).Handle(ctx, command.ShipOrder{OrderID: id, Actor: admin, Cause: cause,
				Shipment: order.Shipment{Carrier: "DHL", TrackingNumber: "RACE1"}})
		}()
		_, cancelErr = command.NewCancelOrderHandler(w.orders).Handle(ctx, command.CancelOrder{OrderID: id, Caller: "cust-1", Cause: cause})
		<-done
		o := w.order(in)
		switch {
		case shipErr == nil && errors.Is(cancelErr, order.ErrShipped):
			if o.Status() != order.Shipped || o.Cancellation() != nil {
				t.Fatalf("round %d: shipment won but the order is %s, cancellation %+v", i, o.Status(), o.Cancellation())
			}
		case cancelErr == nil && errors.Is(shipErr, order.ErrCancellationRequested):
			if o.Status() != order.Confirmed || o.Cancellation() == nil || o.Shipment() != nil {
				t.Fatalf("round %d: cancellation won but the order is %s, shipment %+v", i, o.Status(), o.Shipment())
			}
		default:
			t.Fatalf("round %d: ship %v, cancel %v: want exactly one refused", i, shipErr, cancelErr)
		}
	}
}
