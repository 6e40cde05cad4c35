package redrive_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/oklog/ulid/v2"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/infra/orion/redrive"
	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/adapter/dynamo/dynamotest"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/money"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

// outbox is a real outbox table (template.yaml's) in the emulator, a bus whose rule delivers every
// Orion inventory event to a FIFO queue (so that the order they were put in is the order they are read
// in), and a failed Pipe batch of an hour ago: its first record arrived at first, its last two seconds
// later.
type outbox struct {
	cfg              aws.Config
	db               *dynamodb.Client
	table, streamArn string
	bus, busArn      string
	sink             string // the rule's target queue
	first            time.Time
}

func newOutbox(t *testing.T) *outbox {
	t.Helper()
	ctx := context.Background()
	o := &outbox{cfg: awstest.Config(t), first: time.Now().UTC().Add(-time.Hour).Truncate(time.Second)}
	o.db = dynamodb.NewFromConfig(o.cfg)
	o.table = dynamotest.Table(t, "OutboxTable")
	desc, err := o.db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &o.table})
	if err != nil {
		t.Fatal(err)
	}
	o.streamArn = aws.ToString(desc.Table.LatestStreamArn)

	q := sqs.NewFromConfig(o.cfg)
	sink, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(awstest.Name(t, "bus-sink") + ".fifo"),
		Attributes: map[string]string{"FifoQueue": "true", "ContentBasedDeduplication": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	o.sink = aws.ToString(sink.QueueUrl)
	attrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: sink.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	eb := eventbridge.NewFromConfig(o.cfg)
	o.bus = awstest.Name(t, "bus")
	bus, err := eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: &o.bus})
	if err != nil {
		t.Fatal(err)
	}
	o.busArn = aws.ToString(bus.EventBusArn)
	rule := awstest.Name(t, "all")
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: &rule, EventBusName: &o.bus, EventPattern: aws.String(`{"source":["orion.inventory"]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: &rule, EventBusName: &o.bus, Targets: []ebtypes.Target{{
		Id: aws.String("sink"), Arn: aws.String(attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]),
		SqsParameters: &ebtypes.SqsParameters{MessageGroupId: aws.String("all")},
	}}}); err != nil {
		t.Fatal(err)
	}
	return o
}

// envelope is the JSON of an event whose id is a ULID of the given time, as the outbox holds it.
func envelope(t *testing.T, at time.Time, sku string) (string, string) {
	t.Helper()
	id := ulid.MustNew(ulid.Timestamp(at), ulid.DefaultEntropy()).String()
	var p event.Payload = event.InventoryLow{SKU: sku, Name: "n-" + sku, Available: 1, Threshold: 3, ItemVersion: 2}
	if strings.HasPrefix(sku, "U") {
		price, err := money.New(1250, "USD")
		if err != nil {
			t.Fatal(err)
		}
		p = event.InventoryUpdated{SKU: sku, Name: "n-" + sku, Price: price, Available: 7, ItemVersion: 3}
	}
	env, err := event.Wrap(p, event.Meta{ID: id, OccurredAt: at, CorrelationID: "c-" + sku})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return id, string(b)
}

func (o *outbox) put(t *testing.T, item map[string]ddbtypes.AttributeValue) {
	t.Helper()
	item["expiresAt"] = &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(time.Now().Add(7*24*time.Hour).Unix(), 10)}
	if _, err := o.db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: &o.table, Item: item}); err != nil {
		t.Fatal(err)
	}
}

// single writes a single item (internal/adapter/dynamo's shape) of an event at `at` and returns its id.
func (o *outbox) single(t *testing.T, at time.Time, sku string) string {
	t.Helper()
	id, body := envelope(t, at, sku)
	var env event.Envelope
	_ = json.Unmarshal([]byte(body), &env)
	o.put(t, map[string]ddbtypes.AttributeValue{"eventId": &ddbtypes.AttributeValueMemberS{Value: id},
		"type": &ddbtypes.AttributeValueMemberS{Value: env.Type}, "source": &ddbtypes.AttributeValueMemberS{Value: env.Source},
		"envelope": &ddbtypes.AttributeValueMemberS{Value: body}})
	return id
}

// batch writes a batch item keyed by a ULID of `at` holding events of that time, and returns their ids.
func (o *outbox) batch(t *testing.T, at time.Time, skus ...string) []string {
	t.Helper()
	var ids []string
	var list []ddbtypes.AttributeValue
	for _, sku := range skus {
		id, body := envelope(t, at, sku)
		ids = append(ids, id)
		list = append(list, &ddbtypes.AttributeValueMemberS{Value: body})
	}
	o.put(t, map[string]ddbtypes.AttributeValue{"eventId": &ddbtypes.AttributeValueMemberS{Value: ulid.MustNew(ulid.Timestamp(at), ulid.DefaultEntropy()).String()},
		"kind": &ddbtypes.AttributeValueMemberS{Value: "batch"}, "envelopes": &ddbtypes.AttributeValueMemberL{Value: list}})
	return ids
}

// deadLetter puts the Pipe's failure record of the batch on a new DLQ and returns the queue.
func (o *outbox) deadLetter(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	q := sqs.NewFromConfig(o.cfg)
	dlq, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(awstest.Name(t, "outbox-pipe-dlq"))})
	if err != nil {
		t.Fatal(err)
	}
	// What infra/engine/streams' sendFailure writes, as AWS does for a stream source's failed batch.
	body, _ := json.Marshal(map[string]any{
		"version": "1.0", "timestamp": o.first.Add(time.Minute).Format(time.RFC3339Nano),
		"requestContext":  map[string]any{"functionArn": "arn:aws:pipes:us-east-1:123456789012:pipe/orion-test-outbox", "condition": "RetryAttemptsExhausted", "approximateInvokeCount": 11},
		"responseContext": map[string]any{"functionError": "Unhandled", "errorMessage": "relay unavailable"},
		"DDBStreamBatchInfo": map[string]any{
			"shardId": "shardId-00000001", "startSequenceNumber": "100", "endSequenceNumber": "400",
			"approximateArrivalOfFirstRecord": o.first.Format(time.RFC3339),
			"approximateArrivalOfLastRecord":  o.first.Add(2 * time.Second).Format(time.RFC3339),
			"batchSize":                       4, "streamArn": o.streamArn,
		},
	})
	if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: dlq.QueueUrl, MessageBody: aws.String(string(body))}); err != nil {
		t.Fatal(err)
	}
	return aws.ToString(dlq.QueueUrl)
}

// queued is how many messages the queue holds, in flight or not.
func queued(t *testing.T, cfg aws.Config, queue string) int {
	t.Helper()
	out, err := sqs.NewFromConfig(cfg).GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: &queue,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, k := range []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible} {
		v, _ := strconv.Atoi(out.Attributes[string(k)])
		n += v
	}
	return n
}

// delivered is the bus event as the rule's SQS target received it.
type delivered struct {
	Source     string          `json:"source"`
	DetailType string          `json:"detail-type"`
	Detail     json.RawMessage `json:"detail"`
}

// drain reads what the bus delivered to the sink, in order, until a receive comes back empty.
func (o *outbox) drain(t *testing.T) []delivered {
	t.Helper()
	ctx := context.Background()
	q := sqs.NewFromConfig(o.cfg)
	var got []delivered
	for {
		out, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &o.sink, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			return got
		}
		for _, m := range out.Messages {
			var d delivered
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &d); err != nil {
				t.Fatalf("bus delivered %s: %v", aws.ToString(m.Body), err)
			}
			got = append(got, d)
			// A FIFO group gives its next messages only once these are deleted.
			if _, err := q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &o.sink, ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// withWindow writes the outbox of the test: events inside the failed batch's window (its arrivals
// widened by the default minute) and outside it, singles and batches, and returns the ids of those
// inside in the order the Pipes would have put them.
func (o *outbox) withWindow(t *testing.T) []string {
	t.Helper()
	at := func(d time.Duration) time.Time { return o.first.Add(d) }
	// Outside: before the margin, after it, and far from it.
	o.single(t, at(-time.Minute-time.Second), "OUT1")
	o.batch(t, at(2*time.Second+time.Second+time.Minute+500*time.Millisecond), "OUT2", "OUT3")
	o.single(t, at(-3*time.Hour), "OUT4")
	o.batch(t, at(time.Hour), "OUT5")
	// Inside, written out of order: the redrive orders them by key.
	var want []string
	late := o.single(t, at(2*time.Second+900*time.Millisecond), "ULATE") // in the last arrival's second
	batch := o.batch(t, at(time.Second+100*time.Millisecond), "B1", "UB2", "B3")
	early := o.single(t, at(-50*time.Second), "EARLY") // within the margin before
	first := o.single(t, at(20*time.Millisecond), "UFIRST")
	big := o.batch(t, at(1500*time.Millisecond), "C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9", "C10")
	want = append(want, early, first)
	want = append(want, batch...)
	want = append(want, big...)
	return append(want, late)
}

func (o *outbox) options(dryRun bool) redrive.Options {
	return redrive.Options{DryRun: dryRun, Outbox: &redrive.Outbox{Table: o.table, Bus: o.bus,
		DB: o.db, Events: eventbridge.NewFromConfig(o.cfg)}}
}

func ids(envs []event.Envelope) []string {
	out := make([]string, len(envs))
	for i, e := range envs {
		out[i] = e.ID
	}
	return out
}

// The events of a failed Pipe batch's window reach the bus from the outbox, each as the Pipe puts it
// (source, detail-type and the envelope as detail), in key order and nothing else; then the message is
// deleted.
func TestPipeBatchIsRepublishedFromTheOutbox(t *testing.T) {
	t.Parallel()
	o := newOutbox(t)
	want := o.withWindow(t)
	dlq := o.deadLetter(t)

	out, err := redrive.Run(context.Background(), sqs.NewFromConfig(o.cfg), nil, dlq, o.options(false))
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out[0].Err != nil || !out[0].Redriven || out[0].Function != o.bus {
		t.Fatalf("outcomes %+v; want the batch redriven to %s", out, o.bus)
	}
	if got := ids(out[0].Events); !reflect.DeepEqual(got, want) {
		t.Fatalf("redrove %v;\nwant %v", got, want)
	}
	got := o.drain(t)
	if len(got) != len(want) {
		t.Fatalf("the bus delivered %d events; want %d", len(got), len(want))
	}
	for i, d := range got {
		env := out[0].Events[i]
		// The Pipe's entry: Source $.source, DetailType $.type, Detail the relay's answer (the envelope).
		wantDetail, _ := json.Marshal(env)
		var gotDetail, wantAny any
		_ = json.Unmarshal(d.Detail, &gotDetail)
		_ = json.Unmarshal(wantDetail, &wantAny)
		if d.Source != "orion.inventory" || d.Source != env.Source || d.DetailType != env.Type || !reflect.DeepEqual(gotDetail, wantAny) {
			t.Fatalf("event %d delivered as %s %s %s; want %s %s %s", i, d.Source, d.DetailType, d.Detail, env.Source, env.Type, wantDetail)
		}
		decoded, err := event.Decode(d.Detail)
		if err != nil || decoded.ID != want[i] {
			t.Fatalf("event %d: detail %s decodes to %s, %v; want the envelope of %s", i, d.Detail, decoded.ID, err, want[i])
		}
		if _, err := decoded.Payload(); err != nil {
			t.Fatalf("event %d: payload: %v", i, err)
		}
	}
	if n := queued(t, o.cfg, dlq); n != 0 {
		t.Fatalf("the DLQ holds %d messages after the redrive; want 0", n)
	}
}

// A dry run lists the window's events and changes nothing: nothing on the bus, the message kept.
func TestPipeBatchDryRunChangesNothing(t *testing.T) {
	t.Parallel()
	o := newOutbox(t)
	want := o.withWindow(t)
	dlq := o.deadLetter(t)
	out, err := redrive.Run(context.Background(), sqs.NewFromConfig(o.cfg), nil, dlq, o.options(true))
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out[0].Err != nil || out[0].Redriven || !reflect.DeepEqual(ids(out[0].Events), want) {
		t.Fatalf("outcomes %+v; want the %d events listed, not redriven", out, len(want))
	}
	if got := o.drain(t); len(got) != 0 {
		t.Fatalf("a dry run put %d events on the bus", len(got))
	}
	if n := queued(t, o.cfg, dlq); n != 1 {
		t.Fatalf("the DLQ holds %d messages after a dry run; want 1", n)
	}
}

// A Pipe batch that cannot be redriven is kept and says why: no table or bus given, a batch older than
// the outbox keeps items, an item the relay refuses (nothing is put then), another table's stream.
func TestPipeBatchNotRedrivenIsKept(t *testing.T) {
	t.Parallel()
	o := newOutbox(t)
	o.withWindow(t)
	eb := eventbridge.NewFromConfig(o.cfg)
	broken := newOutbox(t)
	broken.withWindow(t)
	broken.put(t, map[string]ddbtypes.AttributeValue{"eventId": &ddbtypes.AttributeValueMemberS{
		Value: ulid.MustNew(ulid.Timestamp(broken.first.Add(time.Second)), ulid.DefaultEntropy()).String()}})
	tests := []struct {
		name   string
		o      *outbox
		outbox *redrive.Outbox
		is     error
		says   string
	}{
		{name: "no table", o: o, outbox: &redrive.Outbox{Bus: o.bus, DB: o.db, Events: eb}, is: redrive.ErrNoOutbox, says: "-outbox-table and -bus"},
		{name: "no bus", o: o, outbox: &redrive.Outbox{Table: o.table, DB: o.db, Events: eb}, is: redrive.ErrNoOutbox, says: "OutboxTableName and EventBusName"},
		{name: "no outbox at all", o: o, is: redrive.ErrNoOutbox, says: "-outbox-table"},
		{name: "expired", o: o, outbox: &redrive.Outbox{Table: o.table, Bus: o.bus, DB: o.db, Events: eb,
			Now: func() time.Time { return o.first.Add(dynamo.OutboxRetention) }}, is: redrive.ErrExpired, says: "more than " + dynamo.OutboxRetention.String() + " ago"},
		{name: "a broken item", o: broken, outbox: &redrive.Outbox{Table: broken.table, Bus: broken.bus, DB: broken.db, Events: eb}, says: "has no envelope"},
		{name: "another table's stream", o: o, outbox: &redrive.Outbox{Table: broken.table, Bus: o.bus, DB: o.db, Events: eb},
			is: redrive.ErrNotRedrivable, says: "not of the outbox " + broken.table},
	}
	// The cases run side by side, each with a DLQ of its own, and the buses' sinks are drained once
	// they are all done: a drain proves nothing arrived by a 1 s long poll, and two per case made this
	// test 20 s (docs/adr/0025). An event a case put on a bus is still found, in the drain below.
	t.Run("cases", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				dlq := tt.o.deadLetter(t)
				out, err := redrive.Run(context.Background(), sqs.NewFromConfig(o.cfg), nil, dlq, redrive.Options{Outbox: tt.outbox})
				if err != nil {
					t.Fatal(err)
				}
				if len(out) != 1 || out[0].Redriven || out[0].Err == nil || tt.is != nil && !errors.Is(out[0].Err, tt.is) || !strings.Contains(out[0].Err.Error(), tt.says) {
					t.Fatalf("outcomes %+v; want not redriven, the error %v saying %q", out, tt.is, tt.says)
				}
				if n := queued(t, o.cfg, dlq); n != 1 {
					t.Fatalf("the DLQ holds %d messages; want the message kept", n)
				}
			})
		}
	})
	if got := o.drain(t); len(got) != 0 {
		t.Fatalf("%d events put on the bus by the cases above: %+v", len(got), got)
	}
	if got := broken.drain(t); len(got) != 0 {
		t.Fatalf("%d events put on the bus by the cases above: %+v", len(got), got)
	}
}
