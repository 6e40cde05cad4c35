// Package record captures the DynamoDB write pattern of the saga's stock steps from the real code: it
// runs the saga's steps (internal/saga over internal/adapter/dynamo) for a few orders against a
// DynamoDB endpoint through an http.RoundTripper that records every request (operation, items, their
// sizes as DynamoDB bills them, which of them are the SKU's), and returns it as the ddbmodel.Pattern
// the model replays. How the SKU is set up (one item, or shards) is passed in, so the same recorder
// records any stock design.
package record

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orion-oss/orion/infra/orion/ddbmodel"
	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/payment"
	"github.com/orion-oss/orion/internal/saga"
)

// SKU is a stock design under recording.
type SKU struct {
	Name   string // the pattern's name ("single item", "8 shards")
	Shards int
	// Create stores the SKU with stock units through db (unrecorded).
	Create func(ctx context.Context, db *dynamodb.Client, t dynamo.Tables, sku string, stock int64) error
	// Hot reports whether an item (or a key) of the table of role ("inventory", ...) holds the SKU's
	// stock, in DynamoDB's JSON form.
	Hot func(role, sku string, item map[string]any) bool
}

// SingleItem is today's design: one inventory item per SKU.
func SingleItem() SKU {
	return SKU{Name: "single item", Shards: 1,
		Create: func(ctx context.Context, db *dynamodb.Client, t dynamo.Tables, sku string, stock int64) error {
			price, _ := money.New(1250, "USD")
			it, evs, err := inventory.NewItem(inventory.SKU(sku), inventory.Details{Name: sku, Price: price}, inventory.Quantity(stock), 0)
			if err != nil {
				return err
			}
			return dynamo.NewInventoryRepository(db, t).Create(ctx, it, evs, event.Cause{CorrelationID: "record"})
		},
		Hot: func(role, sku string, item map[string]any) bool {
			k := stringAttr(item["sku"])
			return role == "inventory" && (k == sku || strings.HasPrefix(k, sku+"#")) // the item, or a shard "<SKU>#k"
		}}
}

// Sharded is the sharded store: the SKU's stock split over n shard items by an admin (PUT
// /inventory/{sku}/shards, docs/adr/0021-hot-sku-shards.md) before the sale.
func Sharded(n int) SKU {
	single := SingleItem()
	return SKU{Name: fmt.Sprintf("%d shards", n), Shards: n, Hot: single.Hot,
		Create: func(ctx context.Context, db *dynamodb.Client, t dynamo.Tables, sku string, stock int64) error {
			if err := single.Create(ctx, db, t, sku, stock); err != nil {
				return err
			}
			_, err := dynamo.NewInventoryRepository(db, t).SetShards(ctx, inventory.SKU(sku), event.Cause{CorrelationID: "record"},
				func(it *inventory.Item) ([]event.Payload, error) { return it.SetShards(n) })
			return err
		}}
}

func stringAttr(v any) string {
	m, _ := v.(map[string]any)
	s, _ := m["S"].(string)
	return s
}

// Options are what Record needs besides the SKU.
type Options struct {
	Config aws.Config
	Tables dynamo.Tables
	// Size is an item's size as DynamoDB bills it, from its JSON form (benchreport's meter's sizing).
	Size func(item map[string]any) int
}

// Record runs one order through each stock step (reserve, confirm; reserve on no stock; reserve and
// release after a declined payment) and returns what each step sent.
func Record(ctx context.Context, sku SKU, o Options) (ddbmodel.Pattern, error) {
	rec := &Recorder{Size: o.Size, Roles: Roles(o.Tables), SKU: sku}
	raw := dynamodb.NewFromConfig(o.Config)
	db := rec.Client(o.Config)
	run := &runner{rec: rec, raw: raw, tables: o.Tables, steps: saga.NewSteps(dynamo.NewSaga(db, o.Tables), payment.Sandbox{})}
	p := ddbmodel.Pattern{Name: sku.Name, Shards: max(sku.Shards, 1), Steps: map[string][]ddbmodel.Call{},
		Source: "record.Record: internal/saga's steps over internal/adapter/dynamo against the emulator"}
	name := fmt.Sprintf("REC-%d", time.Now().UnixNano())
	rec.sku = name
	if err := sku.Create(ctx, raw, o.Tables, name, int64(max(10, 10*sku.Shards))); err != nil { // units on every shard after the warm-ups
		return p, fmt.Errorf("record: create %s: %w", name, err)
	}
	// Confirmed: reserve, (pay), confirm.
	in, err := run.place(ctx, name, "tok_visa")
	if err != nil {
		return p, err
	}
	if err := run.warm(ctx, name); err != nil {
		return p, err
	}
	if p.Steps[ddbmodel.StepReserve], err = run.step(ctx, run.steps.Reserve, in, ""); err != nil {
		return p, err
	}
	for _, s := range []saga.Step{run.steps.Authorize, run.steps.Capture} {
		if _, err := s(ctx, in); err != nil {
			return p, fmt.Errorf("record: payment: %w", err)
		}
	}
	if err := run.warm(ctx, name); err != nil {
		return p, err
	}
	if p.Steps[ddbmodel.StepConfirm], err = run.step(ctx, run.steps.Confirm, in, ""); err != nil {
		return p, err
	}
	// Released: reserve, declined, release.
	if in, err = run.place(ctx, name, "tok_declined"); err != nil {
		return p, err
	}
	if _, err := run.steps.Reserve(ctx, in); err != nil {
		return p, fmt.Errorf("record: reserve: %w", err)
	}
	if _, err := run.steps.Authorize(ctx, in); err == nil {
		return p, errors.New("record: tok_declined was authorized")
	}
	if err := run.warm(ctx, name); err != nil {
		return p, err
	}
	if p.Steps[ddbmodel.StepRelease], err = run.step(ctx, run.steps.Release, in, ""); err != nil {
		return p, err
	}
	// Rejected: a SKU with no stock.
	empty := name + "-EMPTY"
	if err := sku.Create(ctx, raw, o.Tables, empty, 0); err != nil {
		return p, fmt.Errorf("record: create %s: %w", empty, err)
	}
	rec.sku = empty
	if in, err = run.place(ctx, empty, "tok_visa"); err != nil {
		return p, err
	}
	if err := run.warm(ctx, empty); err != nil {
		return p, err
	}
	if p.Steps[ddbmodel.StepReject], err = run.step(ctx, run.steps.Reserve, in, "OutOfStock"); err != nil {
		return p, err
	}
	return p, nil
}

