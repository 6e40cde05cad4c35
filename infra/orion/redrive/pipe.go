package redrive

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/oklog/ulid/v2"

	"github.com/orion-oss/orion/infra/engine/streams"
	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/adapter/dynamo/relay"
	"github.com/orion-oss/orion/internal/event"
)

// Scanner is the part of DynamoDB redrive uses to read the outbox.
type Scanner interface {
	Scan(ctx context.Context, in *dynamodb.ScanInput, opts ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
}

// Publisher is the part of EventBridge redrive uses to put events on the bus.
type Publisher interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// Outbox is what a Pipe batch message is redriven from and to: the outbox table the Pipes read and the
// bus they put on (the stack outputs OutboxTableName and EventBusName).
type Outbox struct {
	Table  string // name (or ARN) of the outbox table
	Bus    string // name or ARN of the event bus
	DB     Scanner
	Events Publisher
	// Margin widens the batch's arrival window on both sides; 0 is DefaultMargin.
	Margin time.Duration
	// Now is the clock the retention check reads; nil is time.Now.
	Now func() time.Time
}

// DefaultMargin widens a failed batch's window on either side. An event id's time is the writer's clock
// when it built the transaction, before the commit that put the record on the stream (at most the
// function's timeout, 10 s, of SDK retries before it), and the arrival times are the stream's clock
// truncated to the second; a minute covers both and any clock skew several times over. A wider window
// costs only neighbouring events published again, which every consumer ignores by event id.
const DefaultMargin = time.Minute

// putAttempts bounds the PutEvents calls for one chunk: the entries a call failed (throttling, an
// internal error) are put again until then, and the message is left in the queue after.
const putAttempts = 3

// putBackoff is the pause before putting failed entries again, doubled each time.
var putBackoff = 200 * time.Millisecond

// ErrNoOutbox means a Pipe batch message was met without the outbox table and the bus to redrive it.
var ErrNoOutbox = errors.New("redrive: an outbox Pipe batch needs the outbox table and the event bus " +
	"(-outbox-table and -bus: the stack outputs OutboxTableName and EventBusName)")

// ErrExpired means a Pipe batch is older than the outbox keeps its items: some may be gone already.
var ErrExpired = errors.New("redrive: the batch's outbox items may have expired")

// batchInfo is a Pipe (or Lambda stream) on-failure record's DDBStreamBatchInfo: where the failed batch
// was in the stream, not its records.
type batchInfo struct {
	ShardID                         string `json:"shardId"`
	StartSequenceNumber             string `json:"startSequenceNumber"`
	EndSequenceNumber               string `json:"endSequenceNumber"`
	ApproximateArrivalOfFirstRecord string `json:"approximateArrivalOfFirstRecord"`
	ApproximateArrivalOfLastRecord  string `json:"approximateArrivalOfLastRecord"`
	BatchSize                       int    `json:"batchSize"`
	StreamArn                       string `json:"streamArn"`
}

// pipeBatch is a decoded Pipe batch message: the arrival times of its first and last records, and the
// table whose stream it was read from.
type pipeBatch struct {
	first, last time.Time
	table       string
	size        int
}

// decodeBatch reports whether the message is a stream batch's failure record and, if so, decodes it. A
// record without the arrival times or the stream cannot be replayed: it is refused, wrapped in
// ErrNotRedrivable.
func decodeBatch(m sqstypes.Message) (pipeBatch, bool, error) {
	// Lambda's stream on-failure records name the object DDBStreamBatchInfo; a Pipe's dead letters are
	// documented less precisely and have been seen as dynamoDbStreamBatchInfo, so both are read.
	var record struct {
		Info     json.RawMessage `json:"DDBStreamBatchInfo"`
		PipeInfo json.RawMessage `json:"dynamoDbStreamBatchInfo"`
	}
	body := aws.ToString(m.Body)
	if json.Unmarshal([]byte(body), &record) != nil {
		return pipeBatch{}, false, nil
	}
	if len(record.Info) == 0 || bytes.Equal(record.Info, []byte("null")) {
		record.Info = record.PipeInfo
	}
	if len(record.Info) == 0 || bytes.Equal(record.Info, []byte("null")) {
		return pipeBatch{}, false, nil
	}
	var info batchInfo
	if err := json.Unmarshal(record.Info, &info); err != nil {
		return pipeBatch{}, true, fmt.Errorf("%w: malformed DDBStreamBatchInfo: %v", ErrNotRedrivable, err)
	}
	var b pipeBatch
	var err error
	if b.first, err = arrival("approximateArrivalOfFirstRecord", info.ApproximateArrivalOfFirstRecord); err != nil {
		return pipeBatch{}, true, err
	}
	if b.last, err = arrival("approximateArrivalOfLastRecord", info.ApproximateArrivalOfLastRecord); err != nil {
		return pipeBatch{}, true, err
	}
	if b.last.Before(b.first) {
		return pipeBatch{}, true, fmt.Errorf("%w: malformed DDBStreamBatchInfo: last record arrived (%s) before the first (%s)",
			ErrNotRedrivable, info.ApproximateArrivalOfLastRecord, info.ApproximateArrivalOfFirstRecord)
	}
	// Without a stream ARN the record cannot say whose stream it was: the outbox given is assumed.
	if b.table = streamTable(info.StreamArn); b.table == "" && info.StreamArn != "" {
		return pipeBatch{}, true, fmt.Errorf("%w: malformed DDBStreamBatchInfo: streamArn %q names no table", ErrNotRedrivable, info.StreamArn)
	}
	b.size = info.BatchSize
	return b, true, nil
}

func arrival(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, fmt.Errorf("%w: malformed DDBStreamBatchInfo: no %s", ErrNotRedrivable, field)
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: malformed DDBStreamBatchInfo: %s: %v", ErrNotRedrivable, field, err)
	}
	return t, nil
}

