package api

import (
	"context"
	"net/http"

	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/web"
)

type shipRequest struct {
	Carrier        string `json:"carrier"`
	TrackingNumber string `json:"trackingNumber"`
	TrackingURL    string `json:"trackingUrl,omitempty"`
}

// ShipOrder is POST /orders/{orderId}/ship (admin): a CONFIRMED order left the warehouse. 200 with the
// SHIPPED order; the same carrier and tracking number again is a no-op, anything else out of order 409.
type ShipOrder struct {
	Handler command.ShipOrderHandler
}

// Serve answers one request.
func (e ShipOrder) Serve(ctx context.Context, req web.Request) (web.Response, error) {
	admin, err := web.RequireAdmin(req)
	if err != nil {
		return web.Response{}, err
	}
	id, err := pathOrderID(req)
	if err != nil {
		return web.Response{}, err
	}
	var in shipRequest
	if err := web.Decode(req, &in); err != nil {
		return web.Response{}, err
	}
	// The domain validates the shipment (order.Shipment.Validate) with these field names; the time is
	// the request's: an admin reports a shipment as it happens.
	o, err := e.Handler.Handle(ctx, command.ShipOrder{OrderID: id, Actor: actor(admin), Cause: cause(req),
		Shipment: order.Shipment{Carrier: in.Carrier, TrackingNumber: in.TrackingNumber, TrackingURL: in.TrackingURL}})
	if err != nil {
		return web.Response{}, err
	}
	return web.JSON(http.StatusOK, orderView(o), nil), nil
}