type runner struct {
	rec    *Recorder
	raw    *dynamodb.Client
	tables dynamo.Tables
	steps  *saga.Steps
}

// warm runs an unrecorded reservation of another order of sku, so that the recorded step finds the
// store as a sale does: a container remembers for a few seconds which SKUs are sharded and, from its
// second step of one on, reads its shard items without the item (internal/adapter/dynamo, shardings).
// A SKU that is not sharded is read the same way every time; the warm-up changes nothing there.
func (r *runner) warm(ctx context.Context, sku string) error {
	if r.rec.SKU.Shards <= 1 {
		return nil
	}
	in, err := r.place(ctx, sku, "tok_visa")
	if err != nil {
		return err
	}
	if _, err := r.steps.Reserve(ctx, in); err != nil {
		var out *saga.OutOfStock
		if !errors.As(err, &out) {
			return fmt.Errorf("record: warm-up reservation: %w", err)
		}
	}
	return nil
}

func (r *runner) place(ctx context.Context, sku, token string) (saga.Input, error) {
	return Place(ctx, r.raw, r.tables, sku, token)
}

// Place stores a PENDING one-unit order of sku paid with token through db.
func Place(ctx context.Context, db *dynamodb.Client, t dynamo.Tables, sku, token string) (saga.Input, error) {
	price, _ := money.New(1250, "USD")
	l, err := order.NewLine(inventory.SKU(sku), sku, 1, price)
	if err != nil {
		return saga.Input{}, err
	}
	id, err := order.NewID(time.Now(), nil)
	if err != nil {
		return saga.Input{}, err
	}
	o, evs, err := order.New(id, "cust-record", []order.Line{l}, token, nil, time.Now())
	if err != nil {
		return saga.Input{}, err
	}
	err = dynamo.NewOrderRepository(db, t).Place(ctx, o, command.Remembered{RequestHash: "h", OrderID: id}, string(id), evs,
		event.Cause{CorrelationID: "record"})
	if err != nil {
		return saga.Input{}, fmt.Errorf("record: place: %w", err)
	}
	return saga.Input{OrderID: string(id), CorrelationID: "record", CausationID: "evt-placed"}, nil
}

// step runs a step once under recording; wantErr is the named error it must end with ("" for none).
func (r *runner) step(ctx context.Context, s saga.Step, in saga.Input, wantErr string) ([]ddbmodel.Call, error) {
	r.rec.start()
	_, err := s(ctx, in)
	calls := r.rec.stop()
	got := ""
	if err != nil {
		got = reflect.TypeOf(err).Elem().Name()
	}
	if got != wantErr {
		return nil, fmt.Errorf("record: step ended with %v (%s); want %q", err, got, wantErr)
	}
	return calls, nil
}

// Roles names the tables by their role: the lower-cased field of dynamo.Tables ("orders", ...).
func Roles(t dynamo.Tables) map[string]string {
	out := map[string]string{}
	v := reflect.ValueOf(t)
	for i := range v.NumField() {
		if f := v.Field(i); f.Kind() == reflect.String && f.String() != "" {
			out[f.String()] = strings.ToLower(v.Type().Field(i).Name)
		}
	}
	return out
}

// Recorder is an http.RoundTripper that records the DynamoDB requests it passes on (to Next, the
// default transport when nil) while recording. Fail, when set, answers a request in its place (a
// cancelled transaction, say) and is recorded too.
type Recorder struct {
	Next  http.RoundTripper
	Size  func(item map[string]any) int
	Roles map[string]string
	SKU   SKU
	Fail  func(op string) (status int, body string, ok bool)

	sku   string
	mu    sync.Mutex
	on    bool
	calls []ddbmodel.Call
	ops   []string // every operation sent, recording or not
}