// streamTable is the table of a DynamoDB stream ARN (arn:...:table/<name>/stream/<label>), "" if none.
func streamTable(arn string) string {
	_, rest, ok := strings.Cut(arn, ":table/")
	if !ok || !strings.HasPrefix(arn, "arn:") {
		return ""
	}
	name, _, ok := strings.Cut(rest, "/stream/")
	if !ok {
		return ""
	}
	return name
}

// tableName accepts a table's name or ARN.
func tableName(s string) string {
	if _, name, ok := strings.Cut(s, ":table/"); ok {
		name, _, _ = strings.Cut(name, "/")
		return name
	}
	return s
}

// window is the first and last millisecond a batch's outbox keys may have: event ids (and batch items'
// keys) are ULIDs, which sort as their millisecond times do.
func (b pipeBatch) window(margin time.Duration) (from, to time.Time) {
	// The last arrival is truncated to its second: its record arrived before the next second began.
	return b.first.Add(-margin), b.last.Add(time.Second + margin - time.Millisecond)
}

// keyRange is the smallest and largest ULID of the times from to `to`, inclusive.
func keyRange(from, to time.Time) (lo, hi string) {
	var low, high ulid.ULID
	// SetTime fails only past year 10889; a window there is no outbox's.
	_ = low.SetTime(ulid.Timestamp(from))
	_ = high.SetTime(ulid.Timestamp(to))
	_ = high.SetEntropy(bytes.Repeat([]byte{0xff}, 10))
	return low.String(), high.String()
}

