package edge_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/orion-oss/orion/infra/engine/edge"
	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/infra/engine/proxytest"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

func newEdge(t *testing.T) (*edge.Edge, aws.Config) {
	t.Helper()
	cfg := awstest.Config(t)
	e, err := edge.New(os.Getenv("AWS_ENDPOINT_URL"), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	cfg.BaseEndpoint = aws.String(srv.URL)
	return e, cfg
}

func TestPutEventsIsForwardedThenObserved(t *testing.T) {
	ctx := context.Background()
	e, cfg := newEdge(t)
	var mu sync.Mutex
	var seen []edge.PutEventsEntry
	e.OnPutEvents = func(entries []edge.PutEventsEntry) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, entries...)
	}
	eb := eventbridge.NewFromConfig(cfg)
	bus := awstest.Name(t, "bus")
	busOut, err := eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(bus)})
	if err != nil {
		t.Fatal(err)
	}
	out, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{
		{EventBusName: busOut.EventBusArn, Source: aws.String("orion.orders"), DetailType: aws.String("OrderPlaced"), Detail: aws.String(`{"orderId":"o1"}`)},
		{EventBusName: aws.String(bus), Source: aws.String("orion.orders"), DetailType: aws.String("OrderConfirmed"), Detail: aws.String(`{"orderId":"o2"}`)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 {
		t.Fatalf("observed %d entries; want 2", len(seen))
	}
	for i, s := range seen {
		if s.EventID != aws.ToString(out.Entries[i].EventId) || s.Bus != bus || s.Source != "orion.orders" {
			t.Errorf("entry %d = %+v; emulator id %s", i, s, aws.ToString(out.Entries[i].EventId))
		}
	}
	if string(seen[1].Detail) != `{"orderId":"o2"}` || seen[1].DetailType != "OrderConfirmed" {
		t.Errorf("entry 1 = %+v", seen[1])
	}
}

func TestRoutesClaimTheirRequestsAndTheRestReachTheEmulator(t *testing.T) {
	ctx := context.Background()
	e, cfg := newEdge(t)
	claimed := 0
	e.Handle(edge.Route{Name: "states", Match: edge.TargetPrefix("AWSStepFunctions."), Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claimed++
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Write([]byte(`{"stateMachines":[]}`))
	})})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, aws.ToString(cfg.BaseEndpoint)+"/", nil)
	req.Header.Set("X-Amz-Target", "AWSStepFunctions.ListStateMachines")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if claimed != 1 || resp.StatusCode != 200 {
		t.Fatalf("claimed=%d status=%d", claimed, resp.StatusCode)
	}
	if _, err := dynamodb.NewFromConfig(cfg).ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil {
		t.Fatalf("DynamoDB through the edge: %v", err)
	}
	if claimed != 1 {
		t.Fatalf("a DynamoDB call was claimed by the states route")
	}
}

// Injected faults answer with AWS's error shape, which the real SDK decodes, for just the service (and
// requests) they name, as many times as asked; the rest still reaches the emulator.
func TestInjectedFaults(t *testing.T) {
	ctx := context.Background()
	e, cfg := newEdge(t)
	cfg.RetryMaxAttempts = 1
	db := dynamodb.NewFromConfig(cfg)
	bus := eventbridge.NewFromConfig(cfg)
	list := func() error { _, err := db.ListTables(ctx, &dynamodb.ListTablesInput{}); return err }
	buses := func() error { _, err := bus.ListEventBuses(ctx, &eventbridge.ListEventBusesInput{}); return err }

	remove := e.Inject(edge.Fault{Service: "dynamodb", Status: 400, Code: "ThrottlingException", Message: "slow down", Times: 2})
	defer remove()
	for i := range 2 {
		var apiErr smithy.APIError
		if err := list(); !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ThrottlingException" {
			t.Fatalf("call %d: %v; want ThrottlingException", i, err)
		}
	}
	if err := list(); err != nil {
		t.Fatalf("after the two injected failures: %v", err)
	}
	if err := buses(); err != nil {
		t.Fatalf("another service: %v", err)
	}
	// A matcher narrows a fault to some requests; removing it ends it.
	stop := e.Inject(edge.Fault{Service: "events", Match: func(_ *http.Request, body []byte) bool { return strings.Contains(string(body), "needle") }})
	if err := buses(); err != nil {
		t.Fatalf("a request the matcher does not pick: %v", err)
	}
	_, err := bus.ListEventBuses(ctx, &eventbridge.ListEventBusesInput{NamePrefix: aws.String("needle")})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InternalFailure" {
		t.Fatalf("matched request: %v; want InternalFailure", err)
	}
	stop()
	if _, err := bus.ListEventBuses(ctx, &eventbridge.ListEventBusesInput{NamePrefix: aws.String("needle")}); err != nil {
		t.Fatalf("after removal: %v", err)
	}
}

