package command_test

import (
	"context"
	"testing"

	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
)

func TestPutInventoryItem(t *testing.T) {
	ctx := context.Background()
	repo := newItems()
	h := command.NewPutInventoryItemHandler(repo)
	d := inventory.Details{Name: "Widget", Price: usd(t, 100)}
	it, created, err := h.Handle(ctx, command.PutInventoryItem{SKU: "A", Details: d, Available: 10})
	if err != nil || !created || it.Available() != 10 || it.LowStockThreshold() != inventory.DefaultLowStockThreshold {
		t.Fatalf("first put: %v %v %v", it, created, err)
	}
	d.Name = "Widget v2"
	it, created, err = h.Handle(ctx, command.PutInventoryItem{SKU: "A", Details: d, Available: 2})
	if err != nil || created || it.Name() != "Widget v2" || it.Available() != 2 {
		t.Fatalf("second put: %v %v %v", it, created, err)
	}
	var updated, low int
	for _, e := range repo.events {
		switch e.(type) {
		case event.InventoryUpdated:
			updated++
		case event.InventoryLow:
			low++
		}
	}
	if updated != 2 || low != 1 {
		t.Fatalf("events: %d updated, %d low; want one InventoryUpdated per put and the low-stock crossing", updated, low)
	}
	threshold := inventory.Quantity(0)
	it, created, err = h.Handle(ctx, command.PutInventoryItem{SKU: "B", Details: d, Available: 1, LowStockThreshold: &threshold})
	if err != nil || !created || it.LowStockThreshold() != 0 {
		t.Fatalf("put with a threshold: %v %v %v", it, created, err)
	}
}

func TestPutInventoryItemLosesTheCreateRace(t *testing.T) {
	repo := newItems()
	repo.raceOnce = true
	it, created, err := command.NewPutInventoryItemHandler(repo).Handle(context.Background(),
		command.PutInventoryItem{SKU: "B", Details: inventory.Details{Name: "Mine", Price: usd(t, 5)}, Available: 3})
	if err != nil || created || it.Name() != "Mine" || it.Available() != 3 {
		t.Fatalf("after a lost create race: %v created=%v %v; want the other item revised to ours", it, created, err)
	}
}
