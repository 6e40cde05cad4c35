package ws_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orion-oss/orion/internal/auth"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/platform/metrics"
	"github.com/orion-oss/orion/internal/ws"
)

var at = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func wsReq(connID, route, body string, query map[string]string) ws.Request {
	return ws.Request{Body: body, QueryStringParameters: query,
		RequestContext: events.APIGatewayWebsocketProxyRequestContext{ConnectionID: connID, RouteKey: route, RequestID: "req-1"}}
}

func TestConnect(t *testing.T) {
	tests := []struct {
		name      string
		tokens    fakeTokens
		token     string
		status    int
		wantErr   bool
		storeFail bool
	}{
		{"customer", fakeTokens{id: auth.Identity{Customer: "cust-1"}}, "tok", 200, false, false},
		{"admin", fakeTokens{id: auth.Identity{Customer: "adm-1", Admin: true}}, "tok", 200, false, false},
		{"no token", fakeTokens{}, "", 401, false, false},
		{"invalid token", fakeTokens{err: fmt.Errorf("%w: expired", auth.ErrInvalidToken)}, "tok", 401, false, false},
		{"token for another client", fakeTokens{err: fmt.Errorf("%w: client", auth.ErrTokenNotAccepted)}, "tok", 401, false, false},
		{"keys unavailable", fakeTokens{err: errBoom}, "tok", 0, true, false},
		{"table unavailable", fakeTokens{id: auth.Identity{Customer: "cust-1"}}, "tok", 0, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore()
			if tt.storeFail {
				s.failWith = errBoom
			}
			c := ws.Connector{Tokens: tt.tokens, Store: s, Now: func() time.Time { return at }}
			req := wsReq("conn-1", "$connect", "", nil)
			req.Headers = map[string]string{"Sec-WebSocket-Protocol": "orion.v1, orion.token." + tt.token}
			resp, err := c.Connect(context.Background(), req)
			if (err != nil) != tt.wantErr || resp.StatusCode != tt.status {
				t.Fatalf("status %d, err %v; want %d (error %v)", resp.StatusCode, err, tt.status, tt.wantErr)
			}
			conn, gerr := s.Get(context.Background(), "conn-1")
			if tt.status != 200 {
				if gerr == nil {
					t.Fatal("a refused connection was stored")
				}
				return
			}
			if gerr != nil || conn.UserID != tt.tokens.id.Customer || conn.Admin != tt.tokens.id.Admin ||
				!conn.ConnectedAt.Equal(at) || !conn.ExpiresAt.Equal(at.Add(2*time.Hour)) {
				t.Fatalf("stored %+v, %v", conn, gerr)
			}
		})
	}
}

