package api

import (
	"context"
	"net/http"

	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/validation"
	"github.com/orion-oss/orion/internal/web"
)

// ReceiveReturn is POST /orders/{orderId}/returns/{returnId}/receive (admin): the warehouse received a
// return's units. They go back on sale and the return becomes RECEIVED in one transaction; the refund
// follows from its event. 200 with the order; again is a no-op; a return the order does not have is 404.
type ReceiveReturn struct {
	Handler command.ReceiveReturnHandler
}

// Serve answers one request. The body is ignored.
func (e ReceiveReturn) Serve(ctx context.Context, req web.Request) (web.Response, error) {
	admin, err := web.RequireAdmin(req)
	if err != nil {
		return web.Response{}, err
	}
	id, err := pathOrderID(req)
	if err != nil {
		return web.Response{}, err
	}
	rid := req.PathParameters["returnId"]
	if !validReturnID(rid) {
		return web.Response{}, validation.New("returnId", "must be a return id such as R1")
	}
	o, err := e.Handler.Handle(ctx, command.ReceiveReturn{OrderID: id, ReturnID: rid, Actor: actor(admin), Cause: cause(req)})
	if err != nil {
		return web.Response{}, err
	}
	return web.JSON(http.StatusOK, orderView(o), nil), nil
}

// validReturnID reports whether s has the shape of a return id: R and a number from 1 without leading
// zeros, at most three digits (an order has at most order.MaxReturns). A loop, not a regexp: see
// validIdempotencyKey.
func validReturnID(s string) bool {
	if len(s) < 2 || len(s) > 4 || s[0] != 'R' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
