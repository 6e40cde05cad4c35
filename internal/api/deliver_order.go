package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/validation"
	"github.com/orion-oss/orion/internal/web"
)

type deliverRequest struct {
	DeliveredAt *string `json:"deliveredAt,omitempty"`
}

// DeliverOrder is POST /orders/{orderId}/deliver (admin): the carrier delivered a SHIPPED order, at
// deliveredAt (RFC 3339; absent or no body: now). The return window starts then. 200 with the
// DELIVERED order; again is a no-op.
type DeliverOrder struct {
	Handler command.DeliverOrderHandler
}

// Serve answers one request.
func (e DeliverOrder) Serve(ctx context.Context, req web.Request) (web.Response, error) {
	admin, err := web.RequireAdmin(req)
	if err != nil {
		return web.Response{}, err
	}
	id, err := pathOrderID(req)
	if err != nil {
		return web.Response{}, err
	}
	var in deliverRequest
	if strings.TrimSpace(req.Body) != "" {
		if err := web.Decode(req, &in); err != nil {
			return web.Response{}, err
		}
	}
	var at time.Time
	if in.DeliveredAt != nil {
		if at, err = time.Parse(time.RFC3339, *in.DeliveredAt); err != nil {
			return web.Response{}, validation.New("deliveredAt", "must be an RFC 3339 date-time such as 2026-01-31T14:05:00Z")
		}
	}
	o, err := e.Handler.Handle(ctx, command.DeliverOrder{OrderID: id, DeliveredAt: at, Actor: actor(admin), Cause: cause(req)})
	if err != nil {
		return web.Response{}, err
	}
	return web.JSON(http.StatusOK, orderView(o), nil), nil
}