func TestDisconnectForgetsTheConnection(t *testing.T) {
	s := newStore()
	s.conns["conn-1"] = ws.Connection{ID: "conn-1", UserID: "cust-1"}
	c := ws.Connector{Store: s}
	for range 2 { // API Gateway may call it again; deleting twice is fine
		if _, err := c.Disconnect(context.Background(), wsReq("conn-1", "$disconnect", "", nil)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Get(context.Background(), "conn-1"); !errors.Is(err, ws.ErrNoConnection) {
		t.Fatalf("still there: %v", err)
	}
}

const (
	ownOrder   = "01JDQ7Z3M6X9V0YB2C4D5E6F7G"
	otherOrder = "01JDQ7Z3M6X9V0YB2C4D5E6F7H"
	noOrder    = "01JDQ7Z3M6X9V0YB2C4D5E6F7J"
)

func TestMessages(t *testing.T) {
	tests := []struct {
		name      string
		conn      string
		body      string
		want      map[string]any
		wantCalls []string
	}{
		{"ping", "cust", `{"action":"ping"}`, map[string]any{"type": "pong"}, nil},
		{"unknown action", "cust", `{"action":"dance"}`, map[string]any{"type": "error", "code": "unknown_action", "action": "dance"}, nil},
		{"no action", "cust", `{"orderId":"x"}`, map[string]any{"type": "error", "code": "unknown_action"}, nil},
		{"not JSON", "cust", `hello`, map[string]any{"type": "error", "code": "bad_request"}, nil},
		{"JSON array", "cust", `[1]`, map[string]any{"type": "error", "code": "bad_request"}, nil},
		{"too large", "cust", `{"action":"ping","pad":"` + strings.Repeat("x", 5000) + `"}`, map[string]any{"type": "error", "code": "bad_request"}, nil},
		{"subscribe own order", "cust", `{"action":"subscribe","orderId":"` + ownOrder + `"}`,
			map[string]any{"type": "subscribed", "orderId": ownOrder, "status": "RESERVED", "orderVersion": 2.0}, []string{"unmute cust " + ownOrder}},
		{"subscribe someone else's order", "cust", `{"action":"subscribe","orderId":"` + otherOrder + `"}`,
			map[string]any{"type": "error", "code": "order_not_found", "orderId": otherOrder}, nil},
		{"subscribe a missing order", "cust", `{"action":"subscribe","orderId":"` + noOrder + `"}`,
			map[string]any{"type": "error", "code": "order_not_found", "orderId": noOrder}, nil},
		{"subscribe a malformed id", "cust", `{"action":"subscribe","orderId":"../x"}`, map[string]any{"type": "error", "code": "bad_request"}, nil},
		{"customer subscribes to all", "cust", `{"action":"subscribe","all":true}`, map[string]any{"type": "error", "code": "forbidden"}, nil},
		{"admin subscribes to someone's order", "admin", `{"action":"subscribe","orderId":"` + otherOrder + `"}`,
			map[string]any{"type": "subscribed", "orderId": otherOrder, "status": "CONFIRMED"}, []string{"watch admin order:" + otherOrder}},
		{"admin subscribes to all", "admin", `{"action":"subscribe","all":true}`, map[string]any{"type": "subscribed", "all": true}, []string{"watch admin all"}},
		{"admin unsubscribes from all", "admin", `{"action":"unsubscribe","all":true}`, map[string]any{"type": "unsubscribed", "all": true}, []string{"unwatch admin all"}},
		{"unsubscribe", "cust", `{"action":"unsubscribe","orderId":"` + ownOrder + `"}`,
			map[string]any{"type": "unsubscribed", "orderId": ownOrder}, []string{"mute cust " + ownOrder}},
		{"admin unsubscribes", "admin", `{"action":"unsubscribe","orderId":"` + otherOrder + `"}`,
			map[string]any{"type": "unsubscribed", "orderId": otherOrder}, []string{"mute admin " + otherOrder, "unwatch admin order:" + otherOrder}},
		{"unknown connection", "ghost", `{"action":"subscribe","orderId":"` + ownOrder + `"}`, map[string]any{"type": "error", "code": "not_connected"}, nil},
		// Past its token's exp a connection changes nothing; the sweeper is about to end it.
		{"expired connection subscribes", "expired", `{"action":"subscribe","orderId":"` + ownOrder + `"}`,
			map[string]any{"type": "error", "code": "token_expired", "action": "subscribe"}, nil},
		{"expired connection unsubscribes", "expired", `{"action":"unsubscribe","orderId":"` + ownOrder + `"}`,
			map[string]any{"type": "error", "code": "token_expired", "action": "unsubscribe"}, nil},
		{"expired connection pings", "expired", `{"action":"ping"}`, map[string]any{"type": "pong"}, nil},
		// The bounds: an error over the socket, and the store refused the change (its call left no mark).
		{"unsubscribe past the bound", "full", `{"action":"unsubscribe","orderId":"` + noOrder + `"}`,
			map[string]any{"type": "error", "code": "subscription_limit", "action": "unsubscribe"}, []string{"mute full " + noOrder}},
		{"unsubscribe again at the bound", "full", `{"action":"unsubscribe","orderId":"` + fullMuted(0) + `"}`,
			map[string]any{"type": "unsubscribed"}, []string{"mute full " + fullMuted(0)}},
		{"admin watches past the bound", "full-admin", `{"action":"subscribe","orderId":"` + otherOrder + `"}`,
			map[string]any{"type": "error", "code": "subscription_limit", "action": "subscribe"}, []string{"watch full-admin order:" + otherOrder}},
		{"admin watches all past the bound", "full-admin", `{"action":"subscribe","all":true}`,
			map[string]any{"type": "error", "code": "subscription_limit", "action": "subscribe"}, []string{"watch full-admin all"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore()
			s.conns["cust"] = ws.Connection{ID: "cust", UserID: "cust-1"}
			s.conns["admin"] = ws.Connection{ID: "admin", UserID: "adm-1", Admin: true}
			s.conns["expired"] = ws.Connection{ID: "expired", UserID: "cust-1", ExpiresAt: at}
			full := ws.Connection{ID: "full", UserID: "cust-1", ExpiresAt: at.Add(time.Second)}
			for i := range ws.MaxMuted {
				full.Muted = append(full.Muted, fullMuted(i))
			}
			s.conns["full"] = full
			s.conns["full-admin"] = ws.Connection{ID: "full-admin", UserID: "adm-1", Admin: true}
			for i := range ws.MaxWatches {
				s.watches["order:"+fullMuted(i)] = map[string]bool{"full-admin": true}
			}
			before := fmt.Sprint(s.conns, s.watches)
			m := ws.Messages{Store: s, Now: func() time.Time { return at }, Orders: orders{
				ownOrder:   anOrder(t, ownOrder, "cust-1", order.Reserved, 2),
				otherOrder: anOrder(t, otherOrder, "cust-2", order.Confirmed, 4),
			}}
			resp, err := m.Handle(context.Background(), wsReq(tt.conn, "$default", tt.body, nil))
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(resp.Body), &got); err != nil {
				t.Fatalf("body %q: %v", resp.Body, err)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Fatalf("reply %s: %s = %v; want %v", resp.Body, k, got[k], v)
				}
			}
			if got["type"] == "error" && got["message"] == "" {
				t.Fatalf("error without a message: %s", resp.Body)
			}
			if !slices.Equal(s.calls, tt.wantCalls) {
				t.Fatalf("store calls %v; want %v", s.calls, tt.wantCalls)
			}
			if got["type"] == "error" && fmt.Sprint(s.conns, s.watches) != before {
				t.Fatalf("an error changed the store")
			}
		})
	}
}

