package wsapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi/types"
	"github.com/coder/websocket"

	"github.com/orion-oss/orion/infra/engine/wsapi"
)

// fakeLambda is a fake of our own Invoker port: it records every event and answers per function.
type fakeLambda struct {
	mu     sync.Mutex
	calls  map[string][]events.APIGatewayWebsocketProxyRequest
	raw    map[string][]string
	answer func(fn string, ev events.APIGatewayWebsocketProxyRequest) ([]byte, error)
}

func (f *fakeLambda) Invoke(ctx context.Context, fn string, payload []byte) ([]byte, error) {
	var ev events.APIGatewayWebsocketProxyRequest
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, err
	}
	f.mu.Lock()
	if f.calls == nil {
		f.calls, f.raw = map[string][]events.APIGatewayWebsocketProxyRequest{}, map[string][]string{}
	}
	f.calls[fn] = append(f.calls[fn], ev)
	f.raw[fn] = append(f.raw[fn], string(payload))
	answer := f.answer
	f.mu.Unlock()
	if answer != nil {
		return answer(fn, ev)
	}
	return []byte(`{"statusCode":200}`), nil
}

func (f *fakeLambda) events(fn string) []events.APIGatewayWebsocketProxyRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]events.APIGatewayWebsocketProxyRequest(nil), f.calls[fn]...)
}

func (f *fakeLambda) rawPayload(fn string, i int) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.raw[fn][i]
}

func (f *fakeLambda) count(fn string) int { return len(f.events(fn)) }

// connectionID finds the connection a client opened with ?client=name.
func (f *fakeLambda) connectionID(t *testing.T, name string) string {
	t.Helper()
	for _, ev := range f.events("connect") {
		if ev.QueryStringParameters["client"] == name {
			return ev.RequestContext.ConnectionID
		}
	}
	t.Fatalf("no $connect event for client %q", name)
	return ""
}

var baseRoutes = []wsapi.Route{
	{Key: "$connect", Function: "connect"},
	{Key: "$disconnect", Function: "disconnect"},
	{Key: "$default", Function: "default"},
	{Key: "subscribe", Function: "subscribe", TwoWay: true},
	{Key: "raw", Function: "raw", TwoWay: true},
	{Key: "fail", Function: "fail"},
}

type harness struct {
	srv    *wsapi.Server
	lambda *fakeLambda
	wsURL  string
	mgmt   *httptest.Server
	api    *apigatewaymanagementapi.Client

	mu      sync.Mutex
	records []wsapi.Record
}

func newHarness(t *testing.T, answer func(string, events.APIGatewayWebsocketProxyRequest) ([]byte, error), mutate func(*wsapi.Config)) *harness {
	t.Helper()
	h := &harness{lambda: &fakeLambda{answer: answer}}
	cfg := wsapi.Config{APIID: "ws1", Stage: "dev", Routes: baseRoutes, OnRecord: func(r wsapi.Record) {
		h.mu.Lock()
		h.records = append(h.records, r)
		h.mu.Unlock()
	}}
	if mutate != nil {
		mutate(&cfg)
	}
	srv, err := wsapi.New(cfg, h.lambda)
	if err != nil {
		t.Fatal(err)
	}
	h.srv = srv
	ws := httptest.NewServer(srv)
	h.mgmt = httptest.NewServer(srv.Management())
	t.Cleanup(func() {
		srv.Close()
		ws.Close()
		h.mgmt.Close()
	})
	h.wsURL = "ws" + strings.TrimPrefix(ws.URL, "http") + "/dev"
	h.api = managementClient(h.mgmt.URL + "/dev")
	return h
}

func managementClient(endpoint string) *apigatewaymanagementapi.Client {
	return apigatewaymanagementapi.New(apigatewaymanagementapi.Options{
		BaseEndpoint: aws.String(endpoint),
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local-secret", ""),
		Retryer:      aws.NopRetryer{},
	})
}

// dial opens a client named name; it is closed at the end of the test.
func (h *harness) dial(t *testing.T, name string) (*websocket.Conn, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, h.wsURL+"?client="+name, &websocket.DialOptions{
		HTTPHeader: http.Header{"User-Agent": {"wsapi-test"}},
	})
	if err != nil {
		t.Fatalf("dial %s: %v", name, err)
	}
	c.SetReadLimit(1 << 20)
	t.Cleanup(func() { c.CloseNow() })
	return c, h.lambda.connectionID(t, name)
}

