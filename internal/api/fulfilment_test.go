package api_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/orion-oss/orion/internal/api"
	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/web"
)

// UpdateOnce: the HTTP routes never send a key; a call here would be a bug.
func (f *orders) UpdateOnce(context.Context, order.ID, string, event.Cause, func(*order.Order) ([]event.Payload, error)) (*order.Order, bool, error) {
	panic("the HTTP routes send no dedupe key")
}

// stockNever is an OrderStockUpdater that must not be reached: the requests it serves are refused first.
type stockNever struct{ t *testing.T }

func (s stockNever) UpdateOrderStock(context.Context, order.ID, event.Cause, func(*order.Order) bool,
	func(*order.Order, *inventory.OrderStock) ([]event.Payload, error)) (*order.Order, error) {
	s.t.Fatal("a refused request reached the store")
	return nil, nil
}

// placedAs stores ann's order in status s (delivered an hour ago when DELIVERED) and returns its id.
func placedAs(t *testing.T, e orderEndpoints, s order.Status) string {
	t.Helper()
	code, body := status(t, e.Place, request("ann", "", "k-"+string(s), `{"items":[{"sku":"SKU-1","quantity":2}],"paymentToken":"tok_visa"}`))
	if code != 202 {
		t.Fatalf("place: %d %s", code, body)
	}
	var o struct{ OrderID string }
	_ = json.Unmarshal([]byte(body), &o)
	snap := e.repo.byID[order.ID(o.OrderID)]
	snap.Status = s
	snap.Payment = order.Payment{AuthorizationID: "pi_1", CaptureID: "ch_1"} // confirmed orders were captured
	if s == order.Shipped || s == order.Delivered {
		snap.Shipment = &order.Shipment{Carrier: "UPS", TrackingNumber: "1Z9", ShippedAt: snap.CreatedAt}
	}
	if s == order.Delivered {
		snap.DeliveredAt = time.Now().Add(-time.Hour)
	}
	e.repo.byID[order.ID(o.OrderID)] = snap
	return o.OrderID
}

func TestFulfilmentEndpoints(t *testing.T) {
	e := newOrders(t)
	ship := api.ShipOrder{Handler: command.NewShipOrderHandler(e.repo)}.Serve
	deliver := api.DeliverOrder{Handler: command.NewDeliverOrderHandler(e.repo)}.Serve
	ret := api.RequestReturn{Handler: command.NewRequestReturnHandler(e.repo, 0)}.Serve
	receive := api.ReceiveReturn{Handler: command.NewReceiveReturnHandler(stockNever{t})}.Serve
	confirmed, shipped, delivered := placedAs(t, e, order.Confirmed), placedAs(t, e, order.Shipped), placedAs(t, e, order.Delivered)

	tests := []struct {
		name       string
		h          web.HandlerFunc
		sub, group string
		order, rid string
		body       string
		status     int
		want       string // in the body
	}{
		{"admin ships", ship, "root", "[admin]", confirmed, "", `{"carrier":" DHL ","trackingNumber":"JD0001"}`, 200, `"shipment":{"carrier":"DHL","trackingNumber":"JD0001"`},
		{"customer ships", ship, "ann", "", confirmed, "", `{"carrier":"DHL","trackingNumber":"JD0001"}`, 403, "forbidden"},
		{"ship, tracking page not https", ship, "root", "[admin]", shipped, "", `{"carrier":"UPS","trackingNumber":"1Z9","trackingUrl":"http://ups.example"}`, 400, `"field":"trackingUrl"`},
		{"ship, no body", ship, "root", "[admin]", shipped, "", "", 400, "malformed"},
		{"ship, a status in the body", ship, "root", "[admin]", shipped, "", `{"carrier":"UPS","trackingNumber":"1Z9","status":"DELIVERED"}`, 400, `"field":"status"`},
		{"deliver, no body: now", deliver, "root", "[admin]", shipped, "", "", 200, `"status":"DELIVERED"`},
		{"deliver, bad time", deliver, "root", "[admin]", shipped, "", `{"deliveredAt":"2026-13-01T00:00:00Z"}`, 400, `"field":"deliveredAt"`},
		{"deliver, malformed order id", deliver, "root", "[admin]", "nope", "", "", 400, ""},
		{"owner returns", ret, "ann", "", delivered, "", `{"lines":[{"sku":"SKU-1","quantity":1}],"reason":"too big"}`, 201, `"returnId":"R1","status":"REQUESTED"`},
		{"admin returns for the owner", ret, "root", "[admin]", delivered, "", `{"lines":[{"sku":"SKU-1","quantity":1}]}`, 201, `"returnId":"R2"`},
		{"nothing left to return", ret, "ann", "", delivered, "", `{"lines":[{"sku":"SKU-1","quantity":1}]}`, 400, `"field":"lines[0].quantity"`},
		{"another customer returns", ret, "bob", "", delivered, "", `{"lines":[{"sku":"SKU-1","quantity":1}]}`, 404, ""},
		{"return lines without quantity or sku", ret, "ann", "", delivered, "", `{"lines":[{"sku":"SKU-1"},{"quantity":1}]}`, 400, `"field":"lines[1].sku"`},
		{"customer receives", receive, "ann", "", delivered, "R1", "", 403, ""},
		{"receive a malformed return id", receive, "root", "[admin]", delivered, "R01", "", 400, `"field":"returnId"`},
		{"receive without a caller", receive, "", "", delivered, "R1", "", 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := request(tt.sub, tt.group, "", tt.body)
			r.PathParameters = map[string]string{"orderId": tt.order, "returnId": tt.rid}
			code, body := status(t, tt.h, r)
			if code != tt.status || !strings.Contains(body, tt.want) {
				t.Fatalf("%d %s; want %d with %s", code, body, tt.status, tt.want)
			}
		})
	}
}

// A return asked for with an Idempotency-Key and asked for again (a retry after a timeout) is the same
// return; the key with other lines is 422, and a malformed key is 400 before anything is read.
func TestRequestReturnIdempotencyKey(t *testing.T) {
	e := newOrders(t)
	ret := api.RequestReturn{Handler: command.NewRequestReturnHandler(e.repo, 0)}.Serve
	id := placedAs(t, e, order.Delivered)
	ask := func(key, body string) (int, string) {
		r := request("ann", "", key, body)
		r.PathParameters = map[string]string{"orderId": id}
		return status(t, ret, r)
	}
	one := `{"lines":[{"sku":"SKU-1","quantity":1}]}`
	for i := range 2 {
		if code, body := ask("ret-1", one); code != 201 || !strings.Contains(body, `"returnId":"R1"`) {
			t.Fatalf("request %d: %d %s; want 201 with R1", i+1, code, body)
		}
	}
	if code, body := ask("ret-1", `{"lines":[{"sku":"SKU-1","quantity":2}]}`); code != 422 || !strings.Contains(body, "idempotency-key-reused") {
		t.Fatalf("same key, other lines: %d %s", code, body)
	}
	if code, body := ask("bad key!", one); code != 400 || !strings.Contains(body, `"field":"Idempotency-Key"`) {
		t.Fatalf("malformed key: %d %s", code, body)
	}
	if code, body := ask("", one); code != 201 || !strings.Contains(body, `"returnId":"R2"`) {
		t.Fatalf("no key: %d %s; want a second return R2", code, body)
	}
	if n := len(e.repo.byID[order.ID(id)].Returns); n != 2 {
		t.Fatalf("%d returns stored; want 2", n)
	}
}
