package api

import (
	"context"
	"net/http"

	"github.com/orion-oss/orion/internal/query"
	"github.com/orion-oss/orion/internal/web"
)

// ThresholdReader reads items' low-stock thresholds by SKU (dynamo.Thresholds); an item it does not
// know is left out.
type ThresholdReader interface {
	LowStockThresholds(ctx context.Context, skus []string) (map[string]int64, error)
}

// ListInventory is GET /inventory?limit=&cursor= (public), from the catalog view: availability for
// everyone, the counts and each item's low-stock threshold for admins. The catalog view carries no
// thresholds, so an admin's page reads them from the items (Thresholds: one batch read per page,
// admins only); nil leaves them out.
type ListInventory struct {
	Handler    query.ListInventoryHandler
	Viewers    Viewers
	Thresholds ThresholdReader
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
	if admin && e.Thresholds != nil && len(items) > 0 {
		skus := make([]string, len(items))
		for i, it := range items {
			skus[i] = it.SKU
		}
		th, err := e.Thresholds.LowStockThresholds(ctx, skus)
		if err != nil {
			return web.Response{}, err
		}
		for i := range page.Items {
			if v, ok := th[page.Items[i].SKU]; ok {
				page.Items[i].LowStockThreshold = &v
			}
		}
	}
	if next != "" {
		page.NextCursor = &next
	}
	return web.JSON(http.StatusOK, page, nil), nil
}
