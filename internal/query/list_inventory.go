package query

import (
	"context"

	"github.com/orion-oss/orion/internal/money"
)

// CatalogItem is an item as the public catalog lists it, from its view.
type CatalogItem struct {
	SKU, Name, Description string
	Price                  money.Money
	Available              int64
}

// CatalogViews lists catalog items in SKU order: a page and the cursor of the next one ("" at the
// end); ErrBadCursor for a cursor it did not issue.
type CatalogViews interface {
	ListCatalog(ctx context.Context, limit int32, cursor string) ([]CatalogItem, string, error)
}

// ListInventory asks for a page of the catalog (public).
type ListInventory struct {
	Limit  int32
	Cursor string // opaque, from a previous page
}

// ListInventoryHandler answers ListInventory.
type ListInventoryHandler struct{ views CatalogViews }

// NewListInventoryHandler builds the handler.
func NewListInventoryHandler(views CatalogViews) ListInventoryHandler {
	return ListInventoryHandler{views: views}
}

// Handle returns a page of the catalog and the cursor of the next page ("" at the end).
func (h ListInventoryHandler) Handle(ctx context.Context, q ListInventory) ([]CatalogItem, string, error) {
	return h.views.ListCatalog(ctx, q.Limit, q.Cursor)
}