// Client is a DynamoDB client of cfg whose requests go through the recorder.
func (r *Recorder) Client(cfg aws.Config) *dynamodb.Client {
	return dynamodb.NewFromConfig(cfg, func(c *dynamodb.Options) { c.HTTPClient = &http.Client{Transport: r} })
}

func (r *Recorder) start() {
	r.mu.Lock()
	r.on, r.calls = true, nil
	r.mu.Unlock()
}

func (r *Recorder) stop() []ddbmodel.Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.on = false
	return r.calls
}

// RoundTrip passes the request on and records it.
func (r *Recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	target := req.Header.Get("X-Amz-Target")
	op := target[strings.LastIndexByte(target, '.')+1:]
	var resp *http.Response
	if status, b, ok := r.failure(op); ok {
		resp = &http.Response{StatusCode: status, Status: http.StatusText(status), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{"Content-Type": {"application/x-amz-json-1.0"}}, Body: io.NopCloser(strings.NewReader(b)),
			ContentLength: int64(len(b)), Request: req}
	} else {
		next := r.Next
		if next == nil {
			next = http.DefaultTransport
		}
		if resp, err = next.RoundTrip(req); err != nil {
			return nil, err
		}
	}
	out, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(out))
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ops = append(r.ops, op)
	if r.on {
		r.calls = append(r.calls, r.call(op, body, out))
	}
	return resp, nil
}

func (r *Recorder) failure(op string) (int, string, bool) {
	if r.Fail == nil {
		return 0, "", false
	}
	return r.Fail(op)
}

// Ops returns every operation sent so far, in order.
func (r *Recorder) Ops() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ops...)
}

// call describes one request: its items, their sizes and billed units.
func (r *Recorder) call(op string, reqBody, respBody []byte) ddbmodel.Call {
	var req, resp map[string]any
	_ = json.Unmarshal(reqBody, &req)
	_ = json.Unmarshal(respBody, &resp)
	c := ddbmodel.Call{Op: op}
	item := func(table string, it map[string]any, factor float64, unit int, cond string) ddbmodel.Item {
		role := r.Roles[table]
		if role == "" {
			role = table
		}
		n := 0
		if it != nil {
			n = r.Size(it)
		}
		hot := it != nil && r.SKU.Hot(role, r.sku, it)
		return ddbmodel.Item{Table: role, Hot: hot, Bytes: n,
			Units: factor * math.Max(1, math.Ceil(float64(n)/float64(unit))), Condition: cond,
			// On a sharded design, the SKU's own item (not one of its shard items).
			Item: hot && r.SKU.Shards > 1 && stringAttr(it["sku"]) == r.sku}
	}
	cond := func(p map[string]any) string { s, _ := p["ConditionExpression"].(string); return s }
	switch op {
	case "GetItem":
		table, _ := req["TableName"].(string)
		got, _ := resp["Item"].(map[string]any)
		if got == nil {
			got, _ = req["Key"].(map[string]any)
		}
		c.Items = append(c.Items, item(table, got, readFactor(req), 4096, ""))
	case "BatchGetItem":
		ri, _ := req["RequestItems"].(map[string]any)
		rs, _ := resp["Responses"].(map[string]any)
		for _, table := range sortedKeys(ri) {
			spec, _ := ri[table].(map[string]any)
			keys, _ := spec["Keys"].([]any)
			found, _ := rs[table].([]any)
			for _, f := range found {
				fm, _ := f.(map[string]any)
				c.Items = append(c.Items, item(table, fm, readFactor(spec), 4096, ""))
			}
			for range len(keys) - len(found) { // absent items still cost a read unit
				c.Items = append(c.Items, ddbmodel.Item{Table: r.Roles[table], Units: readFactor(spec)})
			}
		}
	case "TransactWriteItems", "PutItem", "UpdateItem", "DeleteItem":
		c.Write = true
		factor := 1.0
		var parts []map[string]any
		if op == "TransactWriteItems" {
			c.Transactional, factor = true, 2
			items, _ := req["TransactItems"].([]any)
			for _, x := range items {
				xm, _ := x.(map[string]any)
				for _, k := range sortedKeys(xm) {
					p, _ := xm[k].(map[string]any)
					parts = append(parts, p)
				}
			}
		} else {
			parts = append(parts, req)
		}
		for _, p := range parts {
			table, _ := p["TableName"].(string)
			it, _ := p["Item"].(map[string]any)
			if it == nil {
				// An Update, Delete or ConditionCheck names a key only: sized by its key, at least a unit.
				it, _ = p["Key"].(map[string]any)
			}
			c.Items = append(c.Items, item(table, it, factor, 1024, cond(p)))
		}
	}
	return c
}

func readFactor(spec map[string]any) float64 {
	if c, _ := spec["ConsistentRead"].(bool); c {
		return 1
	}
	return 0.5
}

func sortedKeys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }
