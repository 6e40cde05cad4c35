package query_test

import (
	"context"
	"errors"
	"testing"

	"github.com/orion-oss/orion/internal/query"
)

// catalog fakes CatalogViews: two pages of one item each.
type catalog struct{}

func (catalog) ListCatalog(_ context.Context, limit int32, cursor string) ([]query.CatalogItem, string, error) {
	switch cursor {
	case "":
		return []query.CatalogItem{{SKU: "A"}}, "page-2", nil
	case "page-2":
		return []query.CatalogItem{{SKU: "B"}}, "", nil
	}
	return nil, "", query.ErrBadCursor
}

func TestListInventoryPages(t *testing.T) {
	h := query.NewListInventoryHandler(catalog{})
	var skus []string
	cursor := ""
	for range 3 {
		items, next, err := h.Handle(context.Background(), query.ListInventory{Limit: 1, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			skus = append(skus, it.SKU)
		}
		if cursor = next; cursor == "" {
			break
		}
	}
	if len(skus) != 2 || skus[0] != "A" || skus[1] != "B" {
		t.Fatalf("listed %v", skus)
	}
	if _, _, err := h.Handle(context.Background(), query.ListInventory{Limit: 1, Cursor: "forged"}); !errors.Is(err, query.ErrBadCursor) {
		t.Fatalf("forged cursor: %v", err)
	}
}
