package api

import (
	"context"
	"net/http"
	"time"

	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/query"
	"github.com/orion-oss/orion/internal/validation"
	"github.com/orion-oss/orion/internal/web"
)

// ListOrders is GET /orders?status=&customerId=&createdFrom=&createdTo=&limit=&cursor=: the caller's
// orders, newest first, from the order views. Admins list everyone's, or one customer's with
// customerId; the filters combine (an admin's order search).
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
	q.CreatedFrom = createdBound(&c, params, "createdFrom")
	q.CreatedTo = createdBound(&c, params, "createdTo")
	if c.Err() == nil {
		c.Merge("", query.CheckCreatedRange(q.CreatedFrom, q.CreatedTo))
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

// createdBound reads an RFC 3339 time of ?name= (absent: zero). The views keep creation times to the
// second in their sort key's order, so a bound counts whole seconds: both ends are included.
func createdBound(c *validation.Collector, params map[string]string, name string) time.Time {
	s, ok := params[name]
	if !ok {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil || t.Year() < 2000 || t.Year() > 9999 {
		c.Add(name, "must be an RFC 3339 date-time such as 2026-01-31T23:59:59Z")
		return time.Time{}
	}
	return t.UTC().Truncate(time.Second)
}
