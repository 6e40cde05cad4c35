package api

import (
	"context"
	"net/http"

	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/web"
)

// CancelOrder is POST /orders/{orderId}/cancel: 202 while the order is open or CONFIRMED, 409 once
// final; another customer's order is a 404. The body is ignored.
func CancelOrder(h command.CancelOrderHandler) web.HandlerFunc {
	return func(ctx context.Context, req web.Request) (web.Response, error) {
		caller, err := web.CallerOf(req)
		if err != nil {
			return web.Response{}, err
		}
		id, err := pathOrderID(req)
		if err != nil {
			return web.Response{}, err
		}
		o, err := h.Handle(ctx, command.CancelOrder{OrderID: id, Caller: caller.ID, Admin: caller.Admin, Cause: cause(req)})
		if err != nil {
			return web.Response{}, err
		}
		return web.JSON(http.StatusAccepted, orderView(o), nil), nil
	}
}
