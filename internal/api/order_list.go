package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/validation"
	"github.com/orion-oss/orion/internal/web"
)

// OrderList serves GET /orders from the query side.
type OrderList struct{ Views *dynamo.Projections }

// Page is a page of a list.
type Page[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"nextCursor"`
}

// List is GET /orders?status=&limit=&cursor=: the caller's orders, newest first. Admins may name a
// customer with customerId.
func (h OrderList) List(ctx context.Context, req web.Request) (web.Response, error) {
	caller, err := web.CallerOf(req)
	if err != nil {
		return web.Response{}, err
	}
	q := req.QueryStringParameters
	var c validation.Collector
	limit, err := pageLimit(req)
	c.Merge("", err)
	status := ""
	if s, ok := q["status"]; ok {
		st, err := order.ParseStatus(s)
		c.Merge("", err)
		status = string(st)
	}
	// A customer lists their own orders; an admin lists everyone's unless a customerId narrows it.
	who := caller.ID
	if caller.Admin {
		who = ""
	}
	if s, ok := q["customerId"]; ok {
		id, err := customer.ParseID(s)
		c.Merge("", err)
		if err == nil && id != caller.ID && !caller.Admin {
			return web.Response{}, web.ErrForbidden
		}
		who = id
	}
	if err := c.Err(); err != nil {
		return web.Response{}, err
	}
	items, next, err := h.Views.ListOrders(ctx, dynamo.ListQuery{CustomerID: string(who), Status: status, Limit: limit, Cursor: q["cursor"]})
	if errors.Is(err, dynamo.ErrBadCursor) {
		return web.Response{}, validation.New("cursor", "is not a cursor of this listing")
	}
	if err != nil {
		return web.Response{}, err
	}
	page := Page[OrderView]{Items: make([]OrderView, 0, len(items))}
	for _, s := range items {
		v := OrderView{OrderID: s.OrderID, CustomerID: s.CustomerID, Status: s.Status, StatusReason: s.StatusReason, Total: s.Total,
			CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt, Items: []LineView{}}
		for _, l := range s.Lines {
			v.Items = append(v.Items, LineView{SKU: l.SKU, Name: l.Name, Quantity: l.Quantity, UnitPrice: l.UnitPrice, LineTotal: l.LineTotal})
		}
		for _, hst := range s.History {
			v.History = append(v.History, HistoryView{Status: hst.Status, Reason: hst.Reason, At: hst.At})
		}
		page.Items = append(page.Items, v)
	}
	if next != "" {
		page.NextCursor = &next
	}
	return web.JSON(http.StatusOK, page, nil), nil
}
