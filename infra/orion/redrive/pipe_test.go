package redrive

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/oklog/ulid/v2"
)

const streamArn = "arn:aws:dynamodb:us-east-1:123456789012:table/orion-dev-outbox/stream/2026-01-01T00:00:00.000"

// failureRecord is a Pipe's DLQ message for a batch, as infra/engine/streams' sendFailure writes it, with info
// as its DDBStreamBatchInfo.
func failureRecord(info string) sqstypes.Message {
	return sqstypes.Message{Body: aws.String(`{"version":"1.0","timestamp":"2026-01-02T03:04:06.5Z",` +
		`"requestContext":{"functionArn":"arn:aws:pipes:us-east-1:123456789012:pipe/orion-dev-outbox","condition":"RetryAttemptsExhausted","approximateInvokeCount":11},` +
		`"responseContext":{"functionError":"Unhandled","errorMessage":"boom"},"DDBStreamBatchInfo":` + info + `}`)}
}

func TestDecodeBatch(t *testing.T) {
	first, last := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), time.Date(2026, 1, 2, 3, 4, 7, 0, time.UTC)
	info := func(firstArrival, lastArrival, arn string) string {
		return `{"shardId":"shardId-1","startSequenceNumber":"100","endSequenceNumber":"190","approximateArrivalOfFirstRecord":"` + firstArrival +
			`","approximateArrivalOfLastRecord":"` + lastArrival + `","batchSize":10,"streamArn":"` + arn + `"}`
	}
	tests := []struct {
		name      string
		msg       sqstypes.Message
		isBatch   bool
		want      pipeBatch
		malformed string // part of the error of a batch record that cannot be replayed
	}{
		{name: "Pipe batch", isBatch: true, msg: failureRecord(info("2026-01-02T03:04:05Z", "2026-01-02T03:04:07Z", streamArn)),
			want: pipeBatch{first: first, last: last, table: "orion-dev-outbox", size: 10}},
		{name: "fractional seconds and an offset", isBatch: true, msg: failureRecord(info("2026-01-02T04:04:05.25+01:00", "2026-01-02T03:04:07Z", streamArn)),
			want: pipeBatch{first: first.Add(250 * time.Millisecond), last: last, table: "orion-dev-outbox", size: 10}},
		{name: "one record", isBatch: true, msg: failureRecord(info("2026-01-02T03:04:05Z", "2026-01-02T03:04:05Z", streamArn)),
			want: pipeBatch{first: first, last: first, table: "orion-dev-outbox", size: 10}},
		{name: "no first arrival", isBatch: true, msg: failureRecord(info("", "2026-01-02T03:04:07Z", streamArn)), malformed: "no approximateArrivalOfFirstRecord"},
		{name: "arrival not RFC 3339", isBatch: true, msg: failureRecord(info("2026-01-02T03:04:05Z", "1767323047", streamArn)), malformed: "approximateArrivalOfLastRecord"},
		{name: "last before first", isBatch: true, msg: failureRecord(info("2026-01-02T03:04:07Z", "2026-01-02T03:04:05Z", streamArn)), malformed: "before the first"},
		{name: "no stream: the outbox given is assumed", isBatch: true, msg: failureRecord(info("2026-01-02T03:04:05Z", "2026-01-02T03:04:07Z", "")),
			want: pipeBatch{first: first, last: last, size: 10}},
		{name: "the Pipes spelling", isBatch: true, msg: sqstypes.Message{Body: aws.String(`{"context":{"partnerResourceArn":"arn:aws:pipes:us-east-1:1:pipe/p"},"dynamoDbStreamBatchInfo":` +
			info("2026-01-02T03:04:05Z", "2026-01-02T03:04:07Z", streamArn) + `}`)}, want: pipeBatch{first: first, last: last, table: "orion-dev-outbox", size: 10}},
		{name: "a queue, not a stream", isBatch: true, msg: failureRecord(info("2026-01-02T03:04:05Z", "2026-01-02T03:04:07Z", "arn:aws:sqs:us-east-1:123456789012:q")), malformed: "names no table"},
		{name: "batch info not an object", isBatch: true, msg: failureRecord(`"shardId-1"`), malformed: "malformed DDBStreamBatchInfo"},
		{name: "batch size not a number", isBatch: true, msg: failureRecord(`{"batchSize":"ten"}`), malformed: "malformed DDBStreamBatchInfo"},
		{name: "Lambda failure record", msg: sqstypes.Message{Body: aws.String(`{"requestContext":{"functionArn":"arn:aws:lambda:us-east-1:1:function:f"},"requestPayload":{"id":"e1"}}`)}},
		{name: "null batch info", msg: failureRecord(`null`)},
		{name: "not JSON", msg: sqstypes.Message{Body: aws.String(`oops`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, isBatch, err := decodeBatch(tt.msg)
			if isBatch != tt.isBatch {
				t.Fatalf("isBatch = %v; want %v", isBatch, tt.isBatch)
			}
			if tt.malformed != "" {
				if !errors.Is(err, ErrNotRedrivable) || !strings.Contains(err.Error(), tt.malformed) {
					t.Fatalf("err = %v; want ErrNotRedrivable saying %q", err, tt.malformed)
				}
				return
			}
			if err != nil || !got.first.Equal(tt.want.first) || !got.last.Equal(tt.want.last) || got.table != tt.want.table || got.size != tt.want.size {
				t.Fatalf("decodeBatch = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// A malformed Pipe record is reported as such by the whole redrive path, not as a function message.
func TestRedriveOneRefusesAMalformedBatch(t *testing.T) {
	o := redriveOne(context.Background(), nil, nil, "q", failureRecord(`{"shardId":"s"}`), Options{})
	if !errors.Is(o.Err, ErrNotRedrivable) || !strings.Contains(o.Err.Error(), "approximateArrivalOfFirstRecord") || o.Redriven {
		t.Fatalf("outcome %+v; want a malformed batch not redriven", o)
	}
}

func TestWindowKeys(t *testing.T) {
	first := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	random := func(at time.Time) string { return ulid.MustNew(ulid.Timestamp(at), ulid.DefaultEntropy()).String() }
	lowest := func(at time.Time) string { lo, _ := keyRange(at, at); return lo }
	highest := func(at time.Time) string { _, hi := keyRange(at, at); return hi }
	tests := []struct {
		name   string
		last   time.Time
		margin time.Duration
		at     time.Time              // an event id's time
		id     func(time.Time) string // the id at that time
		inside bool
	}{
		{name: "at the first arrival", last: first, margin: time.Minute, at: first, id: random, inside: true},
		{name: "within the margin before", last: first, margin: time.Minute, at: first.Add(-59 * time.Second), id: random, inside: true},
		{name: "the smallest id of the margin's first millisecond", last: first, margin: time.Minute, at: first.Add(-time.Minute), id: lowest, inside: true},
		{name: "the largest id a millisecond before the margin", last: first, margin: time.Minute, at: first.Add(-time.Minute - time.Millisecond), id: highest},
		{name: "in the last arrival's second", last: first.Add(2 * time.Second), at: first.Add(2*time.Second + 999*time.Millisecond), id: random, inside: true},
		{name: "the largest id of the last arrival's second", last: first.Add(2 * time.Second), at: first.Add(2*time.Second + 999*time.Millisecond), id: highest, inside: true},
		{name: "the smallest id after the last arrival's second", last: first.Add(2 * time.Second), at: first.Add(3 * time.Second), id: lowest},
		{name: "within the margin after", last: first.Add(2 * time.Second), margin: time.Minute, at: first.Add(62*time.Second + 999*time.Millisecond), id: random, inside: true},
		{name: "after the margin", last: first.Add(2 * time.Second), margin: time.Minute, at: first.Add(63 * time.Second), id: lowest},
		{name: "an hour before", last: first, margin: time.Minute, at: first.Add(-time.Hour), id: random},
		{name: "a day after", last: first, margin: time.Minute, at: first.Add(24 * time.Hour), id: random},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lo, hi := keyRange(pipeBatch{first: first, last: tt.last}.window(tt.margin))
			key := tt.id(tt.at)
			if in := lo <= key && key <= hi; in != tt.inside {
				t.Fatalf("id %s at %s in [%s, %s] = %v; want %v", key, tt.at.Format(time.RFC3339Nano), lo, hi, in, tt.inside)
			}
		})
	}
}

// A bounds pair is a pair of valid ULIDs, of the window's first and last milliseconds.
func TestKeyRangeIsULIDs(t *testing.T) {
	from, to := time.Date(2026, 1, 2, 3, 3, 5, 0, time.UTC), time.Date(2026, 1, 2, 3, 5, 8, 0, time.UTC)
	lo, hi := keyRange(from, to)
	for _, tc := range []struct {
		key  string
		time time.Time
	}{{lo, from}, {hi, to}} {
		u, err := ulid.ParseStrict(tc.key)
		if err != nil || !ulid.Time(u.Time()).Equal(tc.time) {
			t.Fatalf("%s: %v, time %s; want %s", tc.key, err, ulid.Time(u.Time()), tc.time)
		}
	}
}

// publisher answers PutEvents with the failures scripted for each call and records the entries.
type publisher struct {
	failed [][]int // per call, the indexes of the entries it fails
	calls  [][]string
	err    error
}

func (p *publisher) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	if p.err != nil {
		return nil, p.err
	}
	var ids []string
	out := &eventbridge.PutEventsOutput{Entries: make([]ebtypes.PutEventsResultEntry, len(in.Entries))}
	for _, e := range in.Entries {
		ids = append(ids, aws.ToString(e.Detail))
	}
	n := len(p.calls)
	p.calls = append(p.calls, ids)
	if n < len(p.failed) {
		for _, i := range p.failed[n] {
			out.Entries[i] = ebtypes.PutEventsResultEntry{ErrorCode: aws.String("ThrottlingException"), ErrorMessage: aws.String("slow down")}
			out.FailedEntryCount++
		}
	}
	return out, nil
}

// Entries PutEvents reports failed are put again, alone, and a call that keeps failing fails the message.
func TestPutEntriesRetriesFailedEntries(t *testing.T) {
	defer func(d time.Duration) { putBackoff = d }(putBackoff)
	putBackoff = time.Millisecond
	tests := []struct {
		name   string
		failed [][]int
		err    error
		calls  []string // the entries of each call, joined
		fails  string
	}{
		{name: "all put", calls: []string{"abc"}},
		{name: "one failed once", failed: [][]int{{1}}, calls: []string{"abc", "b"}},
		{name: "two failed, then one", failed: [][]int{{0, 2}, {1}}, calls: []string{"abc", "ac", "c"}},
		{name: "failed every time", failed: [][]int{{2}, {0}, {0}}, calls: []string{"abc", "c", "c"}, fails: "1 of 1 entries failed 3 times, first: ThrottlingException"},
		{name: "the call fails", err: errors.New("no route"), fails: "put events: no route"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &publisher{failed: tt.failed, err: tt.err}
			var entries []ebtypes.PutEventsRequestEntry
			for _, d := range []string{"a", "b", "c"} {
				entries = append(entries, ebtypes.PutEventsRequestEntry{Detail: aws.String(d)})
			}
			err := (&Outbox{Events: p}).putEntries(context.Background(), entries)
			if (err == nil) != (tt.fails == "") || err != nil && !strings.Contains(err.Error(), tt.fails) {
				t.Fatalf("err = %v; want %q", err, tt.fails)
			}
			var calls []string
			for _, c := range p.calls {
				calls = append(calls, strings.Join(c, ""))
			}
			if strings.Join(calls, ",") != strings.Join(tt.calls, ",") {
				t.Fatalf("calls %v; want %v", calls, tt.calls)
			}
		})
	}
}

// scanner answers Scan with the pages given, in order, each pointing to the next.
type scanner struct {
	pages [][]map[string]ddbtypes.AttributeValue
	ins   []*dynamodb.ScanInput
}

func (s *scanner) Scan(_ context.Context, in *dynamodb.ScanInput, _ ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	n := len(s.ins)
	s.ins = append(s.ins, in)
	out := &dynamodb.ScanOutput{Items: s.pages[n]}
	if n+1 < len(s.pages) {
		out.LastEvaluatedKey = map[string]ddbtypes.AttributeValue{"eventId": &ddbtypes.AttributeValueMemberS{Value: strconv.Itoa(n)}}
	}
	return out, nil
}

// Every page of the Scan is read, and its items are put in key order whatever order DynamoDB returns
// them in (hash order): the emulator happens to return them sorted, so only this test would notice.
func TestReadFollowsPagesAndOrdersByKey(t *testing.T) {
	env := func(id string) string {
		return `{"id":"` + id + `","type":"InventoryLow","version":1,"source":"orion.inventory","occurredAt":"2026-01-02T03:04:05Z",` +
			`"correlationId":"c","data":{"sku":"A","name":"a","available":1,"threshold":3,"itemVersion":2}}`
	}
	s := func(v string) ddbtypes.AttributeValue { return &ddbtypes.AttributeValueMemberS{Value: v} }
	single := func(key string) map[string]ddbtypes.AttributeValue {
		return map[string]ddbtypes.AttributeValue{"eventId": s(key), "envelope": s(env(key))}
	}
	batch := map[string]ddbtypes.AttributeValue{"eventId": s("02B"), "kind": s("batch"),
		"envelopes": &ddbtypes.AttributeValueMemberL{Value: []ddbtypes.AttributeValue{s(env("b1")), s(env("b2"))}}}
	db := &scanner{pages: [][]map[string]ddbtypes.AttributeValue{{single("03C"), single("01A")}, {}, {batch, single("04D")}}}
	from := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	envs, err := (&Outbox{Table: "outbox", DB: db}).read(context.Background(), from, from.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range envs {
		got = append(got, e.ID)
	}
	if want := []string{"01A", "b1", "b2", "03C", "04D"}; !slices.Equal(got, want) {
		t.Fatalf("read %v; want %v", got, want)
	}
	if len(db.ins) != 3 || db.ins[2].ExclusiveStartKey == nil || aws.ToString(db.ins[0].FilterExpression) != "eventId BETWEEN :lo AND :hi" {
		t.Fatalf("scanned %d pages (%+v); want 3 from one filter", len(db.ins), db.ins)
	}
}
