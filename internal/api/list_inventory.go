package api

import (
	"context"
	"net/http"

	"github.com/orion-oss/orion/internal/query"
	"github.com/orion-oss/orion/internal/web"
)

// ListInventory is GET /inventory?limit=&cursor= (public), from the catalog view: availability for
// everyone, the counts for admins.
type ListInventory struct {
	Handler query.ListInventoryHandler
	Viewers Viewers
}

// Serve answers one request.
func (e ListInventory) Serve(ctx context.Context, req web.Request) (web.Response, error) {
	limit, err := pageLimit(req)
	if err != nil {
		return web.Response{}, err
	}
	items, next, err := e.Handler.Handle(ctx, query.ListInventory{Limit: limit, Cursor: req.QueryStringParameters["cursor"]})
	if err != nil {
		return web.Response{}, listError(err)
	}
	admin := e.Viewers.admin(ctx, req)
	page := Page[ItemView]{Items: make([]ItemView, 0, len(items))}
	for _, it := range items {
		page.Items = append(page.Items, catalogView(it, admin))
	}
	if next != "" {
		page.NextCursor = &next
	}
	return web.JSON(http.StatusOK, page, nil), nil
}