func (h *harness) post(t *testing.T, id, data string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := h.api.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: aws.String(id), Data: []byte(data)})
	return err
}

func (h *harness) recordsOf(kind string) []wsapi.Record {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []wsapi.Record
	for _, r := range h.records {
		if r.Kind == kind {
			out = append(out, r)
		}
	}
	return out
}

func read(t *testing.T, c *websocket.Conn) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, b, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return string(b)
}

func write(t *testing.T, c *websocket.Conn, msg string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// closeStatus reads until the connection ends and returns the close code the client saw.
func closeStatus(t *testing.T, c *websocket.Conn) websocket.StatusCode {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		if _, _, err := c.Read(ctx); err != nil {
			return websocket.CloseStatus(err)
		}
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func isGone(err error) bool {
	var gone *types.GoneException
	return errors.As(err, &gone)
}

var idShape = regexp.MustCompile(`^[A-Za-z0-9_-]{15}=$`)

func TestConnectEventShape(t *testing.T) {
	h := newHarness(t, nil, nil)
	ctx := context.Background()
	c, _, err := websocket.Dial(ctx, h.wsURL+"?client=a&token=abc&tag=x&tag=y", &websocket.DialOptions{
		HTTPHeader: http.Header{"User-Agent": {"wsapi-test"}, "X-Trace": {"t1", "t2"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	evs := h.lambda.events("connect")
	if len(evs) != 1 {
		t.Fatalf("$connect invoked %d times", len(evs))
	}
	ev := evs[0]
	rc := ev.RequestContext
	host := strings.TrimPrefix(strings.TrimSuffix(h.wsURL, "/dev"), "ws://")
	checks := []struct {
		name      string
		got, want any
	}{
		{"routeKey", rc.RouteKey, "$connect"},
		{"eventType", rc.EventType, "CONNECT"},
		{"messageDirection", rc.MessageDirection, "IN"},
		{"stage", rc.Stage, "dev"},
		{"apiId", rc.APIID, "ws1"},
		{"domainName", rc.DomainName, host},
		{"sourceIp", rc.Identity.SourceIP, "127.0.0.1"},
		{"userAgent", rc.Identity.UserAgent, "wsapi-test"},
		{"extendedRequestId", rc.ExtendedRequestID, rc.RequestID},
		{"connectionId shape", idShape.MatchString(rc.ConnectionID), true},
		{"requestId shape", idShape.MatchString(rc.RequestID), true},
		{"query single", ev.QueryStringParameters["token"], "abc"},
		{"query last value", ev.QueryStringParameters["tag"], "y"},
		{"query multi", strings.Join(ev.MultiValueQueryStringParameters["tag"], ","), "x,y"},
		{"header Host", ev.Headers["Host"], host},
		{"header spelling", ev.Headers["Sec-WebSocket-Version"], "13"},
		{"header key", ev.Headers["Sec-WebSocket-Key"] != "", true},
		{"multi header", strings.Join(ev.MultiValueHeaders["X-Trace"], ","), "t1,t2"},
		{"X-Forwarded-For", ev.Headers["X-Forwarded-For"], "127.0.0.1"},
		{"X-Forwarded-Proto", ev.Headers["X-Forwarded-Proto"], "http"},
		{"X-Amzn-Trace-Id", strings.HasPrefix(ev.Headers["X-Amzn-Trace-Id"], "Root=1-"), true},
		{"connectedAt", rc.ConnectedAt > 0 && rc.ConnectedAt <= time.Now().UnixMilli(), true},
		{"requestTimeEpoch", rc.RequestTimeEpoch >= rc.ConnectedAt, true},
		{"requestTime", rc.RequestTime != "", true},
		{"not base64", ev.IsBase64Encoded, false},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if raw := h.lambda.rawPayload("connect", 0); !strings.Contains(raw, `"isBase64Encoded":false`) {
		t.Errorf("isBase64Encoded missing from %s", raw)
	}
}

func TestConnectDecision(t *testing.T) {
	cases := []struct {
		name       string
		answer     func() ([]byte, error)
		noRoute    bool
		wantStatus int // 0: accepted
	}{
		{name: "200 accepts", answer: func() ([]byte, error) { return []byte(`{"statusCode":200}`), nil }},
		{name: "result without statusCode accepts", answer: func() ([]byte, error) { return []byte(`null`), nil }},
		{name: "no $connect route accepts", noRoute: true},
		{name: "401 refuses", answer: func() ([]byte, error) { return []byte(`{"statusCode":401,"body":"no token"}`), nil }, wantStatus: 401},
		{name: "403 refuses", answer: func() ([]byte, error) { return []byte(`{"statusCode":403}`), nil }, wantStatus: 403},
		{name: "function error refuses with 500", answer: func() ([]byte, error) { return nil, errors.New("boom") }, wantStatus: 500},
		{name: "status 0 is malformed: 500", answer: func() ([]byte, error) { return []byte(`{"statusCode":0}`), nil }, wantStatus: 500},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			answer := func(fn string, ev events.APIGatewayWebsocketProxyRequest) ([]byte, error) {
				if fn == "connect" && tc.answer != nil {
					return tc.answer()
				}
				return []byte(`{"statusCode":200}`), nil
			}
			h := newHarness(t, answer, func(c *wsapi.Config) {
				if tc.noRoute {
					c.Routes = []wsapi.Route{{Key: "$disconnect", Function: "disconnect"}}
				}
			})
			c, resp, err := websocket.Dial(context.Background(), h.wsURL+"?client=a", nil)
			if tc.wantStatus == 0 {
				if err != nil {
					t.Fatalf("dial: %v", err)
				}
				defer c.CloseNow()
				if n := h.srv.Connections(); n != 1 {
					t.Fatalf("%d connections stored", n)
				}
				return
			}
			if err == nil {
				c.CloseNow()
				t.Fatal("upgrade accepted")
			}
			if resp == nil || resp.StatusCode != tc.wantStatus {
				t.Fatalf("response %v, want status %d", resp, tc.wantStatus)
			}
			if n := h.srv.Connections(); n != 0 {
				t.Fatalf("%d connections stored after a refusal", n)
			}
			id := h.lambda.connectionID(t, "a")
			_, err = h.api.GetConnection(context.Background(), &apigatewaymanagementapi.GetConnectionInput{ConnectionId: aws.String(id)})
			if !isGone(err) {
				t.Fatalf("GetConnection after a refusal: %v, want GoneException", err)
			}
			if n := h.lambda.count("disconnect"); n != 0 {
				t.Fatalf("$disconnect invoked %d times for a refused connection", n)
			}
			if recs := h.recordsOf("CONNECT"); len(recs) != 1 || recs[0].Status != tc.wantStatus {
				t.Fatalf("CONNECT records %+v", recs)
			}
		})
	}
}

func TestSubprotocolChosenByConnect(t *testing.T) {
	h := newHarness(t, func(fn string, ev events.APIGatewayWebsocketProxyRequest) ([]byte, error) {
		return []byte(`{"statusCode":200,"headers":{"Sec-WebSocket-Protocol":"orion.v1"}}`), nil
	}, nil)
	c, _, err := websocket.Dial(context.Background(), h.wsURL+"?client=a", &websocket.DialOptions{Subprotocols: []string{"orion.v1", "other"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if got := c.Subprotocol(); got != "orion.v1" {
		t.Fatalf("subprotocol %q", got)
	}
}

// The subprotocols a client offers reach $connect as API Gateway passes them: the one
// Sec-WebSocket-Protocol header, in the browser's spelling, which is how a client can send a token
// without putting it in the URL (docs/adr/0016); the function's choice goes back, and only it.
func TestSubprotocolOfferReachesConnect(t *testing.T) {
	h := newHarness(t, func(fn string, ev events.APIGatewayWebsocketProxyRequest) ([]byte, error) {
		if fn == "connect" {
			return []byte(`{"statusCode":200,"headers":{"Sec-WebSocket-Protocol":"orion.v1"}}`), nil
		}
		return []byte(`{"statusCode":200}`), nil
	}, nil)
	c, resp, err := websocket.Dial(context.Background(), h.wsURL, &websocket.DialOptions{Subprotocols: []string{"orion.v1", "orion.token.aaa.bbb.ccc"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if offered := h.lambda.events("connect")[0].Headers["Sec-WebSocket-Protocol"]; offered != "orion.v1,orion.token.aaa.bbb.ccc" {
		t.Fatalf("$connect saw Sec-WebSocket-Protocol %q", offered)
	}
	if got := resp.Header.Values("Sec-WebSocket-Protocol"); len(got) != 1 || got[0] != "orion.v1" {
		t.Fatalf("the upgrade answered Sec-WebSocket-Protocol %q", got)
	}
}

func TestNotAnUpgrade(t *testing.T) {
	h := newHarness(t, nil, nil)
	resp, err := http.Get(strings.Replace(h.wsURL, "ws://", "http://", 1))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUpgradeRequired || h.lambda.count("connect") != 0 {
		t.Fatalf("status %d, $connect calls %d", resp.StatusCode, h.lambda.count("connect"))
	}
}

func TestMessageRouting(t *testing.T) {
	h := newHarness(t, nil, nil)
	c, id := h.dial(t, "a")
	cases := []struct {
		name     string
		typ      websocket.MessageType
		msg      string
		function string
		routeKey string
		base64   bool
	}{
		{"action selects its route", websocket.MessageText, `{"action":"subscribe","orderId":"o-1"}`, "subscribe", "subscribe", false},
		{"unknown action goes to $default", websocket.MessageText, `{"action":"nope"}`, "default", "$default", false},
		{"no action goes to $default", websocket.MessageText, `{"other":1}`, "default", "$default", false},
		{"non-JSON goes to $default", websocket.MessageText, `hello`, "default", "$default", false},
		{"binary goes to $default, base64", websocket.MessageBinary, "\x00\x01bin", "default", "$default", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := h.lambda.count(tc.function)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := c.Write(ctx, tc.typ, []byte(tc.msg)); err != nil {
				t.Fatal(err)
			}
			eventually(t, tc.function+" invoked", func() bool { return h.lambda.count(tc.function) > before })
			evs := h.lambda.events(tc.function)
			ev := evs[len(evs)-1]
			rc := ev.RequestContext
			if rc.RouteKey != tc.routeKey || rc.EventType != "MESSAGE" || rc.ConnectionID != id || rc.MessageDirection != "IN" {
				t.Fatalf("requestContext %+v", rc)
			}
			if id, _ := rc.MessageID.(string); !idShape.MatchString(id) {
				t.Fatalf("messageId %v", rc.MessageID)
			}
			body := ev.Body
			if tc.base64 {
				b, err := base64.StdEncoding.DecodeString(ev.Body)
				if err != nil {
					t.Fatal(err)
				}
				body = string(b)
			}
			if body != tc.msg || ev.IsBase64Encoded != tc.base64 {
				t.Fatalf("body %q base64 %v", ev.Body, ev.IsBase64Encoded)
			}
		})
	}
}

func TestRouteSelectionPath(t *testing.T) {
	h := newHarness(t, func(string, events.APIGatewayWebsocketProxyRequest) ([]byte, error) {
		return []byte(`{"statusCode":200,"body":"routed"}`), nil
	}, func(c *wsapi.Config) { c.RouteSelectionExpression = "${request.body.meta.type}" })
	c, _ := h.dial(t, "a")
	write(t, c, `{"meta":{"type":"subscribe"}}`)
	if got := read(t, c); got != "routed" || h.lambda.count("subscribe") != 1 {
		t.Fatal("nested selection did not route")
	}
}

func TestTwoWayAndErrors(t *testing.T) {
	h := newHarness(t, func(fn string, ev events.APIGatewayWebsocketProxyRequest) ([]byte, error) {
		switch fn {
		case "subscribe":
			return []byte(`{"statusCode":200,"body":"subscribed"}`), nil
		case "raw":
			return []byte(`{"hello":"world"}`), nil
		case "default":
			return []byte(`{"statusCode":200,"body":"one-way routes send nothing"}`), nil
		case "fail":
			return nil, errors.New("handler crashed")
		}
		return []byte(`{"statusCode":200}`), nil
	}, nil)
	c, id := h.dial(t, "a")
	cases := []struct {
		name, msg, want string
	}{
		{"proxy body is the reply", `{"action":"subscribe"}`, "subscribed"},
		{"a non-proxy result is sent as is", `{"action":"raw"}`, `{"hello":"world"}`},
		{"one-way route sends nothing", `{"action":"none"}`, ""},
		{"function error", `{"action":"fail"}`, `"message": "Internal server error"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			write(t, c, tc.msg)
			if tc.want == "" {
				eventually(t, "$default invoked", func() bool { return h.lambda.count("default") == 1 })
				// Nothing was queued: the next frame the client sees is this post.
				if err := h.post(t, id, "marker"); err != nil {
					t.Fatal(err)
				}
				if got := read(t, c); got != "marker" {
					t.Fatalf("got %q before the marker", got)
				}
				return
			}
			got := read(t, c)
			if !strings.Contains(got, tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			if strings.Contains(tc.want, "Internal server error") && !strings.Contains(got, `"connectionId":"`+id+`"`) {
				t.Fatalf("error message without the connection id: %s", got)
			}
		})
	}
}

func TestNoDefaultRouteIsForbidden(t *testing.T) {
	h := newHarness(t, func(fn string, ev events.APIGatewayWebsocketProxyRequest) ([]byte, error) {
		return []byte(`{"statusCode":200,"body":"ok"}`), nil
	}, func(c *wsapi.Config) {
		c.Routes = []wsapi.Route{{Key: "$connect", Function: "connect"}, {Key: "subscribe", Function: "subscribe", TwoWay: true}}
	})
	c, id := h.dial(t, "a")
	write(t, c, `{"action":"unknown"}`)
	var got struct{ Message, ConnectionID, RequestID string }
	if err := json.Unmarshal([]byte(read(t, c)), &got); err != nil {
		t.Fatal(err)
	}
	if got.Message != "Forbidden" || got.ConnectionID != id || got.RequestID == "" {
		t.Fatalf("got %+v", got)
	}
	// The connection stays open.
	write(t, c, `{"action":"subscribe"}`)
	if r := read(t, c); r != "ok" {
		t.Fatalf("after Forbidden: %q", r)
	}
}

func TestPostDeliversToTheRightClient(t *testing.T) {
	h := newHarness(t, nil, nil)
	a, idA := h.dial(t, "a")
	b, idB := h.dial(t, "b")
	if err := h.post(t, idA, `{"status":"CONFIRMED"}`); err != nil {
		t.Fatal(err)
	}
	if got := read(t, a); got != `{"status":"CONFIRMED"}` {
		t.Fatalf("a got %q", got)
	}
	if err := h.post(t, idB, "for-b"); err != nil {
		t.Fatal(err)
	}
	if got := read(t, b); got != "for-b" {
		t.Fatalf("b's first message is %q: it got a's", got)
	}
	if recs := h.recordsOf("POST"); len(recs) != 2 || recs[0].Status != 200 || recs[0].Bytes != len(`{"status":"CONFIRMED"}`) {
		t.Fatalf("POST records %+v", recs)
	}
}

func TestGetConnection(t *testing.T) {
	h := newHarness(t, nil, nil)
	before := time.Now().Add(-time.Second)
	c, id := h.dial(t, "a")
	get := func() *apigatewaymanagementapi.GetConnectionOutput {
		out, err := h.api.GetConnection(context.Background(), &apigatewaymanagementapi.GetConnectionInput{ConnectionId: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	out := get()
	if out.ConnectedAt == nil || out.ConnectedAt.Before(before) || out.ConnectedAt.After(time.Now()) {
		t.Fatalf("ConnectedAt %v", out.ConnectedAt)
	}
	if out.Identity == nil || aws.ToString(out.Identity.SourceIp) != "127.0.0.1" || aws.ToString(out.Identity.UserAgent) != "wsapi-test" {
		t.Fatalf("Identity %+v", out.Identity)
	}
	if out.LastActiveAt == nil || out.LastActiveAt.Before(*out.ConnectedAt) {
		t.Fatalf("LastActiveAt %v", out.LastActiveAt)
	}
	first := *out.LastActiveAt
	time.Sleep(20 * time.Millisecond)
	write(t, c, `{"action":"other"}`)
	eventually(t, "message", func() bool { return h.lambda.count("default") == 1 })
	if later := get().LastActiveAt; !later.After(first) {
		t.Fatalf("LastActiveAt did not move: %v then %v", first, later)
	}
}

func TestDeleteConnection(t *testing.T) {
	h := newHarness(t, nil, nil)
	c, id := h.dial(t, "a")
	_, err := h.api.DeleteConnection(context.Background(), &apigatewaymanagementapi.DeleteConnectionInput{ConnectionId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	if st := closeStatus(t, c); st != websocket.StatusNormalClosure {
		t.Fatalf("client saw close status %v", st)
	}
	eventually(t, "$disconnect", func() bool { return h.lambda.count("disconnect") == 1 })
	if err := h.post(t, id, "late"); !isGone(err) {
		t.Fatalf("post after delete: %v", err)
	}
	_, err = h.api.DeleteConnection(context.Background(), &apigatewaymanagementapi.DeleteConnectionInput{ConnectionId: aws.String(id)})
	if !isGone(err) {
		t.Fatalf("second delete: %v", err)
	}
	h.srv.Close()
	if n := h.lambda.count("disconnect"); n != 1 {
		t.Fatalf("$disconnect invoked %d times", n)
	}
	ev := h.lambda.events("disconnect")[0]
	rc := ev.RequestContext
	if rc.RouteKey != "$disconnect" || rc.EventType != "DISCONNECT" || rc.ConnectionID != id || rc.DisconnectStatusCode != 1000 || rc.DisconnectReason == nil {
		t.Fatalf("disconnect event %+v", rc)
	}
	if recs := h.recordsOf("DELETE"); len(recs) != 2 || recs[0].Status != 204 || recs[1].Status != 410 {
		t.Fatalf("DELETE records %+v", recs)
	}
}

func TestGoneAndEndpoints(t *testing.T) {
	h := newHarness(t, nil, nil)
	_, id := h.dial(t, "a")
	cases := []struct {
		name     string
		endpoint string
		id       string
		check    func(error) bool
	}{
		{"unknown id is gone", h.mgmt.URL + "/dev", "AAAAAAAAAAAAAAA=", isGone},
		{"endpoint without the stage", h.mgmt.URL, id, func(err error) bool { return err == nil }},
		{"endpoint with the stage", h.mgmt.URL + "/dev", id, func(err error) bool { return err == nil }},
		{"another stage is forbidden", h.mgmt.URL + "/prod", id, func(err error) bool {
			var fe *types.ForbiddenException
			return errors.As(err, &fe)
		}},
		{"payload over 128 KB", h.mgmt.URL, id, func(err error) bool {
			var pe *types.PayloadTooLargeException
			return errors.As(err, &pe)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := []byte("x")
			if strings.Contains(tc.name, "128 KB") {
				data = make([]byte, 128<<10+1)
			}
			_, err := managementClient(tc.endpoint).PostToConnection(context.Background(),
				&apigatewaymanagementapi.PostToConnectionInput{ConnectionId: aws.String(tc.id), Data: data})
			if !tc.check(err) {
				t.Fatalf("err = %v (%T)", err, err)
			}
		})
	}
}

func TestClientEndsConnection(t *testing.T) {
	cases := []struct {
		name       string
		end        func(t *testing.T, c *websocket.Conn)
		wantCode   int64
		wantReason string
	}{
		{"close frame", func(t *testing.T, c *websocket.Conn) { c.Close(websocket.StatusNormalClosure, "bye") }, 1000, "bye"},
		{"close frame without status", func(t *testing.T, c *websocket.Conn) { c.Close(websocket.StatusNoStatusRcvd, "") }, 1005, "Client-side close frame status not set"},
		{"dropped socket", func(t *testing.T, c *websocket.Conn) { c.CloseNow() }, 1006, "Connection closed abnormally"},
		{"message over 128 KB", func(t *testing.T, c *websocket.Conn) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c.Write(ctx, websocket.MessageText, make([]byte, 128<<10+1))
			if st := closeStatus(t, c); st != websocket.StatusMessageTooBig {
				t.Errorf("client saw close status %v, want 1009", st)
			}
		}, 1009, "Message too big"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil, nil)
			c, id := h.dial(t, "a")
			tc.end(t, c)
			eventually(t, "$disconnect", func() bool { return h.lambda.count("disconnect") == 1 })
			rc := h.lambda.events("disconnect")[0].RequestContext
			if rc.ConnectionID != id || rc.DisconnectStatusCode != tc.wantCode || rc.DisconnectReason == nil || *rc.DisconnectReason != tc.wantReason {
				t.Fatalf("disconnect %d %v", rc.DisconnectStatusCode, rc.DisconnectReason)
			}
			if err := h.post(t, id, "late"); !isGone(err) {
				t.Fatalf("post after the client left: %v", err)
			}
		})
	}
}

func TestTimeouts(t *testing.T) {
	cases := []struct {
		name       string
		cfg        func(*wsapi.Config)
		chatter    bool // send a message every 50 ms
		wantReason string
	}{
		{"idle timeout", func(c *wsapi.Config) { c.IdleTimeout = 200 * time.Millisecond }, false, "Going away: idle timeout"},
		{"max lifetime despite activity", func(c *wsapi.Config) { c.MaxLifetime = 300 * time.Millisecond }, true, "Going away: maximum connection duration"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil, tc.cfg)
			c, _ := h.dial(t, "a")
			start := time.Now()
			stop := make(chan struct{})
			defer close(stop)
			if tc.chatter {
				go func() {
					for {
						select {
						case <-stop:
							return
						case <-time.After(50 * time.Millisecond):
							if c.Write(context.Background(), websocket.MessageText, []byte(`{"action":"ping"}`)) != nil {
								return
							}
						}
					}
				}()
			}
			if st := closeStatus(t, c); st != websocket.StatusGoingAway {
				t.Fatalf("close status %v", st)
			}
			if d := time.Since(start); d < 150*time.Millisecond {
				t.Fatalf("closed after %v", d)
			}
			eventually(t, "$disconnect", func() bool { return h.lambda.count("disconnect") == 1 })
			rc := h.lambda.events("disconnect")[0].RequestContext
			if rc.DisconnectStatusCode != 1001 || *rc.DisconnectReason != tc.wantReason {
				t.Fatalf("disconnect %d %q", rc.DisconnectStatusCode, *rc.DisconnectReason)
			}
		})
	}
}

// A client that never reads must not slow posts to anyone else, and posts to it must fail
// quickly rather than hang.
func TestStuckClientDoesNotBlockOthers(t *testing.T) {
	const writeTimeout = time.Second
	h := newHarness(t, nil, func(c *wsapi.Config) {
		c.WriteTimeout = writeTimeout
		c.SendQueue = 2
	})
	_, stuckID := h.dial(t, "stuck") // never read
	good, goodID := h.dial(t, "good")

	var (
		flooding         atomic.Bool
		gone, throttled  atomic.Int64
		slowestStuckPost atomic.Int64
	)
	flooding.Store(true)
	big := strings.Repeat("x", 120<<10)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				start := time.Now()
				err := h.post(t, stuckID, big)
				if d := int64(time.Since(start)); d > slowestStuckPost.Load() {
					slowestStuckPost.Store(d)
				}
				var le *types.LimitExceededException
				switch {
				case isGone(err):
					gone.Add(1)
					return
				case errors.As(err, &le):
					throttled.Add(1)
				case err != nil:
					t.Errorf("post to the stuck client: %v", err)
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); flooding.Store(false) }()

	var posts int
	var slowest time.Duration
	for flooding.Load() {
		start := time.Now()
		if err := h.post(t, goodID, "tick"); err != nil {
			t.Fatal(err)
		}
		if got := read(t, good); got != "tick" {
			t.Fatalf("good client got %q", got)
		}
		slowest = max(slowest, time.Since(start))
		posts++
	}
	wg.Wait()
	t.Logf("%d posts to the good client while flooding, slowest %v; stuck: %d throttled, slowest post %v",
		posts, slowest, throttled.Load(), time.Duration(slowestStuckPost.Load()))
	if gone.Load() == 0 {
		t.Fatal("the stuck client was never dropped")
	}
	if throttled.Load() == 0 {
		t.Error("no post was throttled while the stuck client's queue was full")
	}
	if slowest >= writeTimeout/2 {
		t.Errorf("a post to the good client took %v while another client was stuck", slowest)
	}
	if d := time.Duration(slowestStuckPost.Load()); d > writeTimeout+time.Second {
		t.Errorf("a post to the stuck client hung for %v", d)
	}
	eventually(t, "$disconnect of the stuck client", func() bool { return h.lambda.count("disconnect") == 1 })
	if rc := h.lambda.events("disconnect")[0].RequestContext; rc.ConnectionID != stuckID || rc.DisconnectStatusCode != 1006 {
		t.Fatalf("disconnect %+v", rc)
	}
}

func TestCloseDisconnectsAll(t *testing.T) {
	h := newHarness(t, nil, nil)
	var clients []*websocket.Conn
	for _, name := range []string{"a", "b", "c"} {
		c, _ := h.dial(t, name)
		clients = append(clients, c)
	}
	done := make(chan []websocket.StatusCode)
	go func() {
		var st []websocket.StatusCode
		for _, c := range clients {
			st = append(st, closeStatus(t, c))
		}
		done <- st
	}()
	if err := h.srv.Close(); err != nil {
		t.Fatal(err)
	}
	// Close returns after every $disconnect has run.
	if n := h.lambda.count("disconnect"); n != 3 {
		t.Fatalf("$disconnect invoked %d times", n)
	}
	for i, st := range <-done {
		if st != websocket.StatusGoingAway {
			t.Errorf("client %d saw %v", i, st)
		}
	}
	if n := h.srv.Connections(); n != 0 {
		t.Fatalf("%d connections left", n)
	}
	if _, _, err := websocket.Dial(context.Background(), h.wsURL, nil); err == nil {
		t.Fatal("a closed server accepted a connection")
	}
	h.srv.Close()
	if n := h.lambda.count("disconnect"); n != 3 {
		t.Fatalf("$disconnect invoked %d times after a second Close", n)
	}
}

func TestNewValidates(t *testing.T) {
	cases := []struct {
		name string
		cfg  wsapi.Config
	}{
		{"header selection", wsapi.Config{RouteSelectionExpression: "$request.header.x"}},
		{"empty path", wsapi.Config{RouteSelectionExpression: "$request.body."}},
		{"duplicate route", wsapi.Config{Routes: []wsapi.Route{{Key: "a", Function: "f"}, {Key: "a", Function: "g"}}}},
		{"two-way $connect", wsapi.Config{Routes: []wsapi.Route{{Key: "$connect", Function: "f", TwoWay: true}}}},
		{"route without function", wsapi.Config{Routes: []wsapi.Route{{Key: "a"}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := wsapi.New(tc.cfg, &fakeLambda{}); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// An injected drop ends the connection as a lost network would: the client sees 1006, $disconnect
// runs once with 1006, the post that met the drop and every later one answer 410; other connections
// are untouched.
func TestInjectedDrop(t *testing.T) {
	var victim atomic.Value
	victim.Store("")
	h := newHarness(t, nil, func(c *wsapi.Config) {
		c.Drop = func(id string) bool { return id == victim.Load().(string) }
	})
	a, idA := h.dial(t, "a")
	b, idB := h.dial(t, "b")
	victim.Store(idA)
	if err := h.post(t, idA, "lost"); !isGone(err) {
		t.Fatalf("post to the dropped connection: %v", err)
	}
	if st := closeStatus(t, a); st != -1 && st != websocket.StatusAbnormalClosure {
		t.Fatalf("client saw close status %v; want none (1006)", st)
	}
	eventually(t, "$disconnect", func() bool { return h.lambda.count("disconnect") == 1 })
	rc := h.lambda.events("disconnect")[0].RequestContext
	if rc.ConnectionID != idA || rc.DisconnectStatusCode != 1006 {
		t.Fatalf("disconnect of %s with %d", rc.ConnectionID, rc.DisconnectStatusCode)
	}
	if err := h.post(t, idA, "late"); !isGone(err) {
		t.Fatalf("post after the drop: %v", err)
	}
	if err := h.post(t, idB, "still here"); err != nil {
		t.Fatal(err)
	}
	if got := read(t, b); got != "still here" {
		t.Fatalf("other client read %q", got)
	}
}
