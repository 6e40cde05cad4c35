// Package api holds the HTTP endpoints: each decodes and validates its request, calls a domain service
// and encodes the answer. Plumbing (decoding, problems, the caller) is in internal/web.
package api

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/validation"
	"github.com/orion-oss/orion/internal/web"
)

// ItemView is an item as the API shows it: what a shopper needs, not the internal counters.
type ItemView struct {
	SKU         string      `json:"sku"`
	Name        string      `json:"name"`
	Description string      `json:"description"`
	Price       money.Money `json:"price"`
	Available   int64       `json:"available"`
}

func itemView(it *inventory.Item) ItemView {
	return ItemView{SKU: string(it.SKU()), Name: it.Name(), Description: it.Description(), Price: it.Price(), Available: int64(it.Available())}
}

func pathSKU(req web.Request) (inventory.SKU, error) {
	raw, err := url.PathUnescape(req.PathParameters["sku"])
	if err != nil {
		return "", validation.New("sku", "is not a valid path segment")
	}
	return inventory.ParseSKU(raw)
}

func cause(req web.Request) event.Cause {
	return event.Cause{CorrelationID: web.CorrelationID(req), CausationID: req.RequestContext.RequestID}
}

// Inventory serves the inventory endpoints.
type Inventory struct {
	Service *inventory.Service
	Lister  Lister
}

// Lister pages through the catalog view.
type Lister interface {
	ListCatalog(ctx context.Context, limit int32, cursor string) ([]dynamo.CatalogItem, string, error)
}

// List is GET /inventory?limit=&cursor= (public).
func (h Inventory) List(ctx context.Context, req web.Request) (web.Response, error) {
	limit, err := pageLimit(req)
	if err != nil {
		return web.Response{}, err
	}
	items, next, err := h.Lister.ListCatalog(ctx, limit, req.QueryStringParameters["cursor"])
	if errors.Is(err, dynamo.ErrBadCursor) {
		return web.Response{}, validation.New("cursor", "is not a cursor of this listing")
	}
	if err != nil {
		return web.Response{}, err
	}
	page := Page[ItemView]{Items: make([]ItemView, 0, len(items))}
	for _, it := range items {
		page.Items = append(page.Items, ItemView{SKU: it.SKU, Name: it.Name, Description: it.Description, Price: it.Price, Available: it.Available})
	}
	if next != "" {
		page.NextCursor = &next
	}
	return web.JSON(http.StatusOK, page, nil), nil
}

// pageLimit reads ?limit= (1-100, default 20).
func pageLimit(req web.Request) (int32, error) {
	s, ok := req.QueryStringParameters["limit"]
	if !ok {
		return 20, nil
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil || n < 1 || n > 100 {
		return 0, validation.New("limit", "must be an integer from 1 to 100")
	}
	return int32(n), nil
}

// GetItem is GET /inventory/{sku} (public).
func (h Inventory) GetItem(ctx context.Context, req web.Request) (web.Response, error) {
	sku, err := pathSKU(req)
	if err != nil {
		return web.Response{}, err
	}
	it, err := h.Service.Get(ctx, sku)
	if err != nil {
		return web.Response{}, err
	}
	return web.JSON(http.StatusOK, itemView(it), nil), nil
}

type putItemRequest struct {
	Name        string       `json:"name"`
	Description string       `json:"description"`
	Price       *money.Money `json:"price"`
	Available   *int64       `json:"available"`
	// LowStockThreshold is optional: below it, admins get a low-stock alert (default 5).
	LowStockThreshold *int64 `json:"lowStockThreshold"`
}

// PutItem is PUT /inventory/{sku} (admin): 201 when it creates the item, 200 when it revises it.
func (h Inventory) PutItem(ctx context.Context, req web.Request) (web.Response, error) {
	if _, err := web.RequireAdmin(req); err != nil {
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
	it, created, err := h.Service.Upsert(ctx, cause(req), sku, inventory.Details{Name: in.Name, Description: in.Description, Price: *in.Price},
		inventory.Quantity(*in.Available), threshold)
	if err != nil {
		return web.Response{}, err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return web.JSON(status, itemView(it), map[string]string{"Location": "/inventory/" + string(sku)}), nil
}

type restockRequest struct {
	Quantity *int64 `json:"quantity"`
}

// Restock is POST /inventory/{sku}/restock (admin).
func (h Inventory) Restock(ctx context.Context, req web.Request) (web.Response, error) {
	if _, err := web.RequireAdmin(req); err != nil {
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
	it, err := h.Service.Restock(ctx, cause(req), sku, inventory.Quantity(*in.Quantity))
	if err != nil {
		return web.Response{}, err
	}
	return web.JSON(http.StatusOK, itemView(it), nil), nil
}
