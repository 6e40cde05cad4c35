package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orion-oss/orion/infra/engine/httpapi"
)

// recorder is a fake of our own Invoker port: it records payloads and answers as scripted.
type recorder struct {
	mu     sync.Mutex
	calls  map[string][]events.APIGatewayV2HTTPRequest
	answer func(fn string, req events.APIGatewayV2HTTPRequest) ([]byte, error)
}

func (r *recorder) Invoke(ctx context.Context, fn string, payload []byte) ([]byte, error) {
	var req events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(payload, &req); err != nil {
		return nil, err
	}
	r.mu.Lock()
	if r.calls == nil {
		r.calls = map[string][]events.APIGatewayV2HTTPRequest{}
	}
	r.calls[fn] = append(r.calls[fn], req)
	r.mu.Unlock()
	if r.answer != nil {
		return r.answer(fn, req)
	}
	return []byte(`{"statusCode":200,"body":"ok"}`), nil
}

func (r *recorder) last(fn string) events.APIGatewayV2HTTPRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.calls[fn]
	if len(c) == 0 {
		return events.APIGatewayV2HTTPRequest{}
	}
	return c[len(c)-1]
}

func gateway(t *testing.T, inv httpapi.Invoker, mutate func(*httpapi.Config)) *httptest.Server {
	t.Helper()
	cfg := httpapi.Config{APIID: "api1", Routes: []httpapi.Route{
		{Method: "GET", Path: "/orders", Function: "list"},
		{Method: "POST", Path: "/orders", Function: "place"},
		{Method: "GET", Path: "/orders/{orderId}", Function: "get"},
		{Method: "POST", Path: "/orders/{orderId}/cancel", Function: "cancel"},
		{Method: "GET", Path: "/orders/special", Function: "special"},
		{Method: "ANY", Path: "/files/{proxy+}", Function: "files"},
		{Path: "$default", Function: "fallback"},
	}, CORS: &httpapi.CORS{AllowOrigins: []string{"https://shop.example"}, AllowMethods: []string{"GET", "POST"}, AllowHeaders: []string{"authorization"}, ExposeHeaders: []string{"location"}, MaxAge: 600}}
	if mutate != nil {
		mutate(&cfg)
	}
	g, err := httpapi.New(cfg, inv)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return srv
}

func do(t *testing.T, method, url, body string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func TestRouting(t *testing.T) {
	rec := &recorder{}
	srv := gateway(t, rec, nil)
	tests := []struct {
		method, path, fn, routeKey string
		params                     map[string]string
	}{
		{"GET", "/orders", "list", "GET /orders", nil},
		{"POST", "/orders", "place", "POST /orders", nil},
		{"GET", "/orders/01ABC", "get", "GET /orders/{orderId}", map[string]string{"orderId": "01ABC"}},
		{"GET", "/orders/special", "special", "GET /orders/special", nil}, // literal beats {param}
		{"POST", "/orders/01ABC/cancel", "cancel", "POST /orders/{orderId}/cancel", map[string]string{"orderId": "01ABC"}},
		{"DELETE", "/files/a/b/c.txt", "files", "ANY /files/{proxy+}", map[string]string{"proxy": "a/b/c.txt"}},
		{"PUT", "/orders", "fallback", "$default", nil}, // no PUT route: $default
		{"GET", "/nothing/here", "fallback", "$default", nil},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			resp, _ := do(t, tt.method, srv.URL+tt.path, "", nil)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			got := rec.last(tt.fn)
			if got.RouteKey != tt.routeKey || got.RequestContext.RouteKey != tt.routeKey {
				t.Fatalf("function %s got route key %q; want %q", tt.fn, got.RouteKey, tt.routeKey)
			}
			if len(tt.params) > 0 && !equal(got.PathParameters, tt.params) {
				t.Fatalf("path parameters = %v; want %v", got.PathParameters, tt.params)
			}
		})
	}
}

func equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestPayloadFormat2(t *testing.T) {
	rec := &recorder{}
	srv := gateway(t, rec, nil)
	req, _ := http.NewRequest("POST", srv.URL+"/orders?limit=5&status=A&status=B", strings.NewReader(`{"a":1}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Add("X-Multi", "one")
	req.Header.Add("X-Multi", "two")
	req.Header.Set("Cookie", "a=1; b=2")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	e := rec.last("place")
	if e.Version != "2.0" || e.RawPath != "/orders" || e.RawQueryString != "limit=5&status=A&status=B" {
		t.Errorf("version/path/query = %q %q %q", e.Version, e.RawPath, e.RawQueryString)
	}
	if e.QueryStringParameters["status"] != "A,B" || e.Headers["x-multi"] != "one,two" || e.Headers["content-type"] != "application/json" {
		t.Errorf("query %v headers %v", e.QueryStringParameters, e.Headers)
	}
	if strings.Join(e.Cookies, "|") != "a=1|b=2" || e.Headers["cookie"] != "" {
		t.Errorf("cookies %v", e.Cookies)
	}
	if e.Body != `{"a":1}` || e.IsBase64Encoded {
		t.Errorf("body %q base64=%v", e.Body, e.IsBase64Encoded)
	}
	rc := e.RequestContext
	if rc.APIID != "api1" || rc.Stage != "$default" || rc.HTTP.Method != "POST" || rc.HTTP.SourceIP != "127.0.0.1" || rc.RequestID == "" || rc.TimeEpoch == 0 {
		t.Errorf("request context %+v", rc)
	}
	// Binary bodies arrive base64-encoded.
	do(t, "POST", srv.URL+"/orders", "\x00\x01", map[string]string{"Content-Type": "application/octet-stream"})
	if e := rec.last("place"); !e.IsBase64Encoded || e.Body != "AAE=" {
		t.Errorf("binary body %q base64=%v", e.Body, e.IsBase64Encoded)
	}
}

func TestResponseMapping(t *testing.T) {
	answers := map[string]string{
		"list":    `{"statusCode":201,"headers":{"Location":"/orders/1","Content-Type":"application/problem+json"},"multiValueHeaders":{"X-A":["1","2"]},"cookies":["s=1; HttpOnly"],"body":"{\"x\":1}"}`,
		"get":     `{"items":[]}`,
		"special": `{"statusCode":200,"isBase64Encoded":true,"body":"aGVsbG8="}`,
		"cancel":  `not json`,
		"files":   `{"statusCode":99}`,
	}
	rec := &recorder{answer: func(fn string, _ events.APIGatewayV2HTTPRequest) ([]byte, error) {
		if fn == "place" {
			return nil, errors.New("Runtime.ExitError")
		}
		return []byte(answers[fn]), nil
	}}
	srv := gateway(t, rec, nil)
	resp, body := do(t, "GET", srv.URL+"/orders", "", nil)
	if resp.StatusCode != 201 || resp.Header.Get("Location") != "/orders/1" || resp.Header.Get("Content-Type") != "application/problem+json" ||
		strings.Join(resp.Header.Values("X-A"), ",") != "1,2" || resp.Header.Get("Set-Cookie") != "s=1; HttpOnly" || body != `{"x":1}` {
		t.Errorf("structured: %d %v %q", resp.StatusCode, resp.Header, body)
	}
	if resp, body := do(t, "GET", srv.URL+"/orders/1", "", nil); resp.StatusCode != 200 || body != `{"items":[]}` {
		t.Errorf("inferred: %d %q", resp.StatusCode, body)
	}
	if _, body := do(t, "GET", srv.URL+"/orders/special", "", nil); body != "hello" {
		t.Errorf("base64 response body = %q", body)
	}
	for _, tt := range []struct{ method, path string }{{"POST", "/orders/1/cancel"}, {"GET", "/files/x"}, {"POST", "/orders"}} {
		if resp, body := do(t, tt.method, srv.URL+tt.path, "", nil); resp.StatusCode != 500 || body != `{"message":"Internal Server Error"}` {
			t.Errorf("%s %s: %d %q", tt.method, tt.path, resp.StatusCode, body)
		}
	}
}

func TestLimitsAndErrors(t *testing.T) {
	rec := &recorder{answer: func(fn string, _ events.APIGatewayV2HTTPRequest) ([]byte, error) {
		time.Sleep(300 * time.Millisecond)
		return []byte(`{}`), nil
	}}
	srv := gateway(t, rec, func(c *httpapi.Config) {
		c.MaxBody = 10
		c.IntegrationTimeout = 100 * time.Millisecond
		c.Routes = c.Routes[:5] // no $default
	})
	if resp, body := do(t, "POST", srv.URL+"/orders", strings.Repeat("x", 11), nil); resp.StatusCode != 413 || body != `{"message":"Request Entity Too Large"}` {
		t.Errorf("body limit: %d %q", resp.StatusCode, body)
	}
	if resp, body := do(t, "GET", srv.URL+"/orders", "", nil); resp.StatusCode != 503 || body != `{"message":"Service Unavailable"}` {
		t.Errorf("integration timeout: %d %q", resp.StatusCode, body)
	}
	if resp, body := do(t, "GET", srv.URL+"/missing", "", nil); resp.StatusCode != 404 || body != `{"message":"Not Found"}` {
		t.Errorf("no route: %d %q", resp.StatusCode, body)
	}
}

func TestCORS(t *testing.T) {
	rec := &recorder{}
	srv := gateway(t, rec, nil)
	resp, _ := do(t, "OPTIONS", srv.URL+"/orders", "", map[string]string{"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"})
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "https://shop.example" ||
		resp.Header.Get("Access-Control-Allow-Methods") != "GET,POST" || resp.Header.Get("Access-Control-Max-Age") != "600" {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	if len(rec.calls) != 0 {
		t.Error("a preflight reached a function")
	}
	resp, _ = do(t, "GET", srv.URL+"/orders", "", map[string]string{"Origin": "https://shop.example"})
	if resp.Header.Get("Access-Control-Allow-Origin") != "https://shop.example" || resp.Header.Get("Access-Control-Expose-Headers") != "location" {
		t.Errorf("response CORS headers: %v", resp.Header)
	}
	resp, _ = do(t, "GET", srv.URL+"/orders", "", map[string]string{"Origin": "https://evil.example"})
	if resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("a foreign origin was allowed")
	}
}

func TestConfigErrors(t *testing.T) {
	for _, routes := range [][]httpapi.Route{
		{{Method: "GET", Path: "/a", Function: "f"}, {Method: "GET", Path: "/a", Function: "g"}},
		{{Method: "GET", Path: "a", Function: "f"}},
		{{Method: "GET", Path: "/{p+}/x", Function: "f"}},
		{{Method: "GET", Path: "/a", Function: "f", Authorizer: "Nope"}},
	} {
		if _, err := httpapi.New(httpapi.Config{Routes: routes}, &recorder{}); err == nil {
			t.Errorf("routes %v accepted", routes)
		}
	}
}

// Every route has a token bucket of its own: the stage's default, or the route's settings instead.
// A throttled request is answered 429 before its function runs (docs.aws.amazon.com/apigateway/
// latest/developerguide/http-api-throttling.html).
func TestThrottlingPerRoute(t *testing.T) {
	rec := &recorder{}
	srv := gateway(t, rec, func(c *httpapi.Config) {
		c.DefaultThrottle = &httpapi.Throttle{Burst: 3, Rate: 0.001}
		c.RouteThrottles = map[string]httpapi.Throttle{"POST /orders": {Burst: 1, Rate: 0.001}, "GET /orders/special": {Burst: 0, Rate: 0}}
	})
	status := func(method, path string) int {
		resp, body := do(t, method, srv.URL+path, "", nil)
		if resp.StatusCode == 429 && body != `{"message":"Too Many Requests"}` {
			t.Errorf("%s %s: 429 body %q", method, path, body)
		}
		return resp.StatusCode
	}
	if s1, s2 := status("POST", "/orders"), status("POST", "/orders"); s1 != 200 || s2 != 429 {
		t.Errorf("POST /orders (burst 1): %d, %d; want 200, 429", s1, s2)
	}
	for i := range 3 {
		if s := status("GET", "/orders"); s != 200 {
			t.Errorf("GET /orders #%d within the default burst 3: %d", i+1, s)
		}
	}
	if s := status("GET", "/orders"); s != 429 {
		t.Errorf("GET /orders past the default burst: %d; want 429", s)
	}
	if s := status("GET", "/orders/1"); s != 200 {
		t.Errorf("GET /orders/{orderId} has a bucket of its own: %d", s)
	}
	if s := status("GET", "/orders/special"); s != 429 {
		t.Errorf("a route with burst 0: %d; want 429", s)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if n := len(rec.calls["place"]); n != 1 {
		t.Errorf("place ran %d times; a throttled request must not reach the function", n)
	}
	if n := len(rec.calls["special"]); n != 0 {
		t.Errorf("special ran %d times", n)
	}
}

// A bucket refills at its rate, up to its burst.
func TestThrottlingRefills(t *testing.T) {
	srv := gateway(t, &recorder{}, func(c *httpapi.Config) {
		c.RouteThrottles = map[string]httpapi.Throttle{"POST /orders": {Burst: 1, Rate: 2}}
	})
	codes := func() (int, int) {
		r1, _ := do(t, "POST", srv.URL+"/orders", "", nil)
		r2, _ := do(t, "POST", srv.URL+"/orders", "", nil)
		return r1.StatusCode, r2.StatusCode
	}
	if a, b := codes(); a != 200 || b != 429 {
		t.Skipf("the machine is too slow to see the burst: %d, %d", a, b)
	}
	time.Sleep(600 * time.Millisecond) // 1.2 tokens at 2/s, capped at the burst of 1
	if a, b := codes(); a != 200 || b != 429 {
		t.Errorf("after a refill: %d, %d; want 200, 429", a, b)
	}
	if resp, _ := do(t, "GET", srv.URL+"/orders", "", nil); resp.StatusCode != 200 {
		t.Errorf("a route without settings or a default is not throttled: %d", resp.StatusCode)
	}
}

func TestThrottlingConfigErrors(t *testing.T) {
	routes := []httpapi.Route{{Method: "POST", Path: "/auth/login", Function: "login"}}
	for _, th := range []map[string]httpapi.Throttle{
		{"POST /auth/logn": {Burst: 1, Rate: 1}},
		{"POST /auth/login": {Burst: -1, Rate: 1}},
	} {
		if _, err := httpapi.New(httpapi.Config{Routes: routes, RouteThrottles: th}, &recorder{}); err == nil {
			t.Errorf("route settings %v accepted", th)
		}
	}
}
