package streams_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"

	"github.com/orion-oss/orion/infra/engine/eventpattern"
	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/infra/engine/streams"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

// streamTable creates a table with a NEW_IMAGE stream and returns its name and stream ARN.
func streamTable(t *testing.T, db *dynamodb.Client) (string, string) {
	t.Helper()
	name := awstest.Name(t, "outbox")
	out, err := db.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
		StreamSpecification:  &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewImage},
	})
	if err != nil {
		t.Fatal(err)
	}
	return name, aws.ToString(out.TableDescription.LatestStreamArn)
}

func put(t *testing.T, db *dynamodb.Client, table, id string, n int) {
	t.Helper()
	_, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{
		"id": &types.AttributeValueMemberS{Value: id}, "n": &types.AttributeValueMemberN{Value: fmt.Sprint(n)},
		"tags": &types.AttributeValueMemberSS{Value: []string{"a"}}, "ok": &types.AttributeValueMemberBOOL{Value: true},
	}})
	if err != nil {
		t.Fatal(err)
	}
}

type collector struct {
	mu      sync.Mutex
	batches []streams.Batch
}

func (c *collector) handle(_ context.Context, b streams.Batch) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.batches = append(c.batches, b)
	return nil
}

func (c *collector) records() []streams.Record {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []streams.Record
	for _, b := range c.batches {
		out = append(out, b.Records...)
	}
	return out
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestPollerDeliversNewRecordsInOrderAsLambdaRecords(t *testing.T) {
	cfg := awstest.Config(t)
	db := dynamodb.NewFromConfig(cfg)
	table, arn := streamTable(t, db)
	put(t, db, table, "before-start", 0) // LATEST: not delivered

	ctx, cancel := context.WithCancel(context.Background())
	c := &collector{}
	p := streams.NewPoller(dynamodbstreams.NewFromConfig(cfg), nil, 20*time.Millisecond)
	wait, err := p.Start(ctx, streams.Source{StreamArn: arn, BatchSize: 2}, c.handle)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); wait() }()
	for i := 1; i <= 5; i++ {
		put(t, db, table, fmt.Sprintf("e%d", i), i)
	}
	eventually(t, "5 records", func() bool { return len(c.records()) >= 5 })

	recs := c.records()
	if len(recs) != 5 {
		t.Fatalf("got %d records; want 5 (the one written before Start must not appear)", len(recs))
	}
	for _, b := range c.batches {
		if len(b.Records) > 2 {
			t.Errorf("batch of %d records exceeds BatchSize 2", len(b.Records))
		}
	}
	for i, r := range recs {
		var rec struct {
			EventName      string `json:"eventName"`
			EventSourceARN string `json:"eventSourceARN"`
			Dynamodb       struct {
				NewImage map[string]map[string]any
				Keys     map[string]map[string]any
			} `json:"dynamodb"`
		}
		if err := json.Unmarshal(r.JSON, &rec); err != nil {
			t.Fatal(err)
		}
		wantID := fmt.Sprintf("e%d", i+1)
		if rec.EventName != "INSERT" || rec.EventSourceARN != arn || rec.Dynamodb.Keys["id"]["S"] != wantID ||
			rec.Dynamodb.NewImage["n"]["N"] != fmt.Sprint(i+1) || rec.Dynamodb.NewImage["ok"]["BOOL"] != true {
			t.Errorf("record %d = %s", i, r.JSON)
		}
		if r.SequenceNumber == "" {
			t.Errorf("record %d has no sequence number", i)
		}
	}
}

// fakeInvoker stands in for our own Invoker port (the function host), failing as scripted.
type fakeInvoker struct {
	mu    sync.Mutex
	calls [][]string // ids per call
	fail  func(ids []string) ([]byte, error)
}

func (f *fakeInvoker) Invoke(_ context.Context, _ string, payload []byte) ([]byte, error) {
	var ev struct {
		Records []struct {
			Dynamodb struct {
				Keys           map[string]map[string]string
				SequenceNumber string
			} `json:"dynamodb"`
		}
	}
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, err
	}
	var ids []string
	for _, r := range ev.Records {
		ids = append(ids, r.Dynamodb.Keys["id"]["S"])
	}
	f.mu.Lock()
	f.calls = append(f.calls, ids)
	f.mu.Unlock()
	if f.fail != nil {
		return f.fail(ids)
	}
	return nil, nil
}

type sink struct {
	mu   sync.Mutex
	sent []map[string]any
}

func (s *sink) SendFailure(_ context.Context, dest string, body []byte) error {
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return err
	}
	m["destination"] = dest
	s.mu.Lock()
	s.sent = append(s.sent, m)
	s.mu.Unlock()
	return nil
}