// Nth fails exactly the Nth matching request; Rate fails a seeded, reproducible share of them; both
// report each injection.
func TestInjectedFaultsByNthAndRate(t *testing.T) {
	ctx := context.Background()
	e, cfg := newEdge(t)
	cfg.RetryMaxAttempts = 1
	db := dynamodb.NewFromConfig(cfg)
	pattern := func(n int) string {
		var b strings.Builder
		for range n {
			if _, err := db.ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	var injected int
	remove := e.Inject(edge.Fault{Service: "dynamodb", Code: "InternalServerError", Nth: 3, OnInject: func() { injected++ }})
	if got := pattern(5); got != "..x.." || injected != 1 {
		t.Fatalf("nth=3: %s with %d injections", got, injected)
	}
	remove()
	run := func(seed uint64) string {
		remove := e.Inject(edge.Fault{Service: "dynamodb", Status: 400, Code: "ProvisionedThroughputExceededException", Rate: 0.3, Seed: seed})
		defer remove()
		return pattern(60)
	}
	a, b, c := run(5), run(5), run(6)
	if a != b || a == c {
		t.Fatalf("seed 5 twice: %s / %s; seed 6: %s (want the same pattern for the same seed only)", a, b, c)
	}
	if n := strings.Count(a, "x"); n < 6 || n > 30 {
		t.Fatalf("rate 0.3 failed %d of 60", n)
	}
}

// An entry's TraceHeader, else the request's X-Amzn-Trace-Id, goes with it to the targets; an invalid
// one is dropped and the event still delivered, as EventBridge does.
func TestPutEventsKeepsTheTraceHeader(t *testing.T) {
	ctx := context.Background()
	e, cfg := newEdge(t)
	var mu sync.Mutex
	var seen []edge.PutEventsEntry
	e.OnPutEvents = func(entries []edge.PutEventsEntry) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, entries...)
	}
	const (
		entryTrace   = "Root=1-6745c1a0-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1"
		requestTrace = "Root=1-6745c1a0-89abcdef0123456789abcdef;Parent=1111111111111111;Sampled=1"
	)
	eb := eventbridge.NewFromConfig(cfg, func(o *eventbridge.Options) {
		o.APIOptions = append(o.APIOptions, smithyhttp.AddHeaderValue("X-Amzn-Trace-Id", requestTrace))
	})
	entry := func(trace string) ebtypes.PutEventsRequestEntry {
		en := ebtypes.PutEventsRequestEntry{Source: aws.String("orion.orders"), DetailType: aws.String("OrderPlaced"), Detail: aws.String(`{}`)}
		if trace != "" {
			en.TraceHeader = aws.String(trace)
		}
		return en
	}
	if _, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{entry(entryTrace), entry(""), entry("Root=nonsense")}}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 3 {
		t.Fatalf("observed %d entries; want 3", len(seen))
	}
	for i, want := range []string{entryTrace, requestTrace, ""} {
		if seen[i].TraceHeader != want {
			t.Errorf("entry %d trace %q; want %q", i, seen[i].TraceHeader, want)
		}
	}
}

// A web page must not reach the local AWS endpoint: a cross-site form post or fetch carries an Origin,
// a DNS-rebound name arrives as a foreign Host. The SDK sends neither and passes.
func TestBrowserAndForeignHostRequestsAreRefused(t *testing.T) {
	// An emulator that echoes CORS headers, as moto does.
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Access-Control-Allow-Methods", "POST")
		w.Write([]byte(`{"TableNames":[]}`))
	}))
	defer upstream.Close()
	e, err := edge.New(upstream.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	invoked := 0
	e.Handle(edge.Route{Name: "lambda", Match: edge.PathPrefix("/2015-03-31/functions/"), Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		invoked++
	})})
	srv := httptest.NewServer(e)
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]

	send := func(path, host string, header map[string]string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader("{}"))
		req.Host = host
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	for _, tc := range []struct {
		name, host string
		header     map[string]string
		want       int
	}{
		{"cross-site form post", "127.0.0.1:" + port, map[string]string{"Origin": "https://evil.example", "Content-Type": "text/plain"}, http.StatusForbidden},
		{"preflight", "127.0.0.1:" + port, map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}, http.StatusForbidden},
		{"DNS rebinding", "rebind.evil.example:" + port, nil, http.StatusMisdirectedRequest},
		{"foreign port", "localhost:1", nil, http.StatusMisdirectedRequest},
	} {
		resp, body := send("/2015-03-31/functions/f/invocations", tc.host, tc.header)
		if resp.StatusCode != tc.want || !strings.HasPrefix(body, "orion-local: refused") || resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s: %d %q %v; want %d, refused, no CORS", tc.name, resp.StatusCode, body, resp.Header, tc.want)
		}
	}
	if invoked != 0 {
		t.Fatalf("a refused request invoked a function %d times", invoked)
	}
	for _, host := range []string{"127.0.0.1:" + port, "localhost:" + port, "[::1]:" + port} {
		if resp, body := send("/2015-03-31/functions/f/invocations", host, nil); resp.StatusCode != http.StatusOK {
			t.Errorf("SDK-style invoke with Host %s: %d %q", host, resp.StatusCode, body)
		}
		resp, body := send("/", host, map[string]string{"X-Amz-Target": "DynamoDB_20120810.ListTables"})
		if resp.StatusCode != http.StatusOK || body != `{"TableNames":[]}` {
			t.Errorf("SDK-style emulator call with Host %s: %d %q", host, resp.StatusCode, body)
		}
		if v := resp.Header.Get("Access-Control-Allow-Origin") + resp.Header.Get("Access-Control-Allow-Methods"); v != "" {
			t.Errorf("the emulator's CORS headers were relayed: %q", v)
		}
	}
	if invoked != 3 {
		t.Fatalf("invoked %d times; want 3", invoked)
	}
}

func TestEdgePassesAnAnswerThatStartsBeforeTheRequestEnds(t *testing.T) {
	proxytest.AnswerBeforeTheRequestEnds(t, func(upstream string) http.Handler {
		e, err := edge.New(upstream, nil)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}, nil)
}