// replay reads the outbox items of the batch's window and puts their events on the bus as the Pipes
// would have; with dryRun it only reads. It returns the events in the order they are put.
func (o *Outbox) replay(ctx context.Context, b pipeBatch, dryRun bool) ([]event.Envelope, error) {
	if o == nil || o.Table == "" || o.Bus == "" || o.DB == nil || o.Events == nil {
		return nil, ErrNoOutbox
	}
	if table := tableName(o.Table); b.table != "" && b.table != table {
		// A Lambda stream consumer's failure record has the same shape; its events are not the outbox's.
		return nil, fmt.Errorf("%w: a batch of the stream of table %s, not of the outbox %s", ErrNotRedrivable, b.table, table)
	}
	margin := o.Margin
	if margin == 0 {
		margin = DefaultMargin
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	from, to := b.window(margin)
	if now().Sub(from) >= dynamo.OutboxRetention {
		// TTL deletes an item after its expiresAt (written + dynamo.OutboxRetention); replaying what is left would
		// silently publish part of the batch.
		return nil, fmt.Errorf("%w: its window starts %s, more than %s ago", ErrExpired, from.Format(time.RFC3339), dynamo.OutboxRetention)
	}
	envs, err := o.read(ctx, from, to)
	if err != nil {
		return nil, err
	}
	if len(envs) == 0 {
		// The batch had records, so the window has items: none means the wrong table (or stage).
		return nil, fmt.Errorf("redrive: no outbox item in %s between %s and %s", o.Table, from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	if dryRun {
		return envs, nil
	}
	return envs, o.put(ctx, envs)
}

// read returns the events of the outbox items whose keys fall in the window, in key order and, within a
// batch item, in the order of its envelopes. It decodes every item before anything is put: an item the
// relay refuses (most likely why the Pipe failed the batch) fails the message, naming the item.
func (o *Outbox) read(ctx context.Context, from, to time.Time) ([]event.Envelope, error) {
	lo, hi := keyRange(from, to)
	// A Scan, not a Query: eventId is the table's only key (a hash key), so no index orders it and a
	// Query can only fetch one id. The outbox holds 15 days of events at most (TTL), so reading it
	// whole, on the rare occasion a Pipe batch failed, costs little; the filter keeps the answer to the
	// window.
	in := &dynamodb.ScanInput{
		TableName:                 aws.String(tableName(o.Table)),
		FilterExpression:          aws.String("eventId BETWEEN :lo AND :hi"),
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":lo": &ddbtypes.AttributeValueMemberS{Value: lo}, ":hi": &ddbtypes.AttributeValueMemberS{Value: hi}},
		ConsistentRead:            aws.Bool(true),
	}
	type item struct {
		id  string
		img map[string]ddbtypes.AttributeValue
	}
	var items []item
	p := dynamodb.NewScanPaginator(o.DB, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("redrive: scan outbox %s: %w", o.Table, err)
		}
		for _, img := range page.Items {
			id, _ := img["eventId"].(*ddbtypes.AttributeValueMemberS)
			if id == nil {
				return nil, fmt.Errorf("redrive: outbox %s: an item without a string eventId", o.Table)
			}
			items = append(items, item{id.Value, img})
		}
	}
	// A Scan returns items in hash order; the Pipe read them in commit order, which ULIDs follow.
	slices.SortFunc(items, func(a, b item) int { return strings.Compare(a.id, b.id) })
	var envs []event.Envelope
	for _, it := range items {
		// The relay itself decodes the item, so that what is published is what the Pipe would have.
		rec := events.DynamoDBEventRecord{EventID: it.id, EventName: "INSERT",
			Change: events.DynamoDBStreamRecord{NewImage: streamImage(it.img)}}
		got, err := relay.Records([]events.DynamoDBEventRecord{rec})
		if err != nil {
			return nil, fmt.Errorf("redrive: outbox item %s: %w", it.id, err)
		}
		envs = append(envs, got...)
	}
	return envs, nil
}

// streamImage converts an item as Scan returns it into a stream record's image, which the relay reads.
func streamImage(img map[string]ddbtypes.AttributeValue) map[string]events.DynamoDBAttributeValue {
	out := make(map[string]events.DynamoDBAttributeValue, len(img))
	for k, v := range img {
		if a, ok := streamValue(v); ok {
			out[k] = a
		}
	}
	return out
}

func streamValue(v ddbtypes.AttributeValue) (events.DynamoDBAttributeValue, bool) {
	switch v := v.(type) {
	case *ddbtypes.AttributeValueMemberS:
		return events.NewStringAttribute(v.Value), true
	case *ddbtypes.AttributeValueMemberN:
		return events.NewNumberAttribute(v.Value), true
	case *ddbtypes.AttributeValueMemberBOOL:
		return events.NewBooleanAttribute(v.Value), true
	case *ddbtypes.AttributeValueMemberNULL:
		return events.NewNullAttribute(), true
	case *ddbtypes.AttributeValueMemberB:
		return events.NewBinaryAttribute(v.Value), true
	case *ddbtypes.AttributeValueMemberSS:
		return events.NewStringSetAttribute(v.Value), true
	case *ddbtypes.AttributeValueMemberNS:
		return events.NewNumberSetAttribute(v.Value), true
	case *ddbtypes.AttributeValueMemberBS:
		return events.NewBinarySetAttribute(v.Value), true
	case *ddbtypes.AttributeValueMemberL:
		list := make([]events.DynamoDBAttributeValue, 0, len(v.Value))
		for _, e := range v.Value {
			if a, ok := streamValue(e); ok {
				list = append(list, a)
			}
		}
		return events.NewListAttribute(list), true
	case *ddbtypes.AttributeValueMemberM:
		return events.NewMapAttribute(streamImage(v.Value)), true
	}
	return events.DynamoDBAttributeValue{}, false
}

// put puts the events on the bus in order, at most 10 per call as the Pipes' bus target does, each entry
// as the Pipes' TargetParameters make it: Source $.source, DetailType $.type, Detail the relay's answer
// (the envelope's JSON).
func (o *Outbox) put(ctx context.Context, envs []event.Envelope) error {
	for start := 0; start < len(envs); start += streams.EventBusBatchSize {
		chunk := envs[start:min(start+streams.EventBusBatchSize, len(envs))]
		entries := make([]ebtypes.PutEventsRequestEntry, len(chunk))
		for i, env := range chunk {
			detail, err := json.Marshal(env)
			if err != nil {
				return fmt.Errorf("redrive: encode event %s: %w", env.ID, err)
			}
			entries[i] = ebtypes.PutEventsRequestEntry{EventBusName: aws.String(o.Bus), Source: aws.String(env.Source),
				DetailType: aws.String(env.Type), Detail: aws.String(string(detail))}
		}
		if err := o.putEntries(ctx, entries); err != nil {
			return fmt.Errorf("redrive: events %d-%d of %d: %w", start+1, start+len(chunk), len(envs), err)
		}
	}
	return nil
}

// putEntries puts entries, and again those PutEvents reports failed, a few times.
func (o *Outbox) putEntries(ctx context.Context, entries []ebtypes.PutEventsRequestEntry) error {
	wait := putBackoff
	for attempt := 1; ; attempt++ {
		out, err := o.Events.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries})
		if err != nil {
			return fmt.Errorf("put events: %w", err)
		}
		if out.FailedEntryCount == 0 {
			return nil
		}
		var failed []ebtypes.PutEventsRequestEntry
		var first string
		for i, e := range out.Entries {
			if e.ErrorCode != nil && i < len(entries) {
				failed = append(failed, entries[i])
				if first == "" {
					first = aws.ToString(e.ErrorCode) + " " + aws.ToString(e.ErrorMessage)
				}
			}
		}
		if len(failed) == 0 { // a count without the entries to say which: put them all again
			failed = entries
		}
		if attempt == putAttempts {
			return fmt.Errorf("put events: %d of %d entries failed %d times, first: %s", out.FailedEntryCount, len(entries), attempt, first)
		}
		entries = failed
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait *= 2
	}
}
