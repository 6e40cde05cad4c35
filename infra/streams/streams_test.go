package streams_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"

	"github.com/orion-oss/orion/infra/eventpattern"
	"github.com/orion-oss/orion/infra/localaws/awstest"
	"github.com/orion-oss/orion/infra/streams"
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