// fullMuted is the i-th order id a full connection muted.
func fullMuted(i int) string { return fmt.Sprintf("01JDQ7Z3M6X9V0YB2C4D5E%04d", i) }

func TestMessagesStoreFailure(t *testing.T) {
	s := newStore()
	s.conns["cust"] = ws.Connection{ID: "cust", UserID: "cust-1"}
	s.failWith = errBoom
	m := ws.Messages{Store: s, Orders: orders{ownOrder: anOrder(t, ownOrder, "cust-1", order.Pending, 1)}}
	// Our failure is an error (API Gateway answers "Internal server error"), not a made-up reply.
	if _, err := m.Handle(context.Background(), wsReq("cust", "subscribe", `{"action":"subscribe","orderId":"`+ownOrder+`"}`, nil)); !errors.Is(err, errBoom) {
		t.Fatalf("err = %v", err)
	}
}

func envelope(t *testing.T, id, typ string, ref event.OrderRef) event.Envelope {
	t.Helper()
	data, _ := json.Marshal(ref)
	return event.Envelope{ID: id, Type: typ, Version: 1, Source: "orion.orders", OccurredAt: at, CorrelationID: "corr-1", Data: data}
}

func ref(status string, version int64) event.OrderRef {
	return event.OrderRef{OrderID: ownOrder, CustomerID: "cust-1", Status: status, OrderVersion: version}
}

// notifyFixture: cust-1 has two connections (one muted the order), cust-2 one, an admin watches all
// orders and also this one (one push, not two), another admin watches nothing.
func notifyFixture() *store {
	s := newStore()
	s.conns["c1"] = ws.Connection{ID: "c1", UserID: "cust-1"}
	s.conns["c2"] = ws.Connection{ID: "c2", UserID: "cust-1"}
	s.conns["muted"] = ws.Connection{ID: "muted", UserID: "cust-1", Muted: []string{ownOrder}}
	s.conns["other"] = ws.Connection{ID: "other", UserID: "cust-2"}
	s.conns["admin"] = ws.Connection{ID: "admin", UserID: "adm-1", Admin: true}
	s.conns["idle-admin"] = ws.Connection{ID: "idle-admin", UserID: "adm-2", Admin: true}
	s.watches["all"] = map[string]bool{"admin": true}
	s.watches["order:"+ownOrder] = map[string]bool{"admin": true}
	return s
}

