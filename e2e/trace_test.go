package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orion-oss/orion/infra/engine/lambdahost"
	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/infra/orion/timeline"
	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/platform/awscfg"
	"github.com/orion-oss/orion/internal/platform/traceheader"
)

// xray stands in for the X-Ray daemon of the local run (stack.Config.XRayDaemon): it keeps every
// document the functions and the local Lambda send, and every invocation record.
var xray traceLog

type traceLog struct {
	conn net.PacketConn

	mu          sync.Mutex
	docs        []map[string]any // segments and subsegments, in arrival order
	invocations []lambdahost.Record
}

// listen opens the daemon's UDP port and reads it until the run ends.
func (l *traceLog) listen() (string, error) {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	l.conn = c
	go func() {
		buf := make([]byte, 65536)
		for {
			n, _, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			head, body, ok := bytes.Cut(buf[:n], []byte("\n"))
			var doc map[string]any
			if !ok || string(head) != `{"format":"json","version":1}` || json.Unmarshal(body, &doc) != nil {
				doc = map[string]any{"malformed": string(buf[:n])}
			}
			l.mu.Lock()
			l.docs = append(l.docs, doc)
			l.mu.Unlock()
		}
	}()
	return c.LocalAddr().String(), nil
}

func (l *traceLog) close() {
	if l.conn != nil {
		l.conn.Close()
	}
}

func (l *traceLog) invoked(r lambdahost.Record) {
	l.mu.Lock()
	l.invocations = append(l.invocations, r)
	l.mu.Unlock()
}

// traced is one invocation seen through its trace: its record, its header, and its SDK subsegments.
type traced struct {
	rec         lambdahost.Record
	header      traceheader.Header
	subsegments []map[string]any
}

// story returns, by function, the invocations that made SDK calls for the correlation id (their
// subsegments carry it as an annotation), and every invocation by the Parent of its trace header.
func (l *traceLog) story(correlationID string) (map[string][]traced, map[string]lambdahost.Record) {
	l.mu.Lock()
	defer l.mu.Unlock()
	byParent := map[string]lambdahost.Record{}
	for _, r := range l.invocations {
		if h, ok := traceheader.ParseHeader(r.TraceID); ok {
			byParent[h.Parent] = r
		}
	}
	found := map[string]*traced{}
	for _, d := range l.docs {
		ann, _ := d["annotations"].(map[string]any)
		if d["type"] != "subsegment" || ann["correlationId"] != correlationID {
			continue
		}
		parent, _ := d["parent_id"].(string)
		r, ok := byParent[parent]
		if !ok {
			continue
		}
		if found[parent] == nil {
			h, _ := traceheader.ParseHeader(r.TraceID)
			found[parent] = &traced{rec: r, header: h}
		}
		found[parent].subsegments = append(found[parent].subsegments, d)
	}
	out := map[string][]traced{}
	for _, tr := range found {
		out[folder(tr.rec.Function)] = append(out[folder(tr.rec.Function)], *tr)
	}
	return out, byParent
}

// folder is the functions/ folder of a deployed function name: orion-local-PlaceOrderFunction is
// place-order.
func folder(name string) string {
	name = strings.TrimSuffix(name[strings.LastIndex(name, "-")+1:], "Function")
	var b strings.Builder
	for i, c := range name {
		if 'A' <= c && c <= 'Z' {
			if i > 0 {
				b.WriteByte('-')
			}
			c += 'a' - 'A'
		}
		b.WriteRune(c)
	}
	return b.String()
}

// functionSegment is the segment the local Lambda sent for the invocation whose Parent is id.
func (l *traceLog) functionSegment(id string) map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, d := range l.docs {
		if d["origin"] == "AWS::Lambda::Function" && d["id"] == id {
			return d
		}
	}
	return nil
}

