package api_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orion-oss/orion/internal/api"
	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/query"
	"github.com/orion-oss/orion/internal/web"
)

// Small fakes of our own ports; the DynamoDB adapters have integration tests of their own.
type orders struct {
	mu   sync.Mutex
	byID map[order.ID]order.Snapshot
	keys map[string]command.Remembered
}

func (f *orders) Get(_ context.Context, id order.ID) (*order.Order, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.byID[id]
	if !ok {
		return nil, order.ErrNotFound
	}
	return order.FromSnapshot(s)
}

func (f *orders) Remembered(_ context.Context, c customer.ID, key string) (*command.Remembered, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r, ok := f.keys[string(c)+"#"+key]; ok {
		return &r, nil
	}
	return nil, nil
}

func (f *orders) Place(_ context.Context, o *order.Order, rem command.Remembered, key string, _ []event.Payload, _ event.Cause) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, taken := f.keys[string(o.CustomerID())+"#"+key]; taken {
		return command.ErrKeyTaken // the repository's contract: the key's condition fails the whole write
	}
	f.byID[o.ID()] = o.Snapshot()
	f.keys[string(o.CustomerID())+"#"+key] = rem
	return nil
}

func (f *orders) Update(ctx context.Context, id order.ID, _ event.Cause, fn func(*order.Order) ([]event.Payload, error)) (*order.Order, error) {
	o, err := f.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, err := fn(o); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.byID[id] = o.Snapshot()
	f.mu.Unlock()
	return o, nil
}

type catalog map[inventory.SKU]*inventory.Item

func (c catalog) Catalog(_ context.Context, skus []inventory.SKU) (map[inventory.SKU]*inventory.Item, error) {
	out := map[inventory.SKU]*inventory.Item{}
	for _, s := range skus {
		if it, ok := c[s]; ok {
			out[s] = it
		}
	}
	return out, nil
}

// orderEndpoints are the order endpoints over one store.
type orderEndpoints struct {
	repo               *orders
	Place, Get, Cancel web.HandlerFunc
}

func newOrders(t testing.TB) orderEndpoints {
	price, _ := money.New(1250, "USD")
	it, _, err := inventory.NewItem("SKU-1", inventory.Details{Name: "Widget", Price: price}, 10, 1)
	if err != nil {
		t.Fatal(err)
	}
	repo := &orders{byID: map[order.ID]order.Snapshot{}, keys: map[string]command.Remembered{}}
	return orderEndpoints{
		repo:   repo,
		Place:  api.PlaceOrder{Handler: command.NewPlaceOrderHandler(repo, catalog{"SKU-1": it})}.Serve,
		Get:    api.GetOrder{Handler: query.NewGetOrderHandler(repo)}.Serve,
		Cancel: api.CancelOrder{Handler: command.NewCancelOrderHandler(repo)}.Serve,
	}
}

func request(sub string, groups, key, body string) web.Request {
	r := events.APIGatewayV2HTTPRequest{Body: body, Headers: map[string]string{}}
	if key != "" {
		r.Headers["idempotency-key"] = key
	}
	if sub != "" {
		r.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: map[string]string{"sub": sub, "token_use": "access", "cognito:groups": groups}}}
	}
	return r
}

func status(t *testing.T, h web.HandlerFunc, req web.Request) (int, string) {
	t.Helper()
	resp, _ := web.Lambda(slog.New(slog.DiscardHandler), h)(context.Background(), req)
	return resp.StatusCode, resp.Body
}

