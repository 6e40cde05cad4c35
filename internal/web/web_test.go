package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/payment"
	"github.com/orion-oss/orion/internal/platform/logging"
	"github.com/orion-oss/orion/internal/validation"
	"github.com/orion-oss/orion/internal/web"
)

type item struct {
	Name     string       `json:"name"`
	Price    *money.Money `json:"price"`
	Quantity *int64       `json:"quantity"`
	Tags     []string     `json:"tags"`
	Ship     *struct {
		City string `json:"city"`
	} `json:"ship"`
	Lines []struct {
		SKU string `json:"sku"`
	} `json:"lines"`
	Meta map[string]any `json:"meta"`
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name, body string
		base64     bool
		want       error
		field      string
	}{
		{"ok", `{"name":"a","price":{"amount":1,"currency":"USD"},"quantity":2}`, false, nil, ""},
		{"base64", "eyJuYW1lIjoiYSJ9", true, nil, ""},
		{"empty", ``, false, web.ErrMalformed, ""},
		{"malformed", `{"name":`, false, web.ErrMalformed, ""},
		{"trailing data", `{"name":"a"} {}`, false, web.ErrMalformed, ""},
		{"unknown field", `{"name":"a","status":"CONFIRMED"}`, false, validation.ErrInvalid, "status"},
		{"wrong type", `{"quantity":"two"}`, false, validation.ErrInvalid, "quantity"},
		{"fraction", `{"quantity":1.5}`, false, validation.ErrInvalid, "quantity"},
		{"nested wrong type", `{"tags":[1]}`, false, validation.ErrInvalid, "tags"},
		{"too large", `{"name":"` + strings.Repeat("x", web.MaxBody) + `"}`, false, web.ErrTooLarge, ""},
		{"not an object", `[1,2]`, false, web.ErrMalformed, ""},
		{"nested ok", `{"ship":{"city":"x"},"lines":[{"sku":"a"},{"sku":"b"}],"meta":{"a":{"a":1},"b":[{"a":1}]}}`, false, nil, ""},
		// encoding/json keeps the last of two equal keys and matches keys case-insensitively; both are refused.
		{"duplicate key", `{"name":"a","name":"b"}`, false, validation.ErrInvalid, "name"},
		{"duplicate key escaped", `{"name":"a","na\u006de":"b"}`, false, validation.ErrInvalid, "name"},
		{"duplicate in a nested object", `{"ship":{"city":"a","city":"b"}}`, false, validation.ErrInvalid, "ship.city"},
		{"duplicate in an array element", `{"lines":[{"sku":"a"},{"sku":"b","sku":"c"}]}`, false, validation.ErrInvalid, "lines[1].sku"},
		{"duplicate in a self-decoding type", `{"price":{"amount":1,"currency":"USD","amount":2}}`, false, validation.ErrInvalid, "price.amount"},
		{"duplicate in a map", `{"meta":{"x":{"a":1,"a":2}}}`, false, validation.ErrInvalid, "meta.x.a"},
		{"case-folded key", `{"Name":"a"}`, false, validation.ErrInvalid, "Name"},
		{"case-folded key escaped", `{"\u004eame":"a"}`, false, validation.ErrInvalid, "Name"},
		{"case-folded nested key", `{"ship":{"CITY":"x"}}`, false, validation.ErrInvalid, "ship.CITY"},
		{"case-folded key in an array", `{"lines":[{"sku":"a"},{"Sku":"b"}]}`, false, validation.ErrInvalid, "lines[1].Sku"},
		{"case-folded key, Kelvin sign", "{\"lines\":[{\"s\u212au\":\"a\"}]}", false, validation.ErrInvalid, "lines[0].s\u212au"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v item
			err := web.Decode(events.APIGatewayV2HTTPRequest{Body: tt.body, IsBase64Encoded: tt.base64}, &v)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v; want %v", err, tt.want)
			}
			var ve validation.Errors
			if tt.field != "" && (!errors.As(err, &ve) || !strings.HasPrefix(ve[0].Field, tt.field)) {
				t.Fatalf("problems = %v; want field %s", ve, tt.field)
			}
			if r := web.Error(context.Background(), slog.New(slog.DiscardHandler), err); err != nil && (r.StatusCode != 400 && r.StatusCode != 413 || r.Headers["Content-Type"] != "application/problem+json") {
				t.Fatalf("answered %d %v %s; want a 4xx problem", r.StatusCode, r.Headers, r.Body)
			}
		})
	}
}

