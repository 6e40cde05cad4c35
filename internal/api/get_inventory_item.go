package api

import (
	"context"
	"net/http"

	"github.com/orion-oss/orion/internal/query"
	"github.com/orion-oss/orion/internal/web"
)

// GetInventoryItem is GET /inventory/{sku} (public): availability for everyone, the count for admins.
type GetInventoryItem struct {
	Handler query.GetInventoryItemHandler
	Viewers Viewers
}

// Serve answers one request.
func (e GetInventoryItem) Serve(ctx context.Context, req web.Request) (web.Response, error) {
	sku, err := pathSKU(req)
	if err != nil {
		return web.Response{}, err
	}
	it, err := e.Handler.Handle(ctx, query.GetInventoryItem{SKU: sku})
	if err != nil {
		return web.Response{}, err
	}
	return web.JSON(http.StatusOK, itemView(it, e.Viewers.admin(ctx, req)), nil), nil
}