// An order's trace, as it runs on AWS with active tracing: the HTTP API has no X-Ray, so place-order's
// invocation starts the order's trace; every SDK call of every function is a subsegment under its
// invocation's segment; the envelope carries the trace past the outbox stream and the Pipe (which carry
// none) to the saga starter, whose StartExecution continues it, so every saga step runs in the order's
// trace. The bus's consumers (and the starter itself) run in traces of their own, as the Pipe's PutEvents
// carries no trace header; their subsegments carry the order's correlation id, which joins them.
func TestAnOrdersTraceReachesEveryFunction(t *testing.T) {
	inProcessOnly(t, "reads the X-Ray documents the runtime's daemon listener receives")
	a, _ := catalog(t)
	tok := customerToken(t)
	key := awstest.Name(t, "trace")
	req, _ := http.NewRequest("POST", sys.api+"/orders", strings.NewReader(fmt.Sprintf(`{"items":[{"sku":%q,"quantity":1}],"paymentToken":"tok_visa"}`, a)))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	req.Header.Set("X-Correlation-Id", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 202 {
		t.Fatalf("place: %d %s", resp.StatusCode, b)
	}
	// The story is correlated by the server's id, not the client's (which it echoes apart).
	corr := resp.Header.Get("X-Correlation-Id")
	if corr == "" || corr == key || resp.Header.Get("X-Client-Correlation-Id") != key {
		t.Fatalf("correlation %q, client's %q; want the server's own and the client's echoed apart", corr, resp.Header.Get("X-Client-Correlation-Id"))
	}
	var placed struct{ OrderID string }
	json.Unmarshal(b, &placed)
	settle(t, tok, placed.OrderID, "CONFIRMED")

	saga := []string{"reserve-stock", "authorize-payment", "confirm-order"}
	consumers := []string{"start-order-saga", "project-orders", "notify-order-status", "send-email"}
	var story map[string][]traced
	var byParent map[string]lambdahost.Record
	var missing []string
	deadline := time.Now().Add(30 * time.Second)
	for {
		story, byParent = xray.story(corr)
		missing = nil
		for _, fn := range append(append([]string{"place-order"}, saga...), consumers...) {
			if len(story[fn]) == 0 {
				missing = append(missing, fn)
			}
		}
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			xray.mu.Lock()
			n, m := len(xray.docs), len(xray.invocations)
			for _, d := range xray.docs[max(0, n-8):] {
				t.Logf("last documents: %v", d)
			}
			xray.mu.Unlock()
			t.Fatalf("no subsegment with correlation id %s from %v after 30 s (%d documents, %d invocations seen)", corr, missing, n, m)
		}
		time.Sleep(100 * time.Millisecond)
	}

	places := story["place-order"]
	if len(places) != 1 {
		t.Fatalf("%d place-order invocations for one request", len(places))
	}
	root := places[0].header.Root
	for fn, invs := range story {
		for _, inv := range invs {
			// Every subsegment is in its invocation's trace, under its invocation's segment, which the
			// local Lambda sent with the function's name.
			for _, s := range inv.subsegments {
				if s["trace_id"] != inv.header.Root || s["parent_id"] != inv.header.Parent || s["namespace"] != "aws" {
					t.Errorf("%s: subsegment %v not under its invocation %s", fn, s, inv.rec.TraceID)
				}
			}
			seg := xray.functionSegment(inv.header.Parent)
			if seg == nil || seg["name"] != inv.rec.Function || seg["trace_id"] != inv.header.Root {
				t.Errorf("%s: no function segment %s in trace %s (got %v)", fn, inv.header.Parent, inv.header.Root, seg)
			}
		}
	}
	if ops := operations(places[0]); !strings.Contains(ops, "DynamoDB.TransactWriteItems") {
		t.Errorf("place-order's subsegments %s; want its transaction", ops)
	}
	for _, fn := range saga {
		for _, inv := range story[fn] {
			if inv.header.Root != root || inv.rec.Trigger != "stepfunctions" {
				t.Errorf("%s ran in trace %s (trigger %s); want the order's %s through the saga execution", fn, inv.header.Root, inv.rec.Trigger, root)
			}
		}
	}
	for _, fn := range consumers {
		for _, inv := range story[fn] {
			if inv.header.Root == root {
				t.Errorf("%s ran in the order's trace: the bus received no trace header from the Pipe, on AWS as here", fn)
			}
		}
	}
	if ops := operations(story["start-order-saga"]...); !strings.Contains(ops, "SFN.StartExecution") {
		t.Errorf("start-order-saga's subsegments %s; want StartExecution", ops)
	}
	if ops := operations(story["send-email"]...); !strings.Contains(ops, "SESv2.SendEmail") {
		t.Errorf("send-email's subsegments %s; want SendEmail", ops)
	}
	// The relay (the Pipe's enrichment) is invoked from the stream: never in the order's trace.
	for _, r := range byParent {
		if h, _ := traceheader.ParseHeader(r.TraceID); folder(r.Function) == "outbox-relay" && h.Root == root {
			t.Errorf("outbox-relay ran in the order's trace %s; stream records carry none", root)
		}
	}
}

// Each event of the order names, in `make timeline`, the trace of the invocation that committed it.
func TestTimelineNamesEachEventsTrace(t *testing.T) {
	tok := customerToken(t)
	id := order1(t, tok, stockItem(t, 10), 1, "tok_visa")
	settle(t, tok, id, "CONFIRMED")
	cfg, err := awscfg.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := output
	entries, err := timeline.Of(context.Background(), timeline.Sources{DB: dynamodb.NewFromConfig(cfg),
		Tables: dynamo.Tables{Orders: out("OrdersTableName"), Outbox: out("OutboxTableName")}}, order.ID(id))
	if err != nil {
		t.Fatal(err)
	}
	roots := map[string]string{}
	for _, e := range entries {
		if f := strings.Fields(e.What); e.Source == "event" && len(f) == 4 && f[2] == "trace" {
			roots[f[0]] = f[3]
		}
	}
	// The saga's steps run in the order's trace, so their events name the same one as OrderPlaced.
	if roots["OrderPlaced"] == "" || roots["InventoryReserved"] != roots["OrderPlaced"] || roots["OrderConfirmed"] != roots["OrderPlaced"] {
		t.Fatalf("event traces %v; want OrderPlaced's on the saga's events", roots)
	}
}

func operations(invs ...traced) string {
	var ops []string
	for _, inv := range invs {
		for _, s := range inv.subsegments {
			a, _ := s["aws"].(map[string]any)
			ops = append(ops, fmt.Sprint(s["name"], ".", a["operation"]))
		}
	}
	return strings.Join(ops, " ")
}
