package dynamo_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/money"
)

// A sharded SKU's catalog view is one record per shard, each following its shard's version, summed
// when the catalog is listed, across pages of any size; a removed shard stops counting.
func TestCatalogViewSumsAShardedSKUsShards(t *testing.T) {
	ctx := context.Background()
	price, _ := money.New(900, "USD")
	t0 := time.Now()
	avail := func(n int64) *int64 { return &n }
	ref := event.OrderRef{OrderID: "01JDQ7Z3M6X9V0YB2C4D5E6F7G", CustomerID: "cust-1", Status: "RESERVED", OrderVersion: 2}
	shards := []event.ShardStock{{Shard: 0, Available: 3, Version: 10}, {Shard: 1, Available: 4, Version: 2}, {Shard: 2, Available: 5, Version: 2}}
	deliveries := []event.Envelope{
		env(t, "a", event.InventoryUpdated{SKU: "A-1", Name: "A", Price: price, Available: 5, ItemVersion: 1}, t0),
		env(t, "b", event.InventoryUpdated{SKU: "B-1", Name: "B", Price: price, Available: 12, ItemVersion: 10, Shards: shards}, t0),
		env(t, "b10", event.InventoryUpdated{SKU: "B-10", Name: "B10", Price: price, Available: 7, ItemVersion: 1}, t0),
		env(t, "c", event.InventoryUpdated{SKU: "C-1", Name: "C", Price: price, Available: 2, ItemVersion: 1}, t0),
		// Shard 1 sells one unit, then a stale figure of it arrives: the view keeps the newest.
		env(t, "r", event.InventoryReserved{OrderRef: ref, Lines: []event.StockLine{{SKU: "B-1", Quantity: 1, Shards: []event.ShardStock{{Shard: 1, Available: 3, Version: 3}}}}}, t0),
		env(t, "old", event.InventoryReserved{OrderRef: ref, Lines: []event.StockLine{{SKU: "B-1", Quantity: 1, Shards: []event.ShardStock{{Shard: 1, Available: 9, Version: 2}}}}}, t0),
		// An unsharded SKU's line as before.
		env(t, "a2", event.InventoryReserved{OrderRef: ref, Lines: []event.StockLine{{SKU: "A-1", Quantity: 1, Available: avail(4), ItemVersion: 2}}}, t0),
	}
	p := projections(t)
	for _, e := range deliveries {
		for range 2 { // at-least-once
			if _, err := p.Apply(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := "[A-1:4 B-1:11 B-10:7 C-1:2]"
	list := func(limit int32) string {
		var got []string
		cursor := ""
		for range 10 {
			items, next, err := p.ListCatalog(ctx, limit, cursor)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range items {
				got = append(got, fmt.Sprintf("%s:%d", it.SKU, it.Available))
			}
			if cursor = next; cursor == "" {
				break
			}
		}
		return fmt.Sprint(got)
	}
	for _, limit := range []int32{1, 2, 3, 10} {
		if got := list(limit); got != want {
			t.Fatalf("limit %d: catalog %s, want %s", limit, got, want)
		}
	}
	// Shard 2 drained and removed: the item's next description counts shards 0 and 1 only.
	shards = []event.ShardStock{{Shard: 0, Available: 8, Version: 12}, {Shard: 1, Available: 3, Version: 3}}
	if _, err := p.Apply(ctx, env(t, "b2", event.InventoryUpdated{SKU: "B-1", Name: "B", Price: price, Available: 11, ItemVersion: 12, Shards: shards}, t0)); err != nil {
		t.Fatal(err)
	}
	if got := list(10); got != "[A-1:4 B-1:11 B-10:7 C-1:2]" {
		t.Fatalf("after removing a shard: %s", got)
	}
}
