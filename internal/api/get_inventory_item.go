package api

import (
	"context"
	"net/http"

	"github.com/orion-oss/orion/internal/query"
	"github.com/orion-oss/orion/internal/web"
)

// GetInventoryItem is GET /inventory/{sku} (public).
type GetInventoryItem struct {
	Handler query.GetInventoryItemHandler
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
	return web.JSON(http.StatusOK, itemView(it), nil), nil
}