func TestErrorMapping(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	tests := []struct {
		err    error
		status int
	}{
		{validation.New("items[0].quantity", "bad"), 400},
		{web.ErrMalformed, 400},
		{web.ErrTooLarge, 413},
		{web.ErrUnauthorized, 401},
		{web.ErrForbidden, 403},
		{fmt.Errorf("wrapped: %w", inventory.ErrNotFound), 404},
		{order.ErrNotFound, 404},
		{fmt.Errorf("x: %w", order.ErrTerminal), 409},
		{inventory.ErrExists, 409},
		{fmt.Errorf("x: %w", dynamo.ErrConflict), 409},
		{fmt.Errorf("store: %w", busyErr(true)), 409},
		{busyErr(false), 500},
		{&inventory.InsufficientStockError{SKU: "A", Requested: 2, Available: 1}, 409},
		{errors.New("dynamodb: connection reset by peer at 10.0.0.1"), 500},
		{fmt.Errorf("%w: stripe: signature: no v1 at 10.0.0.1", payment.ErrInvalidEvent), 400},
		{fmt.Errorf("%w: SHIPPED", order.ErrShipped), 409},
		{fmt.Errorf("%w: delivered on 10.0.0.1", order.ErrReturnWindowClosed), 409},
		{fmt.Errorf("%w: R9 of 10.0.0.1", order.ErrReturnNotFound), 404},
		{&order.TransitionError{From: order.Pending, Action: "ship"}, 409},
		{fmt.Errorf("%w: payment pi_10.0.0.1 is not the order's", order.ErrInvalidTransition), 409},
		{order.ErrCancellationRequested, 409},
		{command.ErrNotFulfiller, 403},
	}
	for _, tt := range tests {
		r := web.Error(context.Background(), log, tt.err)
		if r.StatusCode != tt.status || r.Headers["Content-Type"] != "application/problem+json" {
			t.Errorf("%v -> %d %v; want %d", tt.err, r.StatusCode, r.Headers, tt.status)
		}
		if strings.Contains(r.Body, "10.0.0.1") {
			t.Errorf("internal detail leaked: %s", r.Body)
		}
	}
	r := web.Error(context.Background(), log, validation.New("items[0].quantity", "must be between 1 and 1000"))
	var p web.Problem
	if err := json.Unmarshal([]byte(r.Body), &p); err != nil || p.Status != 400 || len(p.Errors) != 1 || p.Errors[0].Field != "items[0].quantity" {
		t.Fatalf("problem = %s", r.Body)
	}
	r = web.Error(context.Background(), log, fmt.Errorf("%w: SHIPPED", order.ErrShipped))
	if err := json.Unmarshal([]byte(r.Body), &p); err != nil || !strings.HasSuffix(p.Type, "/order-shipped") || !strings.Contains(p.Detail, "return") {
		t.Fatalf("shipped problem = %s", r.Body)
	}
}

func req(claims map[string]string) web.Request {
	r := web.Request{}
	if claims != nil {
		r.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims}}
	}
	return r
}

