package apigateway_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/coder/websocket"

	"github.com/orion-oss/orion/infra/engine/wsapi"
	"github.com/orion-oss/orion/internal/adapter/apigateway"
	"github.com/orion-oss/orion/internal/projection"
	"github.com/orion-oss/orion/internal/ws"
)

const ownOrder = "01JDQ7Z3M6X9V0YB2C4D5E6F7G"

// ownerConns is a NotifyStore of one user's connections that lets every push through: the benchmark
// leaves the connections table out.
type ownerConns struct{ conns []ws.Connection }

func (s *ownerConns) OfUser(context.Context, string) ([]ws.Connection, error)   { return s.conns, nil }
func (s *ownerConns) Watchers(context.Context, ...string) ([]ws.Watcher, error) { return nil, nil }
func (s *ownerConns) Claim(context.Context, string, string, int64) (int64, bool, error) {
	return 0, true, nil
}
func (s *ownerConns) Unclaim(context.Context, string, string, int64, int64) error { return nil }
func (s *ownerConns) Delete(context.Context, string, ...string) error             { return nil }

// BenchmarkNotifierFanOut measures the notifier's fan-out of one status change to n connections of the
// order's owner: its worker pool and per-post timeout, the real apigatewaymanagementapi client (SigV4,
// retries, HTTP) and the local gateway's @connections API, until every client has read the message.
// The connections store is an in-memory fake, so the number leaves DynamoDB out: add one conditional
// write per connection for the table's share.
func BenchmarkNotifierFanOut(b *testing.B) {
	for _, n := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("conns=%d", n), func(b *testing.B) { benchNotifier(b, n) })
	}
}

func benchNotifier(b *testing.B, n int) {
	// The gateway records a CONNECT once the 101 is written, so a client's Dial can return before it:
	// the ids are taken from the records, waiting for all n.
	connects := make(chan string, n)
	gw, err := wsapi.New(wsapi.Config{Stage: "dev", Routes: []wsapi.Route{{Key: "$connect", Function: "connect"}},
		OnRecord: func(r wsapi.Record) {
			if r.Kind == "CONNECT" {
				connects <- r.ConnectionID
			}
		}}, acceptAll{})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(gw)
	defer srv.Close()
	mgmt := httptest.NewServer(gw.Management())
	defer mgmt.Close()

	received := make(chan struct{}, n)
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
				received <- struct{}{}
			}
		}()
	}
	defer readers.Wait()
	defer gw.Close() // ends the readers before readers.Wait

	s := &ownerConns{}
	for i := range n {
		select {
		case id := <-connects:
			s.conns = append(s.conns, ws.Connection{ID: id, UserID: "cust-1"})
		case <-time.After(10 * time.Second):
			b.Fatalf("%d of %d connections recorded", i, n)
		}
	}
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	// One stream record per round, a write of the order's view that added a CONFIRMED notice.
	var change projection.ViewChange
	read := func(events.DynamoDBEventRecord) (projection.ViewChange, error) { return change, nil }
	notifier := &ws.Notifier{Store: s, Poster: apigateway.Poster{Client: apigateway.NewManagementClient(cfg, mgmt.URL+"/dev")}, Changes: read}

	version := int64(0)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		version++ // a new status each round, as the guard lets only newer versions through
		change = projection.ViewChange{OrderID: ownOrder, CustomerID: "cust-1", Notices: []projection.Notice{{OrderVersion: version,
			EventID: fmt.Sprintf("ev-%d", version), CorrelationID: "bench", OccurredAt: time.Now(), Status: "CONFIRMED"}}}
		resp, err := notifier.HandleStream(context.Background(), events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{{
			Change: events.DynamoDBStreamRecord{SequenceNumber: fmt.Sprint(version)}}}})
		if err != nil || len(resp.BatchItemFailures) != 0 {
			b.Fatal(err, resp.BatchItemFailures)
		}
		// go test's -timeout does not cover benchmarks: a lost message must fail the run, not hang it.
		deadline := time.After(10 * time.Second)
		for i := range n {
			select {
			case <-received:
			case <-deadline:
				b.Fatalf("%d of %d clients read the status within 10 s", i, n)
			}
		}
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N*n), "ns/delivery")
}
