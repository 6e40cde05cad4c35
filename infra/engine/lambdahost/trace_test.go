package lambdahost_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orion-oss/orion/infra/engine/lambdahost"
	"github.com/orion-oss/orion/infra/engine/xray"
)

const callerRoot = "1-6745c1a0-0123456789abcdef01234567"

// As Lambda does, an invocation keeps the caller's trace (Root, sampling) under a segment of its own
// (a new Parent); the function sees it as Lambda-Runtime-Trace-Id and _X_AMZN_TRACE_ID, the record
// carries it, and a daemon, when there is one, gets the function's segment under the caller's parent.
func TestInvocationsContinueTheCallersTrace(t *testing.T) {
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	var mu sync.Mutex
	var records []lambdahost.Record
	h := newHost(t, lambdahost.Options{TraceDaemon: xray.NewDaemon(udp.LocalAddr().String()), OnInvoke: func(r lambdahost.Record) {
		mu.Lock()
		records = append(records, r)
		mu.Unlock()
	}}, fn("echo", "echo"))

	seen := func(res lambdahost.Result) xray.Header {
		t.Helper()
		var o output
		if err := json.Unmarshal(res.Payload, &o); err != nil {
			t.Fatal(err)
		}
		hd, ok := xray.ParseHeader(o.Env["_X_AMZN_TRACE_ID"])
		if !ok || len(hd.Parent) != 16 || hd.Lineage != "" {
			t.Fatalf("the function saw %q", o.Env["_X_AMZN_TRACE_ID"])
		}
		mu.Lock()
		defer mu.Unlock()
		if last := records[len(records)-1]; last.TraceID != o.Env["_X_AMZN_TRACE_ID"] {
			t.Errorf("record TraceID %q; the function saw %q", last.TraceID, o.Env["_X_AMZN_TRACE_ID"])
		}
		return hd
	}

	caller := "Root=" + callerRoot + ";Parent=53995c3f42cd8ad8;Sampled=1;Lineage=a87bd80c:1"
	res, err := h.Invoke(context.Background(), "echo", []byte(`{}`), lambdahost.InvokeOptions{Trigger: "test", TraceID: caller})
	if err != nil {
		t.Fatal(err)
	}
	got := seen(res)
	if got.Root != callerRoot || got.Parent == "53995c3f42cd8ad8" || !got.IsSampled() {
		t.Fatalf("header %+v; want the caller's root and sampling under a new parent", got)
	}
	buf := make([]byte, 65536)
	udp.SetReadDeadline(time.Now().Add(2 * time.Second))
	n, _, err := udp.ReadFrom(buf)
	if err != nil {
		t.Fatalf("no function segment: %v", err)
	}
	_, body, _ := bytes.Cut(buf[:n], []byte("\n"))
	var seg map[string]any
	json.Unmarshal(body, &seg)
	if seg["name"] != "echo" || seg["id"] != got.Parent || seg["parent_id"] != "53995c3f42cd8ad8" || seg["trace_id"] != callerRoot || seg["origin"] != "AWS::Lambda::Function" {
		t.Errorf("function segment %s", body)
	}

	// An unsampled caller stays unsampled; no caller starts a new, sampled trace.
	res, _ = h.Invoke(context.Background(), "echo", []byte(`{}`), lambdahost.InvokeOptions{TraceID: "Root=" + callerRoot + ";Sampled=0"})
	if got := seen(res); got.Root != callerRoot || got.Sampled != "0" {
		t.Errorf("unsampled caller: %+v", got)
	}
	res = invoke(t, h, "echo", `{}`)
	if got := seen(res); got.Root == callerRoot || !got.IsSampled() {
		t.Errorf("no caller: %+v; want a new sampled trace", got)
	}

	// The Invoke API takes the caller's X-Amzn-Trace-Id (the SDK sends the function's own).
	srv := httptest.NewServer(h.InvokeAPI())
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/2015-03-31/functions/echo/invocations", strings.NewReader(`{}`))
	req.Header.Set("X-Amzn-Trace-Id", caller)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if got := seen(lambdahost.Result{Payload: b}); got.Root != callerRoot {
		t.Errorf("Invoke API: root %s; want the request header's", got.Root)
	}

	// Asynchronous invocations too.
	done := make(chan string, 1)
	if err := h.InvokeAsync("echo", []byte(`{}`), lambdahost.AsyncOptions{TraceID: caller, OnSuccess: func(_ context.Context, _, result []byte) {
		var o output
		json.Unmarshal(result, &o)
		done <- o.Env["_X_AMZN_TRACE_ID"]
	}}); err != nil {
		t.Fatal(err)
	}
	select {
	case hd := <-done:
		if got, _ := xray.ParseHeader(hd); got.Root != callerRoot {
			t.Errorf("async: %q; want the caller's root", hd)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("async invocation did not finish")
	}
}
