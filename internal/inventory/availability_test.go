package inventory_test

import (
	"testing"

	"github.com/orion-oss/orion/internal/inventory"
)

func TestAvailabilityOf(t *testing.T) {
	low := int64(inventory.PublicLowStock)
	for _, tc := range []struct {
		available int64
		want      inventory.Availability
	}{
		{-1, inventory.OutOfStock}, // cannot happen; never shown as in stock all the same
		{0, inventory.OutOfStock},
		{1, inventory.Low},
		{low - 1, inventory.Low},
		{low, inventory.InStock},
		{low + 1, inventory.InStock},
		{int64(inventory.MaxQuantity), inventory.InStock},
	} {
		if got := inventory.AvailabilityOf(tc.available); got != tc.want {
			t.Errorf("AvailabilityOf(%d) = %s; want %s", tc.available, got, tc.want)
		}
	}
}

func TestItemAvailabilityFollowsStock(t *testing.T) {
	it := newItem(t, inventory.PublicLowStock)
	if got := it.Availability(); got != inventory.InStock {
		t.Fatalf("at %d: %s; want IN_STOCK", it.Available(), got)
	}
	if _, err := it.SetAvailable(1); err != nil {
		t.Fatal(err)
	}
	if got := it.Availability(); got != inventory.Low {
		t.Fatalf("at 1: %s; want LOW", got)
	}
	if _, err := it.SetAvailable(0); err != nil {
		t.Fatal(err)
	}
	if got := it.Availability(); got != inventory.OutOfStock {
		t.Fatalf("at 0: %s; want OUT_OF_STOCK", got)
	}
}
