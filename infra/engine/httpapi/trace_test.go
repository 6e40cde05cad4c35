package httpapi_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/orion-oss/orion/infra/engine/xray"
)

// traceRecorder remembers the trace header each invocation was called with.
type traceRecorder struct {
	recorder
	traces []string
}

func (r *traceRecorder) Invoke(ctx context.Context, fn string, payload []byte) ([]byte, error) {
	r.mu.Lock()
	r.traces = append(r.traces, xray.Carried(ctx))
	r.mu.Unlock()
	return r.recorder.Invoke(ctx, fn, payload)
}

// The HTTP API has no X-Ray tracing: each request gets a new sampled trace id, the function is invoked
// in it, and the event's x-amzn-trace-id carries it; a client's valid trace id is kept.
func TestEachRequestIsInvokedInATraceOfItsOwn(t *testing.T) {
	rec := &traceRecorder{}
	srv := gateway(t, rec, nil)
	do(t, http.MethodGet, srv.URL+"/orders", "", nil)
	do(t, http.MethodGet, srv.URL+"/orders", "", nil)
	const client = "1-6745c1a0-0123456789abcdef01234567"
	do(t, http.MethodGet, srv.URL+"/orders", "", map[string]string{"X-Amzn-Trace-Id": "Root=" + client + ";Sampled=0"})

	rec.mu.Lock()
	defer rec.mu.Unlock()
	var roots []string
	for i, tr := range rec.traces {
		h, ok := xray.ParseHeader(tr)
		if !ok || !h.IsSampled() {
			t.Fatalf("invocation %d in trace %q; want a valid sampled header", i, tr)
		}
		if e := rec.calls["list"][i]; e.Headers["x-amzn-trace-id"] != tr {
			t.Errorf("event header x-amzn-trace-id %q; invoked with %q", e.Headers["x-amzn-trace-id"], tr)
		}
		roots = append(roots, h.Root)
	}
	if len(roots) != 3 || roots[0] == roots[1] || roots[2] != client {
		t.Errorf("roots %v; want two new ones, then the client's", roots)
	}
}