func batchOf(ids ...string) streams.Batch {
	b := streams.Batch{StreamArn: "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/x", ShardID: "shard-1"}
	for i, id := range ids {
		j, _ := json.Marshal(map[string]any{"eventName": "INSERT", "dynamodb": map[string]any{
			"Keys": map[string]any{"id": map[string]any{"S": id}}, "SequenceNumber": fmt.Sprint(100 + i)}})
		b.Records = append(b.Records, streams.Record{SequenceNumber: fmt.Sprint(100 + i), JSON: j, Arrival: time.Now()})
	}
	return b
}

func TestFunctionSourceRetryPolicies(t *testing.T) {
	poison := func(ids []string) ([]byte, error) {
		for _, id := range ids {
			if id == "bad" {
				return nil, errors.New("boom")
			}
		}
		return nil, nil
	}
	tests := []struct {
		name      string
		policy    streams.RetryPolicy
		partial   bool
		fail      func([]string) ([]byte, error)
		wantCalls [][]string
		wantSent  int
	}{
		{
			name:      "success needs one call",
			policy:    streams.RetryPolicy{MaximumRetryAttempts: 2, MaximumRecordAgeInSeconds: -1},
			wantCalls: [][]string{{"a", "bad", "c"}},
			fail:      func([]string) ([]byte, error) { return nil, nil },
		},
		{
			name:      "whole batch retried then sent to the destination",
			policy:    streams.RetryPolicy{MaximumRetryAttempts: 2, MaximumRecordAgeInSeconds: -1},
			fail:      poison,
			wantCalls: [][]string{{"a", "bad", "c"}, {"a", "bad", "c"}, {"a", "bad", "c"}},
			wantSent:  1,
		},
		{
			name:   "bisect isolates the poison record",
			policy: streams.RetryPolicy{MaximumRetryAttempts: 1, MaximumRecordAgeInSeconds: -1, BisectOnError: true},
			fail:   poison,
			// [a bad c] fails -> [a] ok, [bad c] fails (2nd failure: exhausted) -> destination.
			wantCalls: [][]string{{"a", "bad", "c"}, {"a"}, {"bad", "c"}},
			wantSent:  1,
		},
		{
			name:    "partial batch response retries from the first failed record",
			policy:  streams.RetryPolicy{MaximumRetryAttempts: 5, MaximumRecordAgeInSeconds: -1},
			partial: true,
			fail: func() func([]string) ([]byte, error) {
				n := 0
				return func(ids []string) ([]byte, error) {
					n++
					if n == 1 {
						return []byte(`{"batchItemFailures":[{"itemIdentifier":"101"}]}`), nil
					}
					return []byte(`{"batchItemFailures":[]}`), nil
				}
			}(),
			wantCalls: [][]string{{"a", "bad", "c"}, {"bad", "c"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := &fakeInvoker{fail: tt.fail}
			s := &sink{}
			src := &streams.FunctionSource{Function: "f", FunctionArn: "arn:f", Retry: tt.policy,
				ReportBatchItemFailures: tt.partial, OnFailure: "arn:aws:sqs:us-east-1:123456789012:dlq", Invoker: inv, Sink: s}
			if err := src.Handle(context.Background(), batchOf("a", "bad", "c")); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(inv.calls) != fmt.Sprint(tt.wantCalls) {
				t.Errorf("calls = %v; want %v", inv.calls, tt.wantCalls)
			}
			if len(s.sent) != tt.wantSent {
				t.Fatalf("sent %d failure records; want %d", len(s.sent), tt.wantSent)
			}
			for _, m := range s.sent {
				info, _ := m["DDBStreamBatchInfo"].(map[string]any)
				if info == nil || info["shardId"] != "shard-1" || m["destination"] != "arn:aws:sqs:us-east-1:123456789012:dlq" {
					t.Errorf("failure record = %v", m)
				}
			}
		})
	}
}

func TestFilterCriteriaDropNonMatchingRecords(t *testing.T) {
	pat, err := eventpattern.Compile([]byte(`{"dynamodb":{"Keys":{"id":{"S":[{"prefix":"keep"}]}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	inv := &fakeInvoker{}
	src := &streams.FunctionSource{Function: "f", Filters: []*eventpattern.Pattern{pat}, Invoker: inv,
		Retry: streams.RetryPolicy{MaximumRetryAttempts: -1, MaximumRecordAgeInSeconds: -1}}
	if err := src.Handle(context.Background(), batchOf("keep-1", "drop", "keep-2")); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(inv.calls) != "[[keep-1 keep-2]]" {
		t.Fatalf("calls = %v", inv.calls)
	}
	// A batch that filters down to nothing invokes nothing.
	inv.calls = nil
	if err := src.Handle(context.Background(), batchOf("drop")); err != nil {
		t.Fatal(err)
	}
	if len(inv.calls) != 0 {
		t.Fatalf("calls = %v; want none", inv.calls)
	}
}

// enrichment answers, for each record of the batch (a JSON array, as a Pipe sends it), as many events
// as its id is given: a batch item of the outbox becomes up to 10 events.
type enrichment struct {
	mu      sync.Mutex
	events  map[string]int
	batches [][]string
}

func (e *enrichment) Invoke(_ context.Context, _ string, payload []byte) ([]byte, error) {
	var recs []struct {
		Dynamodb struct {
			Keys map[string]map[string]string
		} `json:"dynamodb"`
	}
	if err := json.Unmarshal(payload, &recs); err != nil {
		return nil, err
	}
	var ids []string
	var out []map[string]any
	for _, r := range recs {
		id := r.Dynamodb.Keys["id"]["S"]
		ids = append(ids, id)
		for i := range e.events[id] {
			out = append(out, map[string]any{"type": "T", "source": "s", "id": fmt.Sprintf("%s-%d", id, i)})
		}
	}
	e.mu.Lock()
	e.batches = append(e.batches, ids)
	e.mu.Unlock()
	return json.Marshal(out)
}

// busTarget records what the Pipe sends instead of calling PutEvents; its batch size is the bus's.
type busTarget struct {
	streams.BusTarget
	sent [][]string // event ids per invocation
}

func (b *busTarget) Send(_ context.Context, items []json.RawMessage) error {
	var ids []string
	for _, it := range items {
		var ev struct{ ID string }
		if err := json.Unmarshal(it, &ev); err != nil {
			return err
		}
		ids = append(ids, ev.ID)
	}
	b.sent = append(b.sent, ids)
	return nil
}

// As on AWS, a Pipe does not invoke an event bus target with more than 10 events: an enrichment that
// answers more fails the batch, which is retried (bisected where the Pipe says so) and then sent to
// the dead-letter queue.
func TestPipeRefusesMoreEventsThanTheBusTakes(t *testing.T) {
	ids := func(id string, n int) []string {
		var out []string
		for i := range n {
			out = append(out, fmt.Sprintf("%s-%d", id, i))
		}
		return out
	}
	for _, tc := range []struct {
		name        string
		events      map[string]int
		records     []string
		bisect      bool
		wantBatches [][]string // the records of each enrichment call
		wantSent    [][]string
		wantDLQ     int
	}{
		{name: "10 events are put", events: map[string]int{"a": 10}, records: []string{"a"},
			wantBatches: [][]string{{"a"}}, wantSent: [][]string{ids("a", 10)}},
		{name: "11 events are not, and the batch ends in the DLQ", events: map[string]int{"a": 11}, records: []string{"a"},
			wantBatches: [][]string{{"a"}, {"a"}, {"a"}}, wantDLQ: 1},
		{name: "bisected, each half fits", events: map[string]int{"a": 6, "b": 5}, records: []string{"a", "b"}, bisect: true,
			wantBatches: [][]string{{"a", "b"}, {"a"}, {"b"}}, wantSent: [][]string{ids("a", 6), ids("b", 5)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			enr, target, s := &enrichment{events: tc.events}, &busTarget{}, &sink{}
			p := &streams.Pipe{Name: "outbox", Arn: "arn:aws:pipes:us-east-1:123456789012:pipe/outbox", Enrichment: "relay", Invoker: enr,
				Target: target, Sink: s, DeadLetterArn: "arn:aws:sqs:us-east-1:123456789012:dlq",
				Retry: streams.RetryPolicy{MaximumRetryAttempts: 2, MaximumRecordAgeInSeconds: -1, BisectOnError: tc.bisect}}
			if err := p.Handle(context.Background(), batchOf(tc.records...)); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(enr.batches) != fmt.Sprint(tc.wantBatches) {
				t.Errorf("enrichment calls %v; want %v", enr.batches, tc.wantBatches)
			}
			if fmt.Sprint(target.sent) != fmt.Sprint(tc.wantSent) {
				t.Errorf("target invoked with %v; want %v", target.sent, tc.wantSent)
			}
			if len(s.sent) != tc.wantDLQ {
				t.Fatalf("%d failure records; want %d", len(s.sent), tc.wantDLQ)
			}
			for _, m := range s.sent {
				msg, _ := m["responseContext"].(map[string]any)["errorMessage"].(string)
				if !strings.Contains(msg, streams.ErrTargetBatchSize.Error()) || !strings.Contains(msg, "11 items") {
					t.Errorf("failure record says %q", msg)
				}
			}
		})
	}
}
