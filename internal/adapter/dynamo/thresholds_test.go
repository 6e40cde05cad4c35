package dynamo_test

import (
	"context"
	"maps"
	"testing"

	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/money"
)

// The thresholds are read from the items the repository writes; a SKU without an item is left out.
func TestLowStockThresholdsOfItems(t *testing.T) {
	ctx := context.Background()
	db, tables := newTables(t)
	repo := dynamo.NewInventoryRepository(db, tables)
	price, _ := money.New(100, "USD")
	for sku, th := range map[inventory.SKU]inventory.Quantity{"SKU-1": 7, "SKU-2": 0} {
		it, evs, err := inventory.NewItem(sku, inventory.Details{Name: "W", Price: price}, 3, th)
		if err != nil {
			t.Fatal(err)
		}
		if err := repo.Create(ctx, it, evs, event.Cause{CorrelationID: "c"}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := dynamo.NewThresholds(db, tables).LowStockThresholds(ctx, []string{"SKU-1", "SKU-2", "SKU-3", "SKU-1"})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]int64{"SKU-1": 7, "SKU-2": 0}; !maps.Equal(got, want) {
		t.Fatalf("thresholds %v; want %v", got, want)
	}
}
