package ddbcheck

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	stypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// reader follows a stream as a consumer does: every shard from TRIM_HORIZON, each through the
// NextShardIterator of its last GetRecords, new shards found with DescribeStream
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html#Streams.Processing).
type reader struct {
	st      *dynamodbstreams.Client
	arn     string
	iters   map[string]*string // shard → next iterator; nil once the shard is closed and read
	records []stypes.Record
}

func (r *reader) poll(ctx context.Context) error {
	d, err := r.st.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(r.arn)})
	if err != nil {
		return fmt.Errorf("DescribeStream: %w", err)
	}
	for _, sh := range d.StreamDescription.Shards {
		id := aws.ToString(sh.ShardId)
		if _, known := r.iters[id]; known {
			continue
		}
		it, err := r.st.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(r.arn), ShardId: sh.ShardId,
			ShardIteratorType: stypes.ShardIteratorTypeTrimHorizon})
		if err != nil {
			return fmt.Errorf("GetShardIterator %s: %w", id, err)
		}
		r.iters[id] = it.ShardIterator
	}
	for id, it := range r.iters {
		if it == nil {
			continue
		}
		out, err := r.st.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it})
		if err != nil {
			return fmt.Errorf("GetRecords %s: %w", id, err)
		}
		r.records = append(r.records, out.Records...)
		r.iters[id] = out.NextShardIterator
	}
	return nil
}

// until polls until done holds for the records read, for at most 10 s.
func (r *reader) until(ctx context.Context, done func([]stypes.Record) bool) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := r.poll(ctx); err != nil {
			return err
		}
		if done(r.records) {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("not within 10s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func newReader(st *dynamodbstreams.Client, arn string) *reader {
	return &reader{st: st, arn: arn, iters: map[string]*string{}}
}

func recKey(r stypes.Record) string {
	return r.Dynamodb.Keys["pk"].(*stypes.AttributeValueMemberS).Value
}

func recN(img map[string]stypes.AttributeValue) string {
	if img == nil {
		return "-"
	}
	if n, ok := img["n"].(*stypes.AttributeValueMemberN); ok {
		return n.Value
	}
	return "?"
}

// describe is a record as "EVENT old→new" of the attribute n.
func describe(r stypes.Record) string {
	return fmt.Sprintf("%s %s→%s", r.EventName, recN(r.Dynamodb.OldImage), recN(r.Dynamodb.NewImage))
}

// Every change of an item appears once, in order, with the images the view type asks for
// (NEW_AND_OLD_IMAGES): https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html
// ("each stream record appears exactly once", "in the same sequence as the actual modifications").
func TestStreamHasOldAndNewImagesInOrderPerKey(t *testing.T) {
	db, st := clients(t)
	ctx := context.Background()
	tbl, arn := table(t, db, false)
	keys := []string{"k1", "k2", "k3", "k4"}
	for step := 0; step < 3; step++ {
		for _, k := range keys {
			var err error
			if step == 0 {
				_, err = db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(tbl), Item: item(k, "0", "n", num("0"))})
			} else {
				_, err = db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(tbl), Key: key(k, "0"),
					UpdateExpression: aws.String("SET n = n + :one"), ExpressionAttributeValues: map[string]types.AttributeValue{":one": num("1")}})
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, k := range keys {
		if _, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(tbl), Key: key(k, "0")}); err != nil {
			t.Fatal(err)
		}
	}
	r := newReader(st, arn)
	if err := r.until(ctx, func(rs []stypes.Record) bool { return len(rs) >= 4*len(keys) }); err != nil {
		t.Fatalf("stream: %v; read %d records", err, len(r.records))
	}
	perKey := map[string][]string{}
	last := map[string]*big.Int{}
	for _, rec := range r.records {
		k := recKey(rec)
		perKey[k] = append(perKey[k], describe(rec))
		seq, ok := new(big.Int).SetString(aws.ToString(rec.Dynamodb.SequenceNumber), 10)
		if !ok {
			t.Fatalf("sequence number %q", aws.ToString(rec.Dynamodb.SequenceNumber))
		}
		if prev := last[k]; prev != nil && seq.Cmp(prev) <= 0 {
			t.Errorf("%s: sequence number %s after %s", k, seq, prev)
		}
		last[k] = seq
	}
	want := "[INSERT -→0 MODIFY 0→1 MODIFY 1→2 REMOVE 2→-]"
	for _, k := range keys {
		if got := fmt.Sprint(perKey[k]); got != want {
			t.Errorf("%s: records %s, want %s", k, got, want)
		}
	}
}

