package ws_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orion-oss/orion/internal/adapter/dynamo"
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

// Any batch the projections stream may bring is pushed only to its order's owner (and watchers), as
// order.status messages, or reported for a retry; never a panic, never another customer's push.
func FuzzNotifierStream(f *testing.F) {
	f.Add([]byte(`{"Records":[{"eventName":"MODIFY","dynamodb":{"SequenceNumber":"1","Keys":{"pk":{"S":"ORDER#o1"},"sk":{"S":"VIEW"}},` +
		`"NewImage":{"customerId":{"S":"cust-1"},"h0000000001":{"M":{"status":{"S":"PENDING"},"at":{"S":"2025-03-01T12:00:00Z"},"e":{"S":"ev-1"}}}}}}]}`))
	f.Add([]byte(`{"Records":[{"eventName":"MODIFY","dynamodb":{"SequenceNumber":"1","Keys":{"pk":{"S":"ORDER#o1"},"sk":{"S":"VIEW"}},` +
		`"NewImage":{"customerId":{"S":"cust-1"},"n0000000002":{"S":"x"}}}}]}`))
	f.Add([]byte(`{"Records":[{"dynamodb":{"Keys":{"pk":{"S":"SKU#A"}}}}]}`))
	f.Fuzz(func(t *testing.T, batch []byte) {
		var ev events.DynamoDBEvent
		if json.Unmarshal(batch, &ev) != nil {
			return
		}
		s := newStore()
		s.conns["c1"] = ws.Connection{ID: "c1", UserID: "cust-1"}
		s.conns["c2"] = ws.Connection{ID: "c2", UserID: "cust-2"}
		p := &poster{}
		resp, err := (&ws.Notifier{Store: s, Poster: p, Changes: dynamo.ViewChangeOf}).HandleStream(context.Background(), ev)
		if err != nil || len(resp.BatchItemFailures) > len(ev.Records) {
			t.Fatalf("err %v, failures %v of %d records", err, resp.BatchItemFailures, len(ev.Records))
		}
		owners := map[string]bool{} // the connections of the customers whose views the batch wrote
		for _, r := range ev.Records {
			if c := r.Change.NewImage["customerId"]; c.DataType() == events.DataTypeString {
				owners[map[string]string{"cust-1": "c1", "cust-2": "c2"}[c.String()]] = true
			}
		}
		for conn, posts := range p.posts {
			for _, msg := range posts {
				if !owners[conn] || !strings.Contains(msg, `"order.status"`) {
					t.Fatalf("pushed %s to %s", msg, conn)
				}
			}
		}
	})
}
