package api

import (
	"context"
	"net/http"

	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/validation"
	"github.com/orion-oss/orion/internal/web"
)

type restockRequest struct {
	Quantity *int64 `json:"quantity"`
}

// RestockInventoryItem is POST /inventory/{sku}/restock (admin).
type RestockInventoryItem struct {
	Handler command.RestockInventoryItemHandler
}

// Serve answers one request.
func (e RestockInventoryItem) Serve(ctx context.Context, req web.Request) (web.Response, error) {
	admin, err := web.RequireAdmin(req)
	if err != nil {
		return web.Response{}, err
	}
	sku, err := pathSKU(req)
	if err != nil {
		return web.Response{}, err
	}
	var in restockRequest
	if err := web.Decode(req, &in); err != nil {
		return web.Response{}, err
	}
	if in.Quantity == nil || *in.Quantity <= 0 || *in.Quantity > int64(inventory.MaxQuantity) {
		return web.Response{}, validation.New("quantity", "must be between 1 and %d", inventory.MaxQuantity)
	}
	it, err := e.Handler.Handle(ctx, command.RestockInventoryItem{SKU: sku, Quantity: inventory.Quantity(*in.Quantity), Cause: cause(req), Actor: actor(admin)})
	if err != nil {
		return web.Response{}, err
	}
	return web.JSON(http.StatusOK, itemView(it, true), nil), nil
}
