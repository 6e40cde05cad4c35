package command_test

import (
	"context"
	"errors"
	"testing"

	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/validation"
)

func TestRestockInventoryItem(t *testing.T) {
	notFound := func(err error) bool { return errors.Is(err, inventory.ErrNotFound) }
	invalid := func(err error) bool { return errors.As(err, new(validation.Errors)) }
	tests := []struct {
		name      string
		sku       inventory.SKU
		qty       inventory.Quantity
		available inventory.Quantity
		refused   func(error) bool // nil: restocked
	}{
		{name: "restocked", sku: "A", qty: 5, available: 15},
		{name: "no such item", sku: "NOPE", qty: 1, refused: notFound},
		{name: "nothing to add", sku: "A", qty: 0, refused: invalid},
		{name: "above the most an item holds", sku: "A", qty: inventory.MaxQuantity, refused: invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := newItems()
			it, _, _ := inventory.NewItem("A", inventory.Details{Name: "W", Price: usd(t, 100)}, 10, 1)
			repo.m["A"] = it.Snapshot()
			got, err := command.NewRestockInventoryItemHandler(repo).Handle(context.Background(), command.RestockInventoryItem{SKU: tt.sku, Quantity: tt.qty})
			if tt.refused != nil {
				if !tt.refused(err) || len(repo.events) != 0 {
					t.Fatalf("got %v %v, events %v; want a refusal", got, err, repo.events)
				}
				return
			}
			if err != nil || got.Available() != tt.available || len(repo.events) != 1 {
				t.Fatalf("got %v %v, events %v; want %d available", got, err, repo.events, tt.available)
			}
		})
	}
}
