package api

import (
	"context"
	"net/http"

	"github.com/orion-oss/orion/internal/query"
	"github.com/orion-oss/orion/internal/web"
)

// GetOrder is GET /orders/{orderId}: the owner's or, for admins, any order; others get 404.
type GetOrder struct {
	Handler query.GetOrderHandler
}

// Serve answers one request.
func (e GetOrder) Serve(ctx context.Context, req web.Request) (web.Response, error) {
	caller, err := web.CallerOf(req)
	if err != nil {
		return web.Response{}, err
	}
	id, err := pathOrderID(req)
	if err != nil {
		return web.Response{}, err
	}
	o, err := e.Handler.Handle(ctx, query.GetOrder{OrderID: id, Caller: caller.ID, Admin: caller.Admin})
	if err != nil {
		return web.Response{}, err
	}
	return web.JSON(http.StatusOK, orderView(o), nil), nil
}