func TestPlaceDecodingValidationAuthorization(t *testing.T) {
	h := newOrders(t)
	ok := `{"items":[{"sku":"SKU-1","quantity":2}],"paymentToken":"tok_visa"}`
	tests := []struct {
		name, sub, key, body string
		status               int
		field                string
	}{
		{"placed", "ann", "k1", ok, 202, ""},
		{"no caller", "", "k2", ok, 401, ""},
		{"no key", "ann", "", ok, 400, "Idempotency-Key"},
		{"key too long", "ann", strings.Repeat("k", 65), ok, 400, "Idempotency-Key"},
		{"longest key", "ann", strings.Repeat("K", 63) + "0", ok, 202, ""},
		{"key of every allowed kind", "ann", "Az09_-", ok, 202, ""},
		{"key with a dot", "ann", "k.1", ok, 400, "Idempotency-Key"},
		{"key with a space", "ann", "k 1", ok, 400, "Idempotency-Key"},
		{"key beyond ASCII", "ann", "klé", ok, 400, "Idempotency-Key"},
		{"lowercase sku", "ann", "k3", strings.Replace(ok, "SKU-1", "sku-1", 1), 400, "items[0].sku"},
		{"quantity missing", "ann", "k4", `{"items":[{"sku":"SKU-1"}],"paymentToken":"t"}`, 400, "items[0].quantity"},
		{"string quantity", "ann", "k5", `{"items":[{"sku":"SKU-1","quantity":"2"}],"paymentToken":"t"}`, 400, "items.quantity"},
		{"no items", "ann", "k6", `{"items":[],"paymentToken":"t"}`, 400, "items"},
		{"unknown sku", "ann", "k7", strings.Replace(ok, "SKU-1", "SKU-9", 1), 422, "items[0].sku"},
		{"server-owned total", "ann", "k8", `{"items":[{"sku":"SKU-1","quantity":1}],"paymentToken":"t","total":{"amount":1,"currency":"USD"}}`, 400, "total"},
		{"bad address", "ann", "k9", `{"items":[{"sku":"SKU-1","quantity":1}],"paymentToken":"t","shippingAddress":{"name":"A"}}`, 400, "shippingAddress.line1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := status(t, h.Place, request(tt.sub, "", tt.key, tt.body))
			if code != tt.status {
				t.Fatalf("status %d (%s); want %d", code, body, tt.status)
			}
			if tt.field != "" && !strings.Contains(body, `"field":"`+tt.field) {
				t.Fatalf("problem %s does not name %s", body, tt.field)
			}
		})
	}
}

func TestOrderAccess(t *testing.T) {
	h := newOrders(t)
	code, body := status(t, h.Place, request("ann", "", "k1", `{"items":[{"sku":"SKU-1","quantity":1}],"paymentToken":"tok"}`))
	if code != 202 {
		t.Fatalf("place: %d %s", code, body)
	}
	id := body[strings.Index(body, `"orderId":"`)+11:][:26]
	get := func(sub, groups string) int {
		r := request(sub, groups, "", "")
		r.PathParameters = map[string]string{"orderId": id}
		c, _ := status(t, h.Get, r)
		return c
	}
	if get("ann", "") != 200 || get("bob", "") != 404 || get("root", "[admin]") != 200 {
		t.Fatalf("access: owner %d, other %d, admin %d", get("ann", ""), get("bob", ""), get("root", "[admin]"))
	}
	r := request("bob", "", "", "")
	r.PathParameters = map[string]string{"orderId": id}
	if c, _ := status(t, h.Cancel, r); c != 404 {
		t.Fatalf("another customer's cancel: %d", c)
	}
}

// While the payment waits for the customer (3-D Secure), the owner's GET shows where to complete it;
// once the provider reports the outcome, it is gone.
func TestGetOrderShowsAPendingPaymentAction(t *testing.T) {
	h := newOrders(t)
	code, body := status(t, h.Place, request("ann", "", "k1", `{"items":[{"sku":"SKU-1","quantity":1}],"paymentToken":"tok_3ds"}`))
	if code != 202 {
		t.Fatalf("place: %d %s", code, body)
	}
	id := order.ID(body[strings.Index(body, `"orderId":"`)+11:][:26])
	get := func() string {
		r := request("ann", "", "", "")
		r.PathParameters = map[string]string{"orderId": string(id)}
		c, b := status(t, h.Get, r)
		if c != 200 {
			t.Fatalf("get: %d %s", c, b)
		}
		return b
	}
	if b := get(); strings.Contains(b, "paymentAction") {
		t.Fatalf("a PENDING order shows a payment action: %s", b)
	}
	change := func(fn func(o *order.Order) ([]event.Payload, error)) {
		if _, err := h.repo.Update(context.Background(), id, event.Cause{}, fn); err != nil {
			t.Fatal(err)
		}
	}
	change(func(o *order.Order) ([]event.Payload, error) { return o.MarkReserved(time.Now()) })
	change(func(o *order.Order) ([]event.Payload, error) {
		return o.RequirePaymentAction("pi_1", order.PaymentAction{Type: "redirect_to_url", RedirectURL: "https://hooks.stripe.com/3ds/1"}, time.Now())
	})
	if b := get(); !strings.Contains(b, `"paymentAction":{"type":"redirect_to_url","redirectUrl":"https://hooks.stripe.com/3ds/1"}`) || strings.Contains(b, "pi_1") {
		t.Fatalf("the waiting order's GET: %s", b)
	}
	change(func(o *order.Order) ([]event.Payload, error) { return o.CompletePaymentAction("pi_1", time.Now()) })
	if b := get(); strings.Contains(b, "paymentAction") {
		t.Fatalf("an authorized order still shows the action: %s", b)
	}
}

