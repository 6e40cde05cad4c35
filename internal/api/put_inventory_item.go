package api

import (
	"context"
	"net/http"

	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/validation"
	"github.com/orion-oss/orion/internal/web"
)

type putItemRequest struct {
	Name        string       `json:"name"`
	Description string       `json:"description"`
	Price       *money.Money `json:"price"`
	Available   *int64       `json:"available"`
	// LowStockThreshold is optional: below it, admins get a low-stock alert (default 5).
	LowStockThreshold *int64 `json:"lowStockThreshold"`
}

// PutInventoryItem is PUT /inventory/{sku} (admin): 201 when it creates the item, 200 when it revises
// it.
type PutInventoryItem struct {
	Handler command.PutInventoryItemHandler
}

// Serve answers one request.
func (e PutInventoryItem) Serve(ctx context.Context, req web.Request) (web.Response, error) {
	admin, err := web.RequireAdmin(req)
	if err != nil {
		return web.Response{}, err
	}
	sku, err := pathSKU(req)
	if err != nil {
		return web.Response{}, err
	}
	var in putItemRequest
	if err := web.Decode(req, &in); err != nil {
		return web.Response{}, err
	}
	var c validation.Collector
	if in.Price == nil {
		c.Add("price", "is required")
	}
	if in.Available == nil {
		c.Add("available", "is required")
	} else if *in.Available < 0 || *in.Available > int64(inventory.MaxQuantity) {
		c.Add("available", "must be between 0 and %d", inventory.MaxQuantity)
	}
	var threshold *inventory.Quantity
	if in.LowStockThreshold != nil {
		if *in.LowStockThreshold < 0 || *in.LowStockThreshold > int64(inventory.MaxQuantity) {
			c.Add("lowStockThreshold", "must be between 0 and %d", inventory.MaxQuantity)
		}
		q := inventory.Quantity(*in.LowStockThreshold)
		threshold = &q
	}
	if err := c.Err(); err != nil {
		return web.Response{}, err
	}
	it, created, err := e.Handler.Handle(ctx, command.PutInventoryItem{SKU: sku,
		Details:   inventory.Details{Name: in.Name, Description: in.Description, Price: *in.Price},
		Available: inventory.Quantity(*in.Available), LowStockThreshold: threshold, Cause: cause(req), Actor: actor(admin)})
	if err != nil {
		return web.Response{}, err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return web.JSON(status, itemView(it, true), map[string]string{"Location": "/inventory/" + string(sku)}), nil
}
