package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"

	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/validation"
	"github.com/orion-oss/orion/internal/web"
)

type placeRequest struct {
	Items []struct {
		SKU      string `json:"sku"`
		Quantity *int64 `json:"quantity"`
	} `json:"items"`
	PaymentToken    string         `json:"paymentToken"`
	ShippingAddress *order.Address `json:"shippingAddress,omitempty"`
}

// validIdempotencyKey reports whether k is 1-64 characters of A-Z, a-z, 0-9, '_' and '-'. A loop, not
// a regexp: a compiled program is built at every cold start (docs/adr/0009-package-splits-for-cold-start.md).
func validIdempotencyKey(k string) bool {
	if len(k) == 0 || len(k) > 64 {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// PlaceOrder is POST /orders: 202 with the PENDING order and its Location; the same Idempotency-Key and
// body return the first response again.
type PlaceOrder struct {
	Handler command.PlaceOrderHandler
}

// Serve answers one request.
func (e PlaceOrder) Serve(ctx context.Context, req web.Request) (web.Response, error) {
	caller, err := web.CallerOf(req)
	if err != nil {
		return web.Response{}, err
	}
	key := req.Headers["idempotency-key"]
	if !validIdempotencyKey(key) {
		return web.Response{}, validation.New("Idempotency-Key", "header is required: 1-64 characters of A-Z, a-z, 0-9, '_' and '-'")
	}
	var in placeRequest
	if err := web.Decode(req, &in); err != nil {
		return web.Response{}, err
	}
	var c validation.Collector
	if len(in.Items) == 0 || len(in.Items) > order.MaxLines {
		c.Add("items", "must have between 1 and %d lines", order.MaxLines)
	}
	items := make([]command.OrderLine, len(in.Items))
	for i, it := range in.Items {
		path := validation.Index("items", i)
		sku, err := inventory.ParseSKU(it.SKU)
		c.Merge(path, err)
		if it.Quantity == nil || *it.Quantity < 1 || *it.Quantity > order.MaxLineQuantity {
			c.Add(path+".quantity", "must be between 1 and %d", order.MaxLineQuantity)
			continue
		}
		items[i] = command.OrderLine{SKU: sku, Quantity: *it.Quantity}
	}
	if err := c.Err(); err != nil {
		return web.Response{}, err
	}
	// The hash covers the decoded request, so a retry that re-serialises the same body still matches.
	canonical, _ := json.Marshal(in)
	sum := sha256.Sum256(canonical)
	body, replayed, err := e.Handler.Handle(ctx, command.PlaceOrder{Customer: caller.ID, Key: key, RequestHash: hex.EncodeToString(sum[:]),
		Items: items, PaymentToken: in.PaymentToken, Shipping: in.ShippingAddress, Cause: cause(req),
		Render: func(o *order.Order) ([]byte, error) { return json.Marshal(orderView(o)) }})
	if err != nil {
		return web.Response{}, err
	}
	var view OrderView
	if err := json.Unmarshal(body, &view); err != nil {
		return web.Response{}, err
	}
	headers := map[string]string{"Location": "/orders/" + view.OrderID, "Content-Type": "application/json"}
	if replayed {
		headers["Idempotent-Replayed"] = "true"
	}
	return web.Response{StatusCode: http.StatusAccepted, Body: string(body), Headers: headers}, nil
}
