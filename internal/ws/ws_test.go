package ws_test

import (
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
	"github.com/orion-oss/orion/internal/order"
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
