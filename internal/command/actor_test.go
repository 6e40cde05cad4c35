package command_test

import (
	"context"
	"testing"

	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/order"
)

// actorOf is the actor an action's event records (nil: none).
func actorOf(t *testing.T, p event.Payload) *event.Actor {
	t.Helper()
	switch e := p.(type) {
	case event.InventoryUpdated:
		return e.Actor
	case event.OrderCancellationRequested:
		return e.Actor
	case event.OrderCancelled:
		return e.Actor
	}
	t.Fatalf("%s records no actor", p.EventType())
	return nil
}

// Every admin action's event says who did it: creating, revising and restocking an item, and
// cancelling someone else's order; a customer cancelling their own order is recorded as the customer.
func TestActionsRecordTheirActor(t *testing.T) {
	ctx := context.Background()
	admin := event.Actor{Sub: "0b7e-admin", Role: event.RoleAdmin}
	d := inventory.Details{Name: "Widget", Price: usd(t, 100)}
	cancel := func(caller customer.ID, isAdmin bool) func(t *testing.T) []event.Payload {
		return func(t *testing.T) []event.Payload {
			r := newOrders()
			id := r.add(t, "ann", order.Reserved)
			if _, err := command.NewCancelOrderHandler(r).Handle(ctx, command.CancelOrder{OrderID: id, Caller: caller, Admin: isAdmin}); err != nil {
				t.Fatal(err)
			}
			return r.events
		}
	}
	tests := []struct {
		name string
		act  func(t *testing.T) []event.Payload
		want event.Actor
	}{
		{"create an item", func(t *testing.T) []event.Payload {
			repo := newItems()
			if _, _, err := command.NewPutInventoryItemHandler(repo).Handle(ctx, command.PutInventoryItem{SKU: "A", Details: d, Available: 10, Actor: admin}); err != nil {
				t.Fatal(err)
			}
			return repo.events
		}, admin},
		{"revise an item", func(t *testing.T) []event.Payload {
			repo := newItems()
			it, _, _ := inventory.NewItem("A", d, 10, 1)
			repo.m["A"] = it.Snapshot()
			if _, _, err := command.NewPutInventoryItemHandler(repo).Handle(ctx, command.PutInventoryItem{SKU: "A", Details: d, Available: 3, Actor: admin}); err != nil {
				t.Fatal(err)
			}
			return repo.events
		}, admin},
		{"restock", func(t *testing.T) []event.Payload {
			repo := newItems()
			it, _, _ := inventory.NewItem("A", d, 10, 1)
			repo.m["A"] = it.Snapshot()
			if _, err := command.NewRestockInventoryItemHandler(repo).Handle(ctx, command.RestockInventoryItem{SKU: "A", Quantity: 5, Actor: admin}); err != nil {
				t.Fatal(err)
			}
			return repo.events
		}, admin},
		{"an admin cancels another's order", cancel("0b7e-admin", true), admin},
		{"the owner cancels", cancel("ann", false), event.Actor{Sub: "ann", Role: event.RoleCustomer}},
		{"an admin cancels their own order", cancel("ann", true), event.Actor{Sub: "ann", Role: event.RoleCustomer}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs := tt.act(t)
			if len(evs) != 1 {
				t.Fatalf("events %v; want the action's one event", evs)
			}
			if got := actorOf(t, evs[0]); got == nil || *got != tt.want {
				t.Fatalf("%s actor = %v; want %v", evs[0].EventType(), got, tt.want)
			}
		})
	}
}