func TestNotifierFansOutToTheRightConnections(t *testing.T) {
	s, p := notifyFixture(), &poster{}
	var emf bytes.Buffer
	n := &ws.Notifier{Store: s, Poster: p, Metrics: metrics.New(&emf)}
	r := ref("REJECTED", 3)
	r.Reason = "OUT_OF_STOCK"
	if err := n.Handle(context.Background(), envelope(t, "ev-3", event.TypeOrderRejected, r)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(emf.String(), `"WebSocketPushes":3`) || !strings.Contains(emf.String(), `"StaleConnections":0`) {
		t.Fatalf("metrics %q; want 3 pushes, no stale connection", emf.String())
	}
	for id, want := range map[string]int{"c1": 1, "c2": 1, "admin": 1, "muted": 0, "other": 0, "idle-admin": 0} {
		if got := len(p.to(id)); got != want {
			t.Fatalf("%s got %d pushes; want %d", id, got, want)
		}
	}
	var msg map[string]any
	json.Unmarshal([]byte(p.to("c1")[0]), &msg)
	want := map[string]any{"type": "order.status", "orderId": ownOrder, "status": "REJECTED", "reason": "OUT_OF_STOCK",
		"occurredAt": "2025-03-01T12:00:00Z", "eventId": "ev-3", "orderVersion": 3.0}
	if len(msg) != len(want) {
		t.Fatalf("message %v; want %v", msg, want)
	}
	for k, v := range want {
		if msg[k] != v {
			t.Fatalf("message %v; want %v", msg, want)
		}
	}
}

// At least once in, no duplicates and no regressions out: the same event again, and an older event
// after a newer one, push nothing.
func TestNotifierIsIdempotentAndInOrder(t *testing.T) {
	s, p := notifyFixture(), &poster{}
	n := &ws.Notifier{Store: s, Poster: p}
	steps := []struct {
		id, typ, status string
		version         int64
	}{
		{"ev-1", event.TypeOrderPlaced, "PENDING", 1},
		{"ev-2", event.TypeInventoryReserved, "RESERVED", 2},
		{"ev-2", event.TypeInventoryReserved, "RESERVED", 2}, // duplicate delivery
		{"ev-4", event.TypeOrderConfirmed, "CONFIRMED", 4},
		{"ev-3", event.TypePaymentAuthorized, "PAYMENT_AUTHORIZED", 3}, // late, older
		{"ev-4", event.TypeOrderConfirmed, "CONFIRMED", 4},             // duplicate of the last
	}
	for _, st := range steps {
		if err := n.Handle(context.Background(), envelope(t, st.id, st.typ, ref(st.status, st.version))); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"c1", "c2", "admin"} {
		var got []string
		for _, m := range p.to(id) {
			var msg ws.Status
			json.Unmarshal([]byte(m), &msg)
			got = append(got, msg.Status)
		}
		if want := []string{"PENDING", "RESERVED", "CONFIRMED"}; !slices.Equal(got, want) {
			t.Fatalf("%s received %v; want %v", id, got, want)
		}
	}
}

func TestNotifierFailures(t *testing.T) {
	t.Run("gone connection is deleted, the others are served", func(t *testing.T) {
		s := notifyFixture()
		p := &poster{fail: func(ctx context.Context, id string) error {
			if id == "admin" {
				return fmt.Errorf("%w: %s", ws.ErrGone, id)
			}
			return nil
		}}
		if err := (&ws.Notifier{Store: s, Poster: p}).Handle(context.Background(), envelope(t, "ev-1", event.TypeOrderPlaced, ref("PENDING", 1))); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(context.Background(), "admin"); !errors.Is(err, ws.ErrNoConnection) {
			t.Fatal("the gone connection is still stored")
		}
		if !slices.Contains(s.calls, "delete admin [all order:"+ownOrder+"]") {
			t.Fatalf("its watches were not deleted with it: %v", s.calls)
		}
		if len(p.to("c1")) != 1 || len(p.to("c2")) != 1 {
			t.Fatal("the others were not served")
		}
	})
	t.Run("a failed post fails the invocation; the retry serves only what failed", func(t *testing.T) {
		s := notifyFixture()
		failing := true
		p := &poster{fail: func(ctx context.Context, id string) error {
			if id == "c2" && failing {
				return errBoom
			}
			return nil
		}}
		n := &ws.Notifier{Store: s, Poster: p}
		ev := envelope(t, "ev-1", event.TypeOrderPlaced, ref("PENDING", 1))
		if err := n.Handle(context.Background(), ev); !errors.Is(err, ws.ErrPushFailed) || !errors.Is(err, errBoom) {
			t.Fatalf("err = %v", err)
		}
		failing = false
		if err := n.Handle(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"c1", "c2", "admin"} {
			if n := len(p.to(id)); n != 1 {
				t.Fatalf("%s got %d pushes; want 1", id, n)
			}
		}
	})
	t.Run("a client that does not answer costs one post timeout, not the others' pushes", func(t *testing.T) {
		s := notifyFixture()
		p := &poster{fail: func(ctx context.Context, id string) error {
			if id == "c1" {
				<-ctx.Done() // never answers
				return ctx.Err()
			}
			return nil
		}}
		n := &ws.Notifier{Store: s, Poster: p, PostTimeout: 20 * time.Millisecond, Workers: 2}
		err := n.Handle(context.Background(), envelope(t, "ev-1", event.TypeOrderPlaced, ref("PENDING", 1)))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v", err)
		}
		if len(p.to("c2")) != 1 || len(p.to("admin")) != 1 {
			t.Fatal("the others were not served")
		}
	})
}

