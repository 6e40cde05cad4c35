package api_test

import (
	"context"
	"log/slog"
	"strconv"
	"testing"

	"github.com/orion-oss/orion/internal/web"
)

// The order endpoints' own work, without I/O: the web adapter (authorizer claims, headers), strict
// decoding, validation, the domain, the request hash and the JSON encoding, over the package's fakes of
// the repository ports. The storage behind them is measured by internal/saga's and internal/adapter/dynamo's
// benchmarks and by benchreport's work per order.
func BenchmarkPlace(b *testing.B) {
	h := web.Lambda(slog.New(slog.DiscardHandler), newOrders(b).Place)
	body := `{"items":[{"sku":"SKU-1","quantity":2}],"paymentToken":"tok_visa","shippingAddress":{"name":"Ann","line1":"1 Main St","city":"Springfield","postalCode":"12345","country":"US"}}`
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		resp, _ := h(context.Background(), request("ann", "", "k"+strconv.Itoa(i), body))
		if resp.StatusCode != 202 {
			b.Fatalf("%d %s", resp.StatusCode, resp.Body)
		}
	}
}

// Refused before any I/O: what a malformed or unauthenticated request costs.
func BenchmarkPlaceRejected(b *testing.B) {
	h := web.Lambda(slog.New(slog.DiscardHandler), newOrders(b).Place)
	cases := []struct{ name, sub, body string }{
		{"Unauthenticated", "", `{}`},
		{"Invalid", "ann", `{"items":[{"sku":"bad sku","quantity":0}],"paymentToken":"tok_visa"}`},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				resp, _ := h(context.Background(), request(c.sub, "", "k1", c.body))
				if resp.StatusCode < 400 {
					b.Fatalf("%d %s", resp.StatusCode, resp.Body)
				}
			}
		})
	}
}

// GET /orders/{orderId}: claims, path parameter, the owner check and the view's encoding.
func BenchmarkGet(b *testing.B) {
	o := newOrders(b)
	h := web.Lambda(slog.New(slog.DiscardHandler), o.Place)
	resp, _ := h(context.Background(), request("ann", "", "k1", `{"items":[{"sku":"SKU-1","quantity":2}],"paymentToken":"tok_visa"}`))
	id := resp.Headers["Location"][len("/orders/"):]
	get := web.Lambda(slog.New(slog.DiscardHandler), o.Get)
	req := request("ann", "", "", "")
	req.PathParameters = map[string]string{"orderId": id}
	b.ReportAllocs()
	for b.Loop() {
		if resp, _ := get(context.Background(), req); resp.StatusCode != 200 {
			b.Fatalf("%d %s", resp.StatusCode, resp.Body)
		}
	}
}
