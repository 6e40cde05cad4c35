package api

import (
	"context"
	"net/http"

	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/validation"
	"github.com/orion-oss/orion/internal/web"
)

type returnRequest struct {
	Lines []struct {
		SKU      string `json:"sku"`
		Quantity *int64 `json:"quantity"`
	} `json:"lines"`
	Reason string `json:"reason,omitempty"`
}

// RequestReturn is POST /orders/{orderId}/returns (the owner or an admin): ask to return some units of a
// DELIVERED order within the return window. 201 with the REQUESTED return; nothing moves until the
// warehouse receives the units (ReceiveReturn). Another customer's order is a 404.
type RequestReturn struct {
	Handler command.RequestReturnHandler
}

// Serve answers one request.
func (e RequestReturn) Serve(ctx context.Context, req web.Request) (web.Response, error) {
	caller, err := web.CallerOf(req)
	if err != nil {
		return web.Response{}, err
	}
	id, err := pathOrderID(req)
	if err != nil {
		return web.Response{}, err
	}
	// Idempotency-Key is optional here (a return is no payment): when given, the same request again
	// answers the same return instead of asking for a second one (order.Order.RequestReturn).
	key, keyed := req.Headers["idempotency-key"]
	if keyed && !validIdempotencyKey(key) {
		return web.Response{}, validation.New("Idempotency-Key", "header must be 1-64 characters of A-Z, a-z, 0-9, '_' and '-'")
	}
	var in returnRequest
	if err := web.Decode(req, &in); err != nil {
		return web.Response{}, err
	}
	// The shape of each line here; whether it fits the order (its SKUs, the units not yet returned) is
	// the domain's (order.Order.RequestReturn), with the same field paths.
	var c validation.Collector
	if len(in.Lines) == 0 || len(in.Lines) > order.MaxLines {
		c.Add("lines", "must have between 1 and %d lines", order.MaxLines)
	}
	lines := make([]order.ReturnLine, len(in.Lines))
	for i, l := range in.Lines {
		path := validation.Index("lines", i)
		sku, err := inventory.ParseSKU(l.SKU)
		c.Merge(path, err)
		if l.Quantity == nil || *l.Quantity < 1 || *l.Quantity > order.MaxLineQuantity {
			c.Add(path+".quantity", "must be between 1 and %d", order.MaxLineQuantity)
			continue
		}
		lines[i] = order.ReturnLine{SKU: sku, Quantity: inventory.Quantity(*l.Quantity)}
	}
	if err := c.Err(); err != nil {
		return web.Response{}, err
	}
	_, r, err := e.Handler.Handle(ctx, command.RequestReturn{OrderID: id, Caller: caller.ID, Admin: caller.Admin, Lines: lines,
		Reason: in.Reason, Key: key, Cause: cause(req)})
	if err != nil {
		return web.Response{}, err
	}
	return web.JSON(http.StatusCreated, returnView(r), nil), nil
}
