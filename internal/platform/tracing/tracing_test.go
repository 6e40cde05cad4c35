package tracing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/orion-oss/orion/internal/platform/traceheader"
	"github.com/orion-oss/orion/internal/platform/tracing"
)

const (
	root   = "1-6745c1a0-0123456789abcdef01234567"
	parent = "53995c3f42cd8ad8"
)

// daemon is a UDP listener standing in for the X-Ray daemon: every datagram must be the daemon header
// line followed by one JSON document.
type daemon struct {
	t    *testing.T
	conn net.PacketConn
}

func listen(t *testing.T) *daemon {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &daemon{t: t, conn: c}
}

func (d *daemon) addr() string { return d.conn.LocalAddr().String() }

// next returns the next subsegment, or fails after a second.
func (d *daemon) next() map[string]any {
	d.t.Helper()
	doc, ok := d.read(time.Second)
	if !ok {
		d.t.Fatal("no document reached the daemon")
	}
	return doc
}

func (d *daemon) read(wait time.Duration) (map[string]any, bool) {
	d.t.Helper()
	buf := make([]byte, 65536)
	d.conn.SetReadDeadline(time.Now().Add(wait))
	n, _, err := d.conn.ReadFrom(buf)
	if err != nil {
		return nil, false
	}
	head, body, ok := bytes.Cut(buf[:n], []byte("\n"))
	if !ok || string(head) != `{"format":"json","version":1}` {
		d.t.Fatalf("datagram without the daemon header: %q", buf[:n])
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		d.t.Fatalf("datagram body is not JSON: %q", body)
	}
	return doc, true
}

// nothing asserts that no document arrives.
func (d *daemon) nothing() {
	d.t.Helper()
	if doc, ok := d.read(200 * time.Millisecond); ok {
		d.t.Fatalf("unexpected document: %v", doc)
	}
}

// endpoint answers DynamoDB's JSON protocol with the given answers in turn (the last one repeats).
type answer struct {
	status int
	body   string
}

func endpoint(t *testing.T, answers ...answer) (string, *atomic.Int32) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(calls.Add(1)) - 1
		a := answers[min(i, len(answers)-1)]
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amzn-Requestid", "REQ"+string(rune('A'+i)))
		w.WriteHeader(a.status)
		w.Write([]byte(a.body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &calls
}

func client(url string, d *tracing.Daemon, attempts int, annotations func(context.Context) map[string]string) *dynamodb.Client {
	cfg := aws.Config{Region: "eu-west-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		BaseEndpoint: aws.String(url), RetryMaxAttempts: attempts}
	tracing.Instrument(&cfg.APIOptions, tracing.Options{Daemon: d, Annotations: annotations})
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.Retryer = retryer(attempts) })
}

func traced() context.Context {
	return traceheader.WithHeader(context.Background(), "Root="+root+";Parent="+parent+";Sampled=1;Lineage=a87bd80c:1")
}

func getItem(ctx context.Context, c *dynamodb.Client) error {
	_, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("orion-dev-orders"),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "a"}}})
	return err
}

func TestEverySDKCallIsASubsegmentUnderTheFunctionsSegment(t *testing.T) {
	d := listen(t)
	url, _ := endpoint(t, answer{200, `{}`})
	c := client(url, tracing.NewDaemon(d.addr()), 1, func(context.Context) map[string]string {
		return map[string]string{"correlationId": "corr-1"}
	})
	if err := getItem(traced(), c); err != nil {
		t.Fatal(err)
	}
	s := d.next()
	want := map[string]any{"name": "DynamoDB", "trace_id": root, "parent_id": parent, "type": "subsegment", "namespace": "aws"}
	for k, v := range want {
		if s[k] != v {
			t.Errorf("%s = %v; want %v", k, s[k], v)
		}
	}
	a := s["aws"].(map[string]any)
	if a["operation"] != "GetItem" || a["region"] != "eu-west-1" || a["request_id"] != "REQA" || a["retries"] != 0.0 || a["table_name"] != "orion-dev-orders" {
		t.Errorf("aws = %v", a)
	}
	if st := s["http"].(map[string]any)["response"].(map[string]any)["status"]; st != 200.0 {
		t.Errorf("status = %v; want 200", st)
	}
	if s["error"] != nil || s["fault"] != nil || s["throttle"] != nil || s["cause"] != nil {
		t.Errorf("a successful call is flagged: %v", s)
	}
	if id, _ := s["id"].(string); len(id) != 16 {
		t.Errorf("id = %q; want 16 hex digits", id)
	}
	start, end := s["start_time"].(float64), s["end_time"].(float64)
	if now := float64(time.Now().Unix()); start > end || start < now-5 || end > now+5 {
		t.Errorf("start %f, end %f: not around now", start, end)
	}
	if ann := s["annotations"].(map[string]any); ann["correlationId"] != "corr-1" {
		t.Errorf("annotations = %v", ann)
	}
}