// A cancelled transaction changes nothing, so it adds no stream record; and a consumer that holds an
// iterator from before it still reads every later change (ADR 0019: moto 5.2.1 restores a deep copy of
// the table on cancellation, so the held iterator reads a shard nobody writes to any more).
func TestCancelledTransactionNeitherHidesNorAddsStreamRecords(t *testing.T) {
	db, st := clients(t)
	ctx := context.Background()
	tbl, arn := table(t, db, false)
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(tbl), Item: item("a", "0", "n", num("1"))}); err != nil {
		t.Fatal(err)
	}
	r := newReader(st, arn)
	if err := r.until(ctx, func(rs []stypes.Record) bool { return len(rs) >= 1 }); err != nil {
		t.Fatalf("first record: %v", err)
	}
	_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(tbl), Item: item("b", "0", "n", num("1"))}},
		{ConditionCheck: &types.ConditionCheck{TableName: aws.String(tbl), Key: key("a", "0"), ConditionExpression: aws.String("n = :two"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":two": num("2")}}},
	}})
	if _, ok := cancelled(err); !ok {
		t.Fatalf("want a cancelled transaction, got %v", err)
	}
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(tbl), Item: item("c", "0", "n", num("1"))}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(tbl), Key: key("a", "0"),
		UpdateExpression: aws.String("SET n = :two"), ExpressionAttributeValues: map[string]types.AttributeValue{":two": num("2")}}); err != nil {
		t.Fatal(err)
	}
	err = r.until(ctx, func(rs []stypes.Record) bool { return len(rs) >= 3 })
	var got []string
	for _, rec := range r.records {
		got = append(got, recKey(rec)+" "+describe(rec))
	}
	if err != nil {
		t.Fatalf("the held iterators read %v after a cancelled transaction; want the later writes too: %v", got, err)
	}
	if want := "a INSERT -→1|c INSERT -→1|a MODIFY 1→2"; strings.Join(got, "|") != want {
		t.Errorf("records %v, want %s", got, want)
	}
}

// A consumer that starts at LATEST reads every change made after it took the iterator and none before
// (https://docs.aws.amazon.com/amazondynamodbstreams/latest/APIReference/API_GetShardIterator.html),
// as the runtime's pollers start (infra/engine/streams).
func TestLatestIteratorReadsOnlyLaterChanges(t *testing.T) {
	db, st := clients(t)
	ctx := context.Background()
	tbl, arn := table(t, db, false)
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(tbl), Item: item("before", "0", "n", num("0"))}); err != nil {
		t.Fatal(err)
	}
	d, err := st.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	r := newReader(st, arn)
	for _, sh := range d.StreamDescription.Shards {
		if sh.SequenceNumberRange != nil && sh.SequenceNumberRange.EndingSequenceNumber != nil {
			r.iters[aws.ToString(sh.ShardId)] = nil
			continue
		}
		it, err := st.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(arn), ShardId: sh.ShardId,
			ShardIteratorType: stypes.ShardIteratorTypeLatest})
		if err != nil {
			t.Fatal(err)
		}
		r.iters[aws.ToString(sh.ShardId)] = it.ShardIterator
	}
	if err := r.poll(ctx); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(tbl), Item: item(fmt.Sprintf("after%d", i), "0", "n", num("0"))}); err != nil {
			t.Fatal(err)
		}
	}
	err = r.until(ctx, func(rs []stypes.Record) bool { return len(rs) >= 3 })
	var got []string
	for _, rec := range r.records {
		got = append(got, recKey(rec))
	}
	if err != nil || strings.Join(got, " ") != "after1 after2 after3" {
		t.Errorf("from LATEST: %v (%v), want after1 after2 after3", got, err)
	}
}
