package command_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/order"
)

// UpdateOnce fakes the once-per-key write: a key seen before changes nothing.
func (f *orders) UpdateOnce(ctx context.Context, id order.ID, key string, cause event.Cause, fn func(*order.Order) ([]event.Payload, error)) (*order.Order, bool, error) {
	f.mu.Lock()
	if _, seen := f.keys["once#"+key]; seen {
		s := f.byID[id]
		f.mu.Unlock()
		o, err := order.FromSnapshot(s)
		return o, false, err
	}
	f.keys["once#"+key] = command.Remembered{}
	f.mu.Unlock()
	o, err := f.Update(ctx, id, cause, fn)
	return o, err == nil, err
}

// UpdateOrderStock fakes the order-and-stock write over f.stock: 10 units of each line's SKU were sold
// to the order (committed), as for a delivered order.
func (f *orders) UpdateOrderStock(ctx context.Context, id order.ID, cause event.Cause, applies func(*order.Order) bool,
	fn func(*order.Order, *inventory.OrderStock) ([]event.Payload, error)) (*order.Order, error) {
	var stock *inventory.OrderStock
	price, _ := money.New(1250, "USD")
	return f.Update(ctx, id, cause, func(o *order.Order) ([]event.Payload, error) {
		if !applies(o) {
			return nil, nil
		}
		var items []*inventory.Item
		var held []inventory.Reservation
		for _, l := range o.StockLines() {
			it, err := inventory.FromSnapshot(inventory.Snapshot{SKU: l.SKU, Name: "Mug", Price: price, Available: 5, Sold: l.Quantity, Version: 1})
			if err != nil {
				return nil, err
			}
			items = append(items, it)
			held = append(held, inventory.Reservation{SKU: l.SKU, OrderID: string(o.ID()), Quantity: l.Quantity, State: inventory.Committed})
		}
		stock = inventory.NewOrderStock(string(o.ID()), o.StockLines(), items, held)
		evs, err := fn(o, stock)
		f.stock = stock
		return evs, err
	})
}

