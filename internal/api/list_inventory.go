package api

import (
	"context"
	"net/http"

	"github.com/orion-oss/orion/internal/query"
	"github.com/orion-oss/orion/internal/web"
)

// ListInventory is GET /inventory?limit=&cursor= (public), from the catalog view.
func ListInventory(h query.ListInventoryHandler) web.HandlerFunc {
	return func(ctx context.Context, req web.Request) (web.Response, error) {
		limit, err := pageLimit(req)
		if err != nil {
			return web.Response{}, err
		}
		items, next, err := h.Handle(ctx, query.ListInventory{Limit: limit, Cursor: req.QueryStringParameters["cursor"]})
		if err != nil {
			return web.Response{}, listError(err)
		}
		page := Page[ItemView]{Items: make([]ItemView, 0, len(items))}
		for _, it := range items {
			page.Items = append(page.Items, catalogView(it))
		}
		if next != "" {
			page.NextCursor = &next
		}
		return web.JSON(http.StatusOK, page, nil), nil
	}
}
