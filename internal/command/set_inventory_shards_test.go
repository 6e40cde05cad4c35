package command_test

import (
	"context"
	"errors"
	"testing"

	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/validation"
)

// sharder is the items fake with SetShards: the decision only (the rebalance is the adapter's).
type sharder struct{ *items }

func (f sharder) SetShards(ctx context.Context, sku inventory.SKU, cause event.Cause, fn func(*inventory.Item) ([]event.Payload, error)) (*inventory.Item, error) {
	return f.Update(ctx, sku, cause, fn)
}

func TestSetInventoryShards(t *testing.T) {
	notFound := func(err error) bool { return errors.Is(err, inventory.ErrNotFound) }
	invalid := func(err error) bool { return errors.As(err, new(validation.Errors)) }
	tests := []struct {
		name    string
		sku     inventory.SKU
		shards  int
		events  int
		refused func(error) bool // nil: set
	}{
		{name: "sharded", sku: "A", shards: 16, events: 1},
		{name: "a repeat of today's is a no-op", sku: "A", shards: 1, events: 0},
		{name: "no such item", sku: "NOPE", shards: 4, refused: notFound},
		{name: "none", sku: "A", shards: 0, refused: invalid},
		{name: "above the bound", sku: "A", shards: inventory.MaxShards + 1, refused: invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := newItems()
			it, _, _ := inventory.NewItem("A", inventory.Details{Name: "W", Price: usd(t, 100)}, 10, 1)
			repo.m["A"] = it.Snapshot()
			got, err := command.NewSetInventoryShardsHandler(sharder{repo}).Handle(context.Background(),
				command.SetInventoryShards{SKU: tt.sku, Shards: tt.shards, Actor: event.Actor{Sub: "admin-1", Role: "admin"}})
			if tt.refused != nil {
				if !tt.refused(err) || len(repo.events) != 0 {
					t.Fatalf("got %v %v, events %v; want a refusal", got, err, repo.events)
				}
				return
			}
			if err != nil || got.Shards() != tt.shards || got.Available() != 10 || len(repo.events) != tt.events {
				t.Fatalf("got %v %v, events %v", got, err, repo.events)
			}
		})
	}
}
