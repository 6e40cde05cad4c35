package api

import (
	"context"
	"net/http"

	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/query"
	"github.com/orion-oss/orion/internal/validation"
	"github.com/orion-oss/orion/internal/web"
)

// ListOrders is GET /orders?status=&limit=&cursor=&customerId=: the caller's orders, newest first, from
// the order views. Admins list everyone's, or one customer's with customerId.
type ListOrders struct {
	Handler query.ListOrdersHandler
}

// Serve answers one request.
func (e ListOrders) Serve(ctx context.Context, req web.Request) (web.Response, error) {
	caller, err := web.CallerOf(req)
	if err != nil {
		return web.Response{}, err
	}
	params := req.QueryStringParameters
	q := query.ListOrders{Caller: caller.ID, Admin: caller.Admin, Cursor: params["cursor"]}
	var c validation.Collector
	q.Limit, err = pageLimit(req)
	c.Merge("", err)
	if s, ok := params["status"]; ok {
		q.Status, err = order.ParseStatus(s)
		c.Merge("", err)
	}
	if s, ok := params["customerId"]; ok {
		q.Customer, err = customer.ParseID(s)
		c.Merge("", err)
	}
	// Whose orders comes first: a customer naming another is refused before any field is judged.
	if q.Forbidden() {
		return web.Response{}, web.ErrForbidden
	}
	if err := c.Err(); err != nil {
		return web.Response{}, err
	}
	items, next, err := e.Handler.Handle(ctx, q)
	if err != nil {
		return web.Response{}, listError(err)
	}
	page := Page[OrderView]{Items: make([]OrderView, 0, len(items))}
	for _, s := range items {
		page.Items = append(page.Items, summaryView(s))
	}
	if next != "" {
		page.NextCursor = &next
	}
	return web.JSON(http.StatusOK, page, nil), nil
}
