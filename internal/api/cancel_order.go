package api

import (
	"context"
	"net/http"

	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/web"
)

// CancelOrder is POST /orders/{orderId}/cancel: 202 while the order is open or CONFIRMED, 409 once
// final; another customer's order is a 404. The body is ignored.
type CancelOrder struct {
	Handler command.CancelOrderHandler
}

// Serve answers one request.
func (e CancelOrder) Serve(ctx context.Context, req web.Request) (web.Response, error) {
	caller, err := web.CallerOf(req)
	if err != nil {
		return web.Response{}, err
	}
	id, err := pathOrderID(req)
	if err != nil {
		return web.Response{}, err
	}
	o, err := e.Handler.Handle(ctx, command.CancelOrder{OrderID: id, Caller: caller.ID, Admin: caller.Admin, Cause: cause(req)})
	if err != nil {
		return web.Response{}, err
	}
	return web.JSON(http.StatusAccepted, orderView(o), nil), nil
}