// reached stores an order of ann's that reached st (CONFIRMED, SHIPPED or DELIVERED) the normal way.
func (f *orders) reached(t *testing.T, st order.Status) order.ID {
	t.Helper()
	id := f.add(t, "ann", order.Pending)
	now := time.Now()
	_, err := f.Update(context.Background(), id, event.Cause{}, func(o *order.Order) ([]event.Payload, error) {
		steps := []func() ([]event.Payload, error){
			func() ([]event.Payload, error) { return o.MarkReserved(now) },
			func() ([]event.Payload, error) { return o.AuthorizePayment("pi_1", now) },
			func() ([]event.Payload, error) { return o.CapturePayment("ch_1", now) },
			func() ([]event.Payload, error) { return o.Confirm(now) },
		}
		if st == order.Shipped || st == order.Delivered {
			steps = append(steps, func() ([]event.Payload, error) {
				return o.Ship(order.Shipment{Carrier: "UPS", TrackingNumber: "1Z1"}, now)
			})
		}
		if st == order.Delivered {
			steps = append(steps, func() ([]event.Payload, error) { return o.Deliver(time.Time{}, now) })
		}
		for _, s := range steps {
			if _, err := s(); err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	f.events = nil
	return id
}

var (
	admin   = event.Actor{Sub: "root", Role: event.RoleAdmin}
	partner = event.Actor{Sub: "partner.fulfilment", Role: event.RolePartner}
)

func TestOnlyAdminsAndThePartnerFulfil(t *testing.T) {
	for _, a := range []event.Actor{{}, {Sub: "ann", Role: event.RoleCustomer}, {Role: event.RoleAdmin}} {
		r := newOrders()
		id := r.reached(t, order.Confirmed)
		_, err1 := command.NewShipOrderHandler(r).Handle(context.Background(), command.ShipOrder{OrderID: id,
			Shipment: order.Shipment{Carrier: "UPS", TrackingNumber: "1Z1"}, Actor: a})
		_, err2 := command.NewDeliverOrderHandler(r).Handle(context.Background(), command.DeliverOrder{OrderID: id, Actor: a})
		_, err3 := command.NewReceiveReturnHandler(r).Handle(context.Background(), command.ReceiveReturn{OrderID: id, ReturnID: "R1", Actor: a})
		for _, err := range []error{err1, err2, err3} {
			if !errors.Is(err, command.ErrNotFulfiller) {
				t.Errorf("actor %+v: err = %v; want ErrNotFulfiller", a, err)
			}
		}
		if len(r.events) != 0 {
			t.Errorf("actor %+v changed the order: %v", a, r.events)
		}
	}
}

// An inbound event's key makes its change happen once, even when the domain would take it again with
// other values; without a key, the domain's own no-op rules apply.
func TestShipOncePerKey(t *testing.T) {
	r := newOrders()
	id := r.reached(t, order.Confirmed)
	h := command.NewShipOrderHandler(r)
	cmd := command.ShipOrder{OrderID: id, Shipment: order.Shipment{Carrier: "UPS", TrackingNumber: "1Z1"}, Actor: partner, Key: "evt-1"}
	for range 2 {
		o, err := h.Handle(context.Background(), cmd)
		if err != nil || o.Status() != order.Shipped {
			t.Fatalf("ship: %v, %v", o, err)
		}
	}
	if len(r.events) != 1 {
		t.Fatalf("events = %v; want one OrderShipped", r.events)
	}
	e, ok := r.events[0].(event.OrderShipped)
	if !ok || e.Actor == nil || *e.Actor != partner {
		t.Fatalf("event = %+v; want OrderShipped by the partner", r.events[0])
	}
	cmd.Key, cmd.Shipment.TrackingNumber = "evt-2", "OTHER"
	if _, err := h.Handle(context.Background(), cmd); !errors.Is(err, order.ErrInvalidTransition) {
		t.Fatalf("another shipment under a new key: %v", err)
	}
}

func TestDeliverThenReturnThenReceive(t *testing.T) {
	r := newOrders()
	id := r.reached(t, order.Shipped)
	ctx := context.Background()
	if _, err := command.NewDeliverOrderHandler(r).Handle(ctx, command.DeliverOrder{OrderID: id, Actor: admin}); err != nil {
		t.Fatal(err)
	}
	ret := command.NewRequestReturnHandler(r, 0)
	if _, _, err := ret.Handle(ctx, command.RequestReturn{OrderID: id, Caller: "bob", Lines: []order.ReturnLine{{SKU: "MUG-1", Quantity: 1}}}); !errors.Is(err, order.ErrNotFound) {
		t.Fatalf("another customer's return: %v", err)
	}
	o, made, err := ret.Handle(ctx, command.RequestReturn{OrderID: id, Caller: "ann", Lines: []order.ReturnLine{{SKU: "MUG-1", Quantity: 1}}, Reason: "chipped"})
	if err != nil || made.ID != "R1" || made.Status != order.ReturnRequested || len(o.Returns()) != 1 {
		t.Fatalf("return: %+v %v", made, err)
	}
	if e, ok := r.events[len(r.events)-1].(event.OrderReturnRequested); !ok || e.Actor == nil || e.Actor.Role != event.RoleCustomer {
		t.Fatalf("last event = %+v; want OrderReturnRequested by the customer", r.events[len(r.events)-1])
	}
	recv := command.NewReceiveReturnHandler(r)
	if _, err := recv.Handle(ctx, command.ReceiveReturn{OrderID: id, ReturnID: "R2", Actor: admin}); !errors.Is(err, order.ErrReturnNotFound) {
		t.Fatalf("receive an unknown return: %v", err)
	}
	for range 2 {
		o, err = recv.Handle(ctx, command.ReceiveReturn{OrderID: id, ReturnID: "R1", Actor: partner})
		if err != nil {
			t.Fatal(err)
		}
	}
	if rt, _ := o.FindReturn("R1"); rt.Status != order.ReturnReceived {
		t.Fatalf("return = %+v; want RECEIVED", rt)
	}
	var received int
	for _, e := range r.events {
		if _, ok := e.(event.OrderReturnReceived); ok {
			received++
		}
	}
	if received != 1 {
		t.Fatalf("%d OrderReturnReceived; want 1 for two receipts", received)
	}
	if it, _ := r.stock.Item("MUG-1"); it.Available() != 6 {
		t.Fatalf("available after receipt = %d; want 6", it.Available())
	}
}
