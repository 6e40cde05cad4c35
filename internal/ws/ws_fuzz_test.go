package ws_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/ws"
)

// Any message a client sends is answered with a JSON reply naming its type, never a Go error (API
// Gateway's "Internal server error", the WebSocket 5xx), and never with another customer's order.
func FuzzMessages(f *testing.F) {
	for _, s := range []string{`{"action":"ping"}`, `{"action":"subscribe","orderId":"` + ownOrder + `"}`,
		`{"action":"subscribe","orderId":"` + otherOrder + `"}`, `{"action":"subscribe","all":true}`,
		`{"action":"unsubscribe","all":true}`, `not json`, `[]`, `{"action":1}`, ``} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		s := newStore()
		s.conns["cust"] = ws.Connection{ID: "cust", UserID: "cust-1"}
		m := ws.Messages{Store: s, Orders: orders{ownOrder: anOrder(t, ownOrder, "cust-1", order.Pending, 1),
			otherOrder: anOrder(t, otherOrder, "cust-2", order.Pending, 1)}}
		resp, err := m.Handle(context.Background(), wsReq("cust", "$default", body, nil))
		if err != nil {
			t.Fatalf("a client's message made an error: %v", err)
		}
		var reply map[string]any
		if err := json.Unmarshal([]byte(resp.Body), &reply); err != nil || reply["type"] == nil {
			t.Fatalf("reply %q is not a typed JSON message", resp.Body)
		}
		if reply["type"] == "subscribed" && (reply["orderId"] == otherOrder || reply["all"] == true) {
			t.Fatalf("a customer subscribed to %v", reply)
		}
		if strings.Contains(resp.Body, "cust-2") {
			t.Fatalf("another customer's data in %s", resp.Body)
		}
	})
}

// Any EventBridge event reaching the notifier is either pushed to its order's owner or refused with an
// error (dead-lettered after retries); a malformed one pushes nothing.
func FuzzNotifierEvent(f *testing.F) {
	data, _ := json.Marshal(ref("PENDING", 1))
	good, _ := json.Marshal(event.Envelope{ID: "ev-1", Type: event.TypeOrderPlaced, Version: 1, Source: "orion.orders", OccurredAt: at,
		CorrelationID: "corr-1", Data: data})
	f.Add(good)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"id":"e","type":"OrderPlaced","version":1,"data":{"orderId":""}}`))
	f.Fuzz(func(t *testing.T, detail []byte) {
		s := newStore()
		s.conns["c1"] = ws.Connection{ID: "c1", UserID: "cust-1"}
		p := &poster{}
		err := (&ws.Notifier{Store: s, Poster: p}).HandleEvent(context.Background(), events.EventBridgeEvent{ID: "x", Detail: detail})
		if _, decodeErr := event.Decode(detail); decodeErr != nil && err == nil {
			t.Fatalf("an undecodable event was accepted")
		}
		for conn, posts := range p.posts {
			for _, msg := range posts {
				if conn != "c1" || !strings.Contains(msg, `"order.status"`) {
					t.Fatalf("pushed %s to %s", msg, conn)
				}
			}
		}
	})
}
