package ws_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/coder/websocket"

	"github.com/orion-oss/orion/infra/wsapi"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/ws"
)

// acceptAll is the gateway's $connect: every connection is accepted.
type acceptAll struct{}

func (acceptAll) Invoke(context.Context, string, []byte) ([]byte, error) {
	return []byte(`{"statusCode":200}`), nil
}

// BenchmarkNotifierFanOut measures the notifier's fan-out of one status change to n connections of the
// order's owner: its worker pool and per-post timeout, the real apigatewaymanagementapi client (SigV4,
// retries, HTTP) and the local gateway's @connections API, until every client has read the message.
// The connections store is the package's in-memory fake, so the number leaves DynamoDB out: add one
// conditional write per connection for the table's share.
func BenchmarkNotifierFanOut(b *testing.B) {
	for _, n := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("conns=%d", n), func(b *testing.B) { benchNotifier(b, n) })
	}
}

func benchNotifier(b *testing.B, n int) {
	var mu sync.Mutex
	var ids []string
	gw, err := wsapi.New(wsapi.Config{Stage: "dev", Routes: []wsapi.Route{{Key: "$connect", Function: "connect"}},
		OnRecord: func(r wsapi.Record) {
			if r.Kind == "CONNECT" {
				mu.Lock()
				ids = append(ids, r.ConnectionID)
				mu.Unlock()
			}
		}}, acceptAll{})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(gw)
	defer srv.Close()
	mgmt := httptest.NewServer(gw.Management())
	defer mgmt.Close()

	var received sync.WaitGroup
	var readers sync.WaitGroup
	for range n {
		c, _, err := websocket.Dial(context.Background(), "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
		if err != nil {
			b.Fatal(err)
		}
		defer c.CloseNow()
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				if _, _, err := c.Read(context.Background()); err != nil {
					return
				}
				received.Done()
			}
		}()
	}
	defer readers.Wait()
	defer gw.Close() // ends the readers before readers.Wait

	s := newStore()
	for _, id := range ids {
		s.conns[id] = ws.Connection{ID: id, UserID: "cust-1"}
	}
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	notifier := &ws.Notifier{Store: s, Poster: ws.ManagementAPI{Client: ws.NewManagementClient(cfg, mgmt.URL+"/dev")}}

	version := int64(0)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		version++ // a new status each round, as the guard lets only newer versions through
		data, _ := json.Marshal(event.OrderRef{OrderID: ownOrder, CustomerID: "cust-1", Status: "CONFIRMED", OrderVersion: version})
		received.Add(n)
		env := event.Envelope{ID: fmt.Sprintf("ev-%d", version), Type: event.TypeOrderConfirmed, Version: 1, Source: "orion.orders",
			OccurredAt: time.Now(), CorrelationID: "bench", Data: data}
		if err := notifier.Handle(context.Background(), env); err != nil {
			b.Fatal(err)
		}
		received.Wait()
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N*n), "ns/delivery")
}
