package lambdahost_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/orion-oss/orion/infra/engine/lambdahost"
)

var fixture string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lambdahost")
	if err != nil {
		panic(err)
	}
	fixture = filepath.Join(dir, "bootstrap")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", fixture, "./testdata/fixture")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the fixture function:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type output struct {
	RequestID  string            `json:"requestId"`
	ARN        string            `json:"arn"`
	DeadlineMs int64             `json:"deadlineMs"`
	Calls      int               `json:"calls"`
	PID        int               `json:"pid"`
	Env        map[string]string `json:"env"`
}

func newHost(t *testing.T, opts lambdahost.Options, fns ...lambdahost.Function) *lambdahost.Host {
	t.Helper()
	h := lambdahost.New(opts)
	for _, f := range fns {
		if f.Binary == "" {
			f.Binary = fixture
		}
		if err := h.Register(f); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { h.Close(context.Background()) })
	return h
}

func fn(name, mode string) lambdahost.Function {
	return lambdahost.Function{Name: name, Env: map[string]string{"FIXTURE_MODE": mode, "AWS_LAMBDA_FUNCTION_NAME": "spoofed"},
		Timeout: 2 * time.Second, MemoryMB: 256, Handler: "bootstrap"}
}

func invoke(t *testing.T, h *lambdahost.Host, name, payload string) lambdahost.Result {
	t.Helper()
	res, err := h.Invoke(context.Background(), name, []byte(payload), lambdahost.InvokeOptions{Trigger: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestProtocolContextAndEnvironment(t *testing.T) {
	var out bytes.Buffer
	var mu sync.Mutex
	h := newHost(t, lambdahost.Options{Output: &syncWriter{w: &out, mu: &mu}, BaseEnv: []string{"AWS_ENDPOINT_URL=http://127.0.0.1:4566"}}, fn("echo", "echo"))
	before := time.Now()
	res := invoke(t, h, "echo", `{}`)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	var o output
	if err := json.Unmarshal(res.Payload, &o); err != nil {
		t.Fatal(err)
	}
	if o.RequestID != res.RequestID || o.ARN != "arn:aws:lambda:us-east-1:123456789012:function:echo" {
		t.Errorf("context: request id %q (host %q), arn %q", o.RequestID, res.RequestID, o.ARN)
	}
	if d := time.UnixMilli(o.DeadlineMs).Sub(before); d < time.Second || d > 3*time.Second {
		t.Errorf("deadline is %v after the call; want about the 2s timeout", d)
	}
	for k, want := range map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME": "echo", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256", "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
		"AWS_REGION": "us-east-1", "_HANDLER": "bootstrap", "FIXTURE_MODE": "echo", "AWS_ENDPOINT_URL": "http://127.0.0.1:4566", "TZ": ":UTC",
	} {
		if o.Env[k] != want {
			t.Errorf("env %s = %q; want %q", k, o.Env[k], want)
		}
	}
	if res.InitDuration <= 0 || res.Billed < res.Duration {
		t.Errorf("init %v, billed %v for duration %v", res.InitDuration, res.Billed, res.Duration)
	}
	// The output travels through a pipe, so it may arrive a moment after the response.
	deadline := time.Now().Add(2 * time.Second)
	for {
		mu.Lock()
		got := out.String()
		mu.Unlock()
		if strings.Contains(got, "[echo] handling "+res.RequestID) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("function output not forwarded with its prefix: %q", got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type syncWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func TestWarmReuse(t *testing.T) {
	h := newHost(t, lambdahost.Options{}, fn("echo", "echo"))
	var first, second output
	json.Unmarshal(invoke(t, h, "echo", `{}`).Payload, &first)
	res := invoke(t, h, "echo", `{}`)
	json.Unmarshal(res.Payload, &second)
	if first.PID != second.PID || second.Calls != 2 || res.InitDuration != 0 {
		t.Fatalf("second call: pid %d -> %d, calls %d, init %v; want the same warm instance", first.PID, second.PID, second.Calls, res.InitDuration)
	}
}

func TestFailuresAndRecovery(t *testing.T) {
	var mu sync.Mutex
	var records []lambdahost.Record
	h := newHost(t, lambdahost.Options{OnInvoke: func(r lambdahost.Record) { mu.Lock(); records = append(records, r); mu.Unlock() }},
		fn("f", "echo"), fn("broken", "initfail"))
	tests := []struct {
		payload, wantType, wantMsg, outcome string
	}{
		{`{"mode":"error"}`, "errorString", "something broke", "error"},
		{`{"mode":"panic"}`, "", "boom", "error"},
		{`{"mode":"exit"}`, "Runtime.ExitError", "exit status 3", "crash"},
		{`{"mode":"sleep","sleepMs":5000}`, "Sandbox.Timedout", "Task timed out after 2.00 seconds", "timeout"},
	}
	for _, tt := range tests {
		res := invoke(t, h, "f", tt.payload)
		if res.Err == nil || !strings.Contains(res.Err.Message, tt.wantMsg) || (tt.wantType != "" && res.Err.Type != tt.wantType) {
			t.Errorf("%s: err = %+v; want %s %q", tt.payload, res.Err, tt.wantType, tt.wantMsg)
		}
		// The function keeps working after each failure (a fresh instance where the old one died).
		if ok := invoke(t, h, "f", `{}`); ok.Err != nil {
			t.Fatalf("after %s: %v", tt.payload, ok.Err)
		}
	}
	res := invoke(t, h, "broken", `{}`)
	if res.Err == nil || !strings.HasPrefix(res.Err.Type, "Runtime.") {
		t.Errorf("init failure: %+v", res.Err)
	}
	mu.Lock()
	defer mu.Unlock()
	outcomes := map[string]int{}
	for _, r := range records {
		outcomes[r.Outcome]++
	}
	if outcomes["error"] != 2 || outcomes["crash"] != 1 || outcomes["timeout"] != 1 || outcomes["init-error"] != 1 || outcomes["ok"] != 4 {
		t.Errorf("records by outcome = %v", outcomes)
	}
}

func TestConcurrencyIsInstances(t *testing.T) {
	f := fn("sleepy", "sleep")
	f.MaxConcurrency = 3
	h := newHost(t, lambdahost.Options{ThrottleWait: 100 * time.Millisecond}, f)
	var wg sync.WaitGroup
	var mu sync.Mutex
	pids := map[int]bool{}
	throttled := 0
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := h.Invoke(context.Background(), "sleepy", []byte(`{"sleepMs":600}`), lambdahost.InvokeOptions{})
			mu.Lock()
			defer mu.Unlock()
			if errors.Is(err, lambdahost.ErrTooManyRequests) {
				throttled++
				return
			}
			if err != nil || res.Err != nil {
				t.Errorf("invoke: %v %v", err, res.Err)
				return
			}
			var o output
			json.Unmarshal(res.Payload, &o)
			pids[o.PID] = true
		}()
	}
	wg.Wait()
	if len(pids) != 3 || throttled != 2 {
		t.Fatalf("%d instances served, %d throttled; want 3 and 2", len(pids), throttled)
	}
}

func TestAsyncRetriesThenOnFailure(t *testing.T) {
	var mu sync.Mutex
	attempts := 0
	h := newHost(t, lambdahost.Options{AsyncRetryBase: 10 * time.Millisecond, OnInvoke: func(lambdahost.Record) { mu.Lock(); attempts++; mu.Unlock() }}, fn("f", "echo"))
	failed := make(chan int, 1)
	err := h.InvokeAsync("f", []byte(`{"mode":"error"}`), lambdahost.AsyncOptions{OnFailure: func(_ context.Context, payload []byte, last *lambdahost.FunctionError, n int) {
		if string(payload) != `{"mode":"error"}` || last == nil {
			t.Errorf("OnFailure got %s, %v", payload, last)
		}
		failed <- n
	}})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-failed:
		if n != 3 {
			t.Errorf("attempts reported = %d; want 3 (1 + 2 retries)", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("OnFailure never called")
	}
	mu.Lock()
	defer mu.Unlock()
	if attempts != 3 {
		t.Errorf("invocations = %d; want 3", attempts)
	}
}

func TestInvokeAPI(t *testing.T) {
	echo := fn("echo", "echo")
	echo.Qualifiers = []string{"1", "live"}
	h := newHost(t, lambdahost.Options{}, echo)
	srv := httptest.NewServer(h.InvokeAPI())
	defer srv.Close()
	post := func(name, typ, body string, hdr map[string]string) *http.Response {
		name, query, _ := strings.Cut(name, "?")
		if query != "" {
			query = "?" + query
		}
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/2015-03-31/functions/"+name+"/invocations"+query, strings.NewReader(body))
		if typ != "" {
			req.Header.Set("X-Amz-Invocation-Type", typ)
		}
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	tests := []struct {
		name, fn, typ, body string
		status              int
		header, value       string
	}{
		{"sync", "echo", "", `{}`, 200, "X-Amz-Executed-Version", "$LATEST"},
		{"by arn", "arn:aws:lambda:us-east-1:123456789012:function:echo", "", `{}`, 200, "", ""},
		// Published versions and aliases, as a state machine's version ARN or an alias names them.
		{"version arn", "arn:aws:lambda:us-east-1:123456789012:function:echo:1", "", `{}`, 200, "", ""},
		{"alias arn", "arn:aws:lambda:us-east-1:123456789012:function:echo:live", "", `{}`, 200, "", ""},
		{"qualified name", "echo:live", "", `{}`, 200, "", ""},
		{"qualifier parameter", "echo?Qualifier=1", "", `{}`, 200, "", ""},
		{"latest", "echo:$LATEST", "", `{}`, 200, "", ""},
		{"unknown version", "arn:aws:lambda:us-east-1:123456789012:function:echo:2", "", `{}`, 404, "X-Amzn-Errortype", "ResourceNotFoundException"},
		{"unknown alias", "echo?Qualifier=beta", "", `{}`, 404, "X-Amzn-Errortype", "ResourceNotFoundException"},
		{"function error", "echo", "RequestResponse", `{"mode":"error"}`, 200, "X-Amz-Function-Error", "Unhandled"},
		{"event", "echo", "Event", `{}`, 202, "", ""},
		{"dry run", "echo", "DryRun", `{}`, 204, "", ""},
		{"missing", "nope", "", `{}`, 404, "X-Amzn-Errortype", "ResourceNotFoundException"},
		{"not json", "echo", "", `{`, 400, "X-Amzn-Errortype", "InvalidRequestContentException"},
		{"bad type", "echo", "Later", `{}`, 400, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := post(tt.fn, tt.typ, tt.body, map[string]string{"X-Amz-Log-Type": "Tail"})
			if resp.StatusCode != tt.status {
				t.Fatalf("status = %d; want %d", resp.StatusCode, tt.status)
			}
			if tt.header != "" && resp.Header.Get(tt.header) != tt.value {
				t.Fatalf("%s = %q; want %q", tt.header, resp.Header.Get(tt.header), tt.value)
			}
		})
	}
	// The AWS CLI speaks the same API (dummy credentials: the endpoint is local).
	if _, err := exec.LookPath("aws"); err == nil {
		outFile := filepath.Join(t.TempDir(), "out.json")
		cmd := exec.Command("aws", "lambda", "invoke", "--endpoint-url", srv.URL, "--function-name", "echo", "--region", "us-east-1", outFile)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("aws lambda invoke: %v\n%s", err, b)
		}
		b, _ := os.ReadFile(outFile)
		if !strings.Contains(string(b), `"requestId"`) {
			t.Fatalf("aws lambda invoke wrote %s", b)
		}
	}
}

func TestCloseLeavesNoProcess(t *testing.T) {
	h := lambdahost.New(lambdahost.Options{})
	f := fn("echo", "echo")
	f.Binary = fixture
	h.Register(f)
	var o output
	res, err := h.Invoke(context.Background(), "echo", []byte(`{}`), lambdahost.InvokeOptions{})
	if err != nil || json.Unmarshal(res.Payload, &o) != nil {
		t.Fatal(err)
	}
	if err := h.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(o.PID, 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("instance %d still exists after Close: %v", o.PID, err)
	}
	if _, err := h.Invoke(context.Background(), "echo", []byte(`{}`), lambdahost.InvokeOptions{}); !errors.Is(err, lambdahost.ErrClosed) {
		t.Fatalf("invoke after Close: %v", err)
	}
}

func BenchmarkInvokeWarm(b *testing.B) {
	h := lambdahost.New(lambdahost.Options{})
	defer h.Close(context.Background())
	f := fn("echo", "sleep")
	f.Binary = fixture
	h.Register(f)
	ctx := context.Background()
	payload := []byte(`{"sleepMs":0}`)
	h.Invoke(ctx, "echo", payload, lambdahost.InvokeOptions{})
	b.ReportAllocs()
	for b.Loop() {
		if res, err := h.Invoke(ctx, "echo", payload, lambdahost.InvokeOptions{}); err != nil || res.Err != nil {
			b.Fatal(err, res.Err)
		}
	}
}

func BenchmarkColdStart(b *testing.B) {
	for b.Loop() {
		h := lambdahost.New(lambdahost.Options{})
		f := fn("echo", "echo")
		f.Binary = fixture
		h.Register(f)
		if _, err := h.Invoke(context.Background(), "echo", []byte(`{}`), lambdahost.InvokeOptions{}); err != nil {
			b.Fatal(err)
		}
		h.Close(context.Background())
	}
}

// An injected crash lets the handler do its work and loses only the answer; an injected timeout cuts
// the work short. Both replace the instance, and both are marked in the record.
func TestInjectedFaults(t *testing.T) {
	var mu sync.Mutex
	var records []lambdahost.Record
	decide := map[string]lambdahost.Fault{
		"crash":   {Kind: lambdahost.CrashAfterWork},
		"timeout": {Kind: lambdahost.TimeoutDuringWork, At: 50 * time.Millisecond},
	}
	h := newHost(t, lambdahost.Options{
		OnInvoke: func(r lambdahost.Record) { mu.Lock(); records = append(records, r); mu.Unlock() },
		Fault: func(function string, payload []byte) lambdahost.Fault {
			var in struct{ Fault string }
			json.Unmarshal(payload, &in)
			return decide[in.Fault]
		},
	}, fn("f", "echo"))
	dir := t.TempDir()
	lines := func(name string) int {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		return strings.Count(string(b), "\n")
	}
	var before output
	json.Unmarshal(invoke(t, h, "f", `{}`).Payload, &before)

	res := invoke(t, h, "f", fmt.Sprintf(`{"fault":"crash","touch":%q}`, filepath.Join(dir, "crash")))
	if res.Err == nil || res.Err.Type != "Runtime.ExitError" || res.Payload != nil {
		t.Fatalf("injected crash: err %+v, payload %s", res.Err, res.Payload)
	}
	if n := lines("crash"); n != 1 {
		t.Fatalf("the crashed invocation's side effect happened %d times; want 1 (crash after the work)", n)
	}
	var after output
	json.Unmarshal(invoke(t, h, "f", `{}`).Payload, &after)
	if after.PID == before.PID || after.PID == 0 {
		t.Fatalf("pid %d after a crash of pid %d; want a fresh instance", after.PID, before.PID)
	}

	res = invoke(t, h, "f", fmt.Sprintf(`{"fault":"timeout","mode":"sleep","sleepMs":1500,"touch":%q}`, filepath.Join(dir, "timeout")))
	if res.Err == nil || res.Err.Type != "Sandbox.Timedout" {
		t.Fatalf("injected timeout: err %+v", res.Err)
	}
	time.Sleep(1600 * time.Millisecond) // past the moment the killed handler would have written
	if n := lines("timeout"); n != 0 {
		t.Fatalf("the timed-out invocation finished its work (%d lines); want it cut short", n)
	}
	if ok := invoke(t, h, "f", `{}`); ok.Err != nil {
		t.Fatalf("after the faults: %v", ok.Err)
	}
	mu.Lock()
	defer mu.Unlock()
	var got []string
	for _, r := range records {
		got = append(got, fmt.Sprintf("%s/%v", r.Outcome, r.Injected))
	}
	if strings.Join(got, " ") != "ok/false crash/true ok/false timeout/true ok/false" {
		t.Fatalf("records %v", got)
	}
}