func TestCaller(t *testing.T) {
	tests := []struct {
		name   string
		claims map[string]string
		admin  bool
		err    error
	}{
		{"customer", map[string]string{"sub": "u1", "token_use": "access"}, false, nil},
		{"admin", map[string]string{"sub": "u1", "token_use": "access", "cognito:groups": "[ops admin]"}, true, nil},
		{"group prefix is not admin", map[string]string{"sub": "u1", "token_use": "access", "cognito:groups": "[administrators]"}, false, nil},
		{"id token", map[string]string{"sub": "u1", "token_use": "id"}, false, web.ErrUnauthorized},
		{"no sub", map[string]string{"token_use": "access"}, false, web.ErrUnauthorized},
		{"no authorizer", nil, false, web.ErrUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := web.CallerOf(req(tt.claims))
			if !errors.Is(err, tt.err) || (err == nil && c.Admin != tt.admin) {
				t.Fatalf("caller %+v, %v", c, err)
			}
		})
	}
	if _, err := web.RequireAdmin(req(map[string]string{"sub": "u1", "token_use": "access"})); !errors.Is(err, web.ErrForbidden) {
		t.Fatalf("RequireAdmin for a customer: %v", err)
	}
}

// A client's X-Correlation-Id is its own reference, kept apart from the server's correlation id: the
// server's is the API request id, always, so no client can splice its requests into another order's
// story; the client's is logged beside it and echoed back under its own name.
func TestClientCorrelationIDIsKeptApart(t *testing.T) {
	var seen string
	h := func(ctx context.Context, _ web.Request) (web.Response, error) {
		seen, _ = logging.IDs(ctx)
		return web.JSON(200, nil, nil), nil
	}
	for _, c := range []struct{ name, header, client string }{
		{"another order's correlation id", "01JDQ7Z3M6X9V0YB2C4D5E6F7G", "01JDQ7Z3M6X9V0YB2C4D5E6F7G"},
		{"none", "", ""},
		{"with a newline (log forging)", "abc\n{\"level\":\"ERROR\"}", ""},
		{"non-ASCII", "caf\u00e9", ""},
		{"too long", strings.Repeat("x", 129), ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var logs strings.Builder
			log := slog.New(slog.NewJSONHandler(&logs, nil))
			r := web.Request{Headers: map[string]string{"x-correlation-id": c.header}}
			r.RequestContext.RequestID = "req-123"
			resp, _ := web.Lambda(log, h)(context.Background(), r)
			if seen != "req-123" || resp.Headers["X-Correlation-Id"] != "req-123" {
				t.Fatalf("server correlation %q, header %q; want the request id", seen, resp.Headers["X-Correlation-Id"])
			}
			if resp.Headers["X-Client-Correlation-Id"] != c.client {
				t.Fatalf("echoed %q; want %q", resp.Headers["X-Client-Correlation-Id"], c.client)
			}
			if logged := strings.Contains(logs.String(), `"clientCorrelationId"`); logged != (c.client != "") {
				t.Fatalf("clientCorrelationId logged %v; want %v: %s", logged, c.client != "", logs.String())
			}
		})
	}
}

func TestLambdaRecoversPanics(t *testing.T) {
	h := web.Lambda(slog.New(slog.DiscardHandler), func(context.Context, web.Request) (web.Response, error) { panic("nil map") })
	r, err := h(context.Background(), web.Request{})
	if err != nil || r.StatusCode != 500 || strings.Contains(r.Body, "nil map") || strings.Contains(r.Body, "goroutine") {
		t.Fatalf("panic answered %d %s %v", r.StatusCode, r.Body, err)
	}
}