func TestSubsegmentFlagsFollowTheAnswer(t *testing.T) {
	tests := []struct {
		name                   string
		answers                []answer
		attempts               int
		status                 float64
		retries                float64
		isError, throttle, flt bool
		causeType              string
	}{
		{"retried 5xx, then success", []answer{{500, `{"__type":"InternalServerError","message":"x"}`}, {500, `{"__type":"InternalServerError"}`}, {200, `{}`}},
			3, 200, 2, false, false, false, ""},
		{"condition failed: an error", []answer{{400, `{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"no"}`}},
			1, 400, 0, true, false, false, "ConditionalCheckFailedException"},
		{"throughput exceeded: a throttle", []answer{{400, `{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"slow down"}`}},
			1, 400, 0, true, true, false, "ProvisionedThroughputExceededException"},
		{"5xx after every retry: a fault", []answer{{500, `{"__type":"InternalServerError","message":"x"}`}},
			2, 500, 1, false, false, true, "InternalServerError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := listen(t)
			url, calls := endpoint(t, tt.answers...)
			err := getItem(traced(), client(url, tracing.NewDaemon(d.addr()), tt.attempts, nil))
			if (err != nil) != (tt.isError || tt.flt) {
				t.Fatalf("err = %v", err)
			}
			s := d.next()
			a := s["aws"].(map[string]any)
			if a["retries"] != tt.retries || int(calls.Load()) != int(tt.retries)+1 {
				t.Errorf("retries = %v after %d calls; want %v", a["retries"], calls.Load(), tt.retries)
			}
			if st := s["http"].(map[string]any)["response"].(map[string]any)["status"]; st != tt.status {
				t.Errorf("status = %v; want %v", st, tt.status)
			}
			if (s["error"] == true) != tt.isError || (s["throttle"] == true) != tt.throttle || (s["fault"] == true) != tt.flt {
				t.Errorf("error %v throttle %v fault %v; want %v %v %v", s["error"], s["throttle"], s["fault"], tt.isError, tt.throttle, tt.flt)
			}
			if tt.causeType != "" {
				ex := s["cause"].(map[string]any)["exceptions"].([]any)[0].(map[string]any)
				if ex["type"] != tt.causeType || ex["remote"] != true || ex["message"] == "" {
					t.Errorf("cause = %v; want type %s", ex, tt.causeType)
				}
			}
			if a["request_id"] == nil {
				t.Errorf("no request id: %v", a)
			}
		})
	}
}

func TestAnUnreachableServiceIsAFault(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close()
	d := listen(t)
	if err := getItem(traced(), client(dead, tracing.NewDaemon(d.addr()), 1, nil)); err == nil {
		t.Fatal("a call to a closed port succeeded")
	}
	s := d.next()
	if s["fault"] != true || s["error"] != nil || s["http"] != nil || s["cause"] == nil {
		t.Errorf("fault %v error %v http %v cause %v; want a fault without an answer", s["fault"], s["error"], s["http"], s["cause"])
	}
}

func TestNothingIsSentWithoutASampledTrace(t *testing.T) {
	for name, ctx := range map[string]context.Context{
		"no trace header": context.Background(),
		"not sampled":     traceheader.WithHeader(context.Background(), "Root="+root+";Parent="+parent+";Sampled=0"),
		"no parent":       traceheader.WithHeader(context.Background(), "Root="+root+";Sampled=1"),
		"malformed root":  traceheader.WithHeader(context.Background(), "Root=1-xyz;Parent="+parent+";Sampled=1"),
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(traceheader.EnvHeader, "")
			d := listen(t)
			url, _ := endpoint(t, answer{200, `{}`})
			if err := getItem(ctx, client(url, tracing.NewDaemon(d.addr()), 1, nil)); err != nil {
				t.Fatal(err)
			}
			d.nothing()
		})
	}
}