// A payment waiting for the customer (3-D Secure) keeps its status; the push tells the owner to act
// (GET /orders/{orderId} says where).
func TestNotifierPushesThePaymentAction(t *testing.T) {
	s, p := notifyFixture(), &poster{}
	data, _ := json.Marshal(event.PaymentActionRequired{OrderRef: ref("RESERVED", 3), AuthorizationID: "pi_1", ActionType: "redirect_to_url"})
	env := event.Envelope{ID: "ev-3", Type: event.TypePaymentActionRequired, Version: 1, Source: "orion.payments", OccurredAt: at, Data: data}
	if err := (&ws.Notifier{Store: s, Poster: p}).Handle(context.Background(), env); err != nil {
		t.Fatal(err)
	}
	if len(p.to("c1")) != 1 {
		t.Fatalf("c1 got %d pushes; want 1", len(p.to("c1")))
	}
	var msg ws.Status
	if err := json.Unmarshal([]byte(p.to("c1")[0]), &msg); err != nil {
		t.Fatal(err)
	}
	if msg.Status != "RESERVED" || msg.PaymentAction == nil || msg.PaymentAction.Type != "redirect_to_url" {
		t.Fatalf("message %+v; want RESERVED with the action's type", msg)
	}
	if strings.Contains(p.to("c1")[0], "pi_1") {
		t.Fatalf("the push carries the provider's payment id: %s", p.to("c1")[0])
	}
}

func TestNotifierRefusesBadEvents(t *testing.T) {
	tests := []struct {
		name string
		env  event.Envelope
	}{
		{"not a status event", envelope(t, "ev-1", event.TypeInventoryCommitted, ref("CONFIRMED", 4))},
		{"no order id", envelope(t, "ev-1", event.TypeOrderPlaced, event.OrderRef{CustomerID: "c", Status: "PENDING", OrderVersion: 1})},
		{"no version", envelope(t, "ev-1", event.TypeOrderPlaced, event.OrderRef{OrderID: ownOrder, CustomerID: "c", Status: "PENDING"})},
		{"data not an object", event.Envelope{ID: "ev-1", Type: event.TypeOrderPlaced, Data: json.RawMessage(`[1]`)}},
		{"an action without its redirect", envelope(t, "ev-1", event.TypePaymentActionRequired, ref("RESERVED", 3))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, p := notifyFixture(), &poster{}
			err := (&ws.Notifier{Store: s, Poster: p}).Handle(context.Background(), tt.env)
			if !errors.Is(err, ws.ErrNotStatusEvent) || len(p.posts) != 0 || len(s.calls) != 0 {
				t.Fatalf("err %v, posts %v, store calls %v", err, p.posts, s.calls)
			}
		})
	}
	// The Lambda entry point refuses an undecodable detail the same way: an error, nothing pushed.
	p := &poster{}
	if err := (&ws.Notifier{Store: notifyFixture(), Poster: p}).HandleEvent(context.Background(), events.EventBridgeEvent{ID: "x", Detail: json.RawMessage(`{}`)}); err == nil || len(p.posts) != 0 {
		t.Fatalf("err %v, posts %v", err, p.posts)
	}
}