// TestLambdaForbidsStoring: personal data must not stay in a browser, proxy or CDN cache, so every
// response says no-store unless its endpoint chose another policy.
func TestLambdaForbidsStoring(t *testing.T) {
	tests := []struct {
		name string
		h    web.HandlerFunc
		want string
	}{
		{"JSON", func(context.Context, web.Request) (web.Response, error) {
			return web.JSON(200, map[string]int{"a": 1}, nil), nil
		}, "no-store"},
		{"JSON with headers", func(context.Context, web.Request) (web.Response, error) {
			return web.JSON(201, nil, map[string]string{"Location": "/x"}), nil
		}, "no-store"},
		{"no headers", func(context.Context, web.Request) (web.Response, error) { return web.Response{StatusCode: 204}, nil }, "no-store"},
		{"problem", func(context.Context, web.Request) (web.Response, error) { return web.Response{}, web.ErrForbidden }, "no-store"},
		{"internal error", func(context.Context, web.Request) (web.Response, error) { return web.Response{}, errors.New("boom") }, "no-store"},
		{"panic", func(context.Context, web.Request) (web.Response, error) { panic("x") }, "no-store"},
		{"the endpoint's own policy", func(context.Context, web.Request) (web.Response, error) {
			return web.JSON(200, nil, map[string]string{"Cache-Control": "public, max-age=60"}), nil
		}, "public, max-age=60"},
	}
	for _, tt := range tests {
		r, _ := web.Lambda(slog.New(slog.DiscardHandler), tt.h)(context.Background(), web.Request{})
		if got := r.Headers["Cache-Control"]; got != tt.want {
			t.Errorf("%s: Cache-Control %q; want %q", tt.name, got, tt.want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(`{"name":"a","price":{"amount":1,"currency":"USD"},"quantity":2,"tags":["x"]}`, false)
	f.Add(`{"price":{"amount":1e400}}`, false)
	f.Fuzz(func(t *testing.T, body string, b64 bool) {
		var v item
		err := web.Decode(web.Request{Body: body, IsBase64Encoded: b64}, &v)
		if err != nil && !errors.Is(err, web.ErrMalformed) && !errors.Is(err, web.ErrTooLarge) && !errors.Is(err, validation.ErrInvalid) {
			t.Fatalf("unclassified error %v", err)
		}
		r := web.Error(context.Background(), slog.New(slog.DiscardHandler), err)
		if err != nil && r.StatusCode >= 500 {
			t.Fatalf("bad input became a %d", r.StatusCode)
		}
	})
}

// busyErr is a storage error of no particular package: web answers any that reports Busy with 409.
type busyErr bool

func (b busyErr) Error() string { return fmt.Sprintf("busy=%t", bool(b)) }
func (b busyErr) Busy() bool    { return bool(b) }

// TestAdminGroupIsExact: only a group named exactly admin, in the claim exactly as API Gateway writes an
// array ("[a b]"), makes an admin. Cognito group names may hold brackets and commas, so a loose reading
// lets a group named "[admin" or "admin]" through.
func TestAdminGroupIsExact(t *testing.T) {
	tests := []struct {
		groups string
		admin  bool
	}{
		{"[admin]", true},
		{"[other admin]", true},
		{"[admin other]", true},
		{"[ops admin x]", true},
		{"[administrators]", false},
		{"[Admin]", false},
		{"[ADMIN]", false},
		{"[admin2]", false},
		{"[xadmin]", false},
		{"admin2", false},
		{"admin", false},
		{"admin,x", false},
		{"[admin,x]", false},
		{"[ admin ]", false},
		{"[ admin]", false},
		{"[admin ]", false},
		{"[other  admin]", false},
		{"[[admin]]", false},
		{"[[admin]", false},
		{"[admin]]", false},
		{"[[admin] x]", false},
		{`["admin"]`, false},
		{"[admin\tx]", false},
		{" [admin]", false},
		{"[admin] ", false},
		{"[]", false},
		{"[", false},
		{"]", false},
		{"", false},
	}
	for _, tt := range tests {
		c, err := web.CallerOf(req(map[string]string{"sub": "u1", "token_use": "access", "cognito:groups": tt.groups}))
		if err != nil || c.Admin != tt.admin {
			t.Errorf("cognito:groups %q: admin = %t, %v; want %t", tt.groups, c.Admin, err, tt.admin)
		}
	}
}