// In Lambda the header comes from the handler's context or, for a context not derived from it, from
// _X_AMZN_TRACE_ID, which aws-lambda-go sets for each invocation.
func TestTheLambdaInvocationsHeaderIsUsed(t *testing.T) {
	d := listen(t)
	url, _ := endpoint(t, answer{200, `{}`})
	c := client(url, tracing.NewDaemon(d.addr()), 1, nil)

	lambdaCtx := context.WithValue(context.Background(), "x-amzn-trace-id", "Root="+root+";Parent=1111111111111111;Sampled=1") //nolint:staticcheck // aws-lambda-go's key
	if err := getItem(lambdaCtx, c); err != nil {
		t.Fatal(err)
	}
	if s := d.next(); s["parent_id"] != "1111111111111111" {
		t.Errorf("parent_id = %v; want the handler context's Parent", s["parent_id"])
	}

	t.Setenv(traceheader.EnvHeader, "Root="+root+";Parent=2222222222222222;Sampled=1")
	if err := getItem(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if s := d.next(); s["parent_id"] != "2222222222222222" {
		t.Errorf("parent_id = %v; want _X_AMZN_TRACE_ID's Parent", s["parent_id"])
	}
}

func TestNoDaemonAddsNothing(t *testing.T) {
	t.Setenv(tracing.EnvDaemonAddress, "")
	if tracing.DaemonFromEnv() != nil {
		t.Fatal("a daemon without AWS_XRAY_DAEMON_ADDRESS")
	}
	var opts []func(*middleware.Stack) error
	tracing.Instrument(&opts, tracing.Options{Daemon: tracing.DaemonFromEnv()})
	if len(opts) != 0 {
		t.Fatalf("%d API options added with tracing off", len(opts))
	}
}

func TestDaemonAddressForms(t *testing.T) {
	for env, want := range map[string]string{
		"169.254.79.129:2000":                        "169.254.79.129:2000",
		"tcp:127.0.0.1:2000 udp:169.254.79.129:2000": "169.254.79.129:2000",
	} {
		t.Setenv(tracing.EnvDaemonAddress, env)
		if got := tracing.DaemonFromEnv().Addr(); got != want {
			t.Errorf("%q: address %q; want %q", env, got, want)
		}
	}
}

func TestHeaders(t *testing.T) {
	h, ok := traceheader.ParseHeader("Root=" + root + ";Parent=" + parent + ";Sampled=1;Lineage=a87bd80c:1")
	if !ok || h.Root != root || h.Parent != parent || !h.IsSampled() || h.Lineage != "a87bd80c:1" {
		t.Fatalf("ParseHeader = %+v, %v", h, ok)
	}
	if got, want := h.Propagated(), "Root="+root+";Parent="+parent+";Sampled=1"; got != want {
		t.Errorf("Propagated = %q; want %q (no Lineage)", got, want)
	}
	for _, bad := range []string{"", "Parent=" + parent, "Root=1-6745c1a0-0123", "Root=2-6745c1a0-0123456789abcdef01234567", "Root=1-6745C1A0-0123456789abcdef01234567"} {
		if _, ok := traceheader.ParseHeader(bad); ok {
			t.Errorf("ParseHeader(%q) accepted", bad)
		}
	}
	now := time.Unix(0x6745c1a0, 0)
	r := traceheader.NewRoot(now)
	if !strings.HasPrefix(r, "1-6745c1a0-") {
		t.Errorf("NewRoot = %q; want the time in hex", r)
	}
	if _, ok := traceheader.ParseHeader("Root=" + r); !ok || r == traceheader.NewRoot(now) {
		t.Errorf("NewRoot = %q: invalid or not random", r)
	}
	if traceheader.RootFrom(traceheader.WithHeader(context.Background(), h.String())) != root {
		t.Error("RootFrom does not read the context's header")
	}
}

func retryer(attempts int) aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = attempts
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
	})
}