// TestOrderResponsesAreNotStored: orders are personal data; no answer about one may be kept by a browser,
// proxy or CDN, refusals included.
func TestOrderResponsesAreNotStored(t *testing.T) {
	h := newOrders(t)
	resp, _ := web.Lambda(slog.New(slog.DiscardHandler), h.Place)(context.Background(),
		request("ann", "", "k1", `{"items":[{"sku":"SKU-1","quantity":1}],"paymentToken":"tok"}`))
	id := resp.Body[strings.Index(resp.Body, `"orderId":"`)+11:][:26]
	withID := func(sub string) web.Request {
		r := request(sub, "", "", "")
		r.PathParameters = map[string]string{"orderId": id}
		return r
	}
	list := api.ListOrders{Handler: query.NewListOrdersHandler(&views{})}.Serve
	tests := []struct {
		name   string
		h      web.HandlerFunc
		req    web.Request
		status int
	}{
		{"place", h.Place, request("ann", "", "k2", `{"items":[{"sku":"SKU-1","quantity":1}],"paymentToken":"tok"}`), 202},
		{"place again (replay)", h.Place, request("ann", "", "k2", `{"items":[{"sku":"SKU-1","quantity":1}],"paymentToken":"tok"}`), 202},
		{"place refused", h.Place, request("ann", "", "k3", `{}`), 400},
		{"get", h.Get, withID("ann"), 200},
		{"get another's", h.Get, withID("bob"), 404},
		{"cancel", h.Cancel, withID("ann"), 202},
		{"list", list, request("ann", "", "", ""), 200},
		{"list unauthenticated", list, request("", "", "", ""), 401},
	}
	for _, tt := range tests {
		resp, _ := web.Lambda(slog.New(slog.DiscardHandler), tt.h)(context.Background(), tt.req)
		if resp.StatusCode != tt.status || resp.Headers["Cache-Control"] != "no-store" {
			t.Errorf("%s: %d, Cache-Control %q; want %d, no-store", tt.name, resp.StatusCode, resp.Headers["Cache-Control"], tt.status)
		}
	}
}

func TestInventoryAdminOnly(t *testing.T) {
	price, _ := money.New(100, "USD")
	it, _, _ := inventory.NewItem("SKU-1", inventory.Details{Name: "W", Price: price}, 1, 0)
	put := api.PutInventoryItem{Handler: command.NewPutInventoryItemHandler(&items{m: map[inventory.SKU]*inventory.Item{"SKU-1": it}})}.Serve
	body := `{"name":"W","price":{"amount":1,"currency":"USD"},"available":1}`
	for _, tt := range []struct {
		sub, groups string
		want        int
	}{{"", "", 401}, {"ann", "", 403}, {"ann", "[administrators]", 403}, {"root", "[admin]", 200}} {
		r := request(tt.sub, tt.groups, "", body)
		r.PathParameters = map[string]string{"sku": "SKU-1"}
		if c, b := status(t, put, r); c != tt.want {
			t.Errorf("%s %s: %d %s; want %d", tt.sub, tt.groups, c, b, tt.want)
		}
	}
}

type items struct {
	m map[inventory.SKU]*inventory.Item
}

func (f *items) Get(_ context.Context, s inventory.SKU) (*inventory.Item, error) {
	if it, ok := f.m[s]; ok {
		return it, nil
	}
	return nil, inventory.ErrNotFound
}
func (f *items) Create(_ context.Context, it *inventory.Item, _ []event.Payload, _ event.Cause) error {
	if _, ok := f.m[it.SKU()]; ok {
		return inventory.ErrExists
	}
	f.m[it.SKU()] = it
	return nil
}
func (f *items) Update(ctx context.Context, s inventory.SKU, _ event.Cause, fn func(*inventory.Item) ([]event.Payload, error)) (*inventory.Item, error) {
	it, err := f.Get(ctx, s)
	if err != nil {
		return nil, err
	}
	_, err = fn(it)
	return it, err
}

// FuzzPlace sends arbitrary bodies and keys to POST /orders: never a panic, never a 5xx.
func FuzzPlace(f *testing.F) {
	f.Add(`{"items":[{"sku":"SKU-1","quantity":2}],"paymentToken":"tok_visa"}`, "k")
	f.Add(`{"items":[{"sku":"SKU-1","quantity":1e3}],"paymentToken":"t","shippingAddress":{"country":"US"}}`, "k-2")
	f.Fuzz(func(t *testing.T, body, key string) {
		h := newOrders(t)
		resp, err := web.Lambda(slog.New(slog.DiscardHandler), h.Place)(context.Background(), request("ann", "", key, body))
		if err != nil || resp.StatusCode >= 500 {
			t.Fatalf("%q -> %d %s %v", body, resp.StatusCode, resp.Body, err)
		}
	})
}
