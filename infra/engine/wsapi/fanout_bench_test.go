package wsapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/orion-oss/orion/infra/engine/wsapi"
)

// BenchmarkFanOut posts one message to every open connection through the Management handler, as
// the notifier does for an order's subscribers, and waits until each client has read it. Posts
// run on 16 workers; the handler is called directly, so the number is the gateway's cost plus
// the WebSocket write and read, without an HTTP client in the way.
func BenchmarkFanOut(b *testing.B) {
	for _, n := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("conns=%d", n), func(b *testing.B) { benchFanOut(b, n) })
	}
}

func benchFanOut(b *testing.B, n int) {
	var mu sync.Mutex
	var ids []string
	srv, err := wsapi.New(wsapi.Config{Stage: "dev", SendQueue: 4, OnRecord: func(r wsapi.Record) {
		if r.Kind == "CONNECT" {
			mu.Lock()
			ids = append(ids, r.ConnectionID)
			mu.Unlock()
		}
	}}, &fakeLambda{})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	url := "ws" + strings.TrimPrefix(ts.URL, "http")

	received := make(chan struct{}, n)
	readers := sync.WaitGroup{}
	for range n {
		c, _, err := websocket.Dial(context.Background(), url, nil)
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
	defer srv.Close() // ends the readers before readers.Wait
	// The gateway records a CONNECT once the 101 is written, so the last Dial can return before it.
	if got := connected(&mu, &ids, n); got != n {
		b.Fatalf("%d connections registered, want %d", got, n)
	}

	mgmt := srv.Management()
	msg := `{"type":"OrderStatusChanged","orderId":"01J0ZQ","status":"CONFIRMED"}`
	const workers = 16
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		work := make(chan string, n)
		for _, id := range ids {
			work <- id
		}
		close(work)
		var wg sync.WaitGroup
		for range min(workers, n) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for id := range work {
					req := httptest.NewRequest(http.MethodPost, "/dev/@connections/"+id, strings.NewReader(msg))
					rec := httptest.NewRecorder()
					mgmt.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						b.Errorf("post to %s: %d %s", id, rec.Code, rec.Body)
					}
				}
			}()
		}
		wg.Wait()
		awaitAll(b, received, n)
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N*n), "ns/delivery")
}

// connected waits up to 10 s for n CONNECT records and returns how many came.
func connected(mu *sync.Mutex, ids *[]string, n int) int {
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		mu.Lock()
		got := len(*ids)
		mu.Unlock()
		if got >= n || time.Now().After(deadline) {
			return got
		}
	}
}

// awaitAll waits for n deliveries and fails the benchmark if they do not all come within 10 s: go
// test's -timeout does not cover benchmarks, so a lost message would otherwise hang the run.
func awaitAll(b *testing.B, received <-chan struct{}, n int) {
	timeout := time.After(10 * time.Second)
	for i := range n {
		select {
		case <-received:
		case <-timeout:
			b.Fatalf("%d of %d clients read the message within 10 s", i, n)
		}
	}
}
