// Package streams reads DynamoDB Streams through the real SDK and delivers batches of records the way
// AWS's pollers do for Lambda event source mappings and EventBridge Pipes: per shard, in order, one batch
// at a time, the next batch only after the current one has succeeded or been given up on.
package streams

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// Record is one stream record in the JSON shape Lambda and Pipes deliver (events.DynamoDBEventRecord).
type Record struct {
	SequenceNumber string
	ShardID        string
	Arrival        time.Time
	JSON           json.RawMessage
}

// Batch is what a handler receives.
type Batch struct {
	StreamArn string
	ShardID   string
	Records   []Record
}

// Handler processes a batch and returns only when the batch is finished: delivered, or given up on
// after the consumer's retry policy (and sent to its failure destination). An error stops the shard
// (the poller logs it and retries the same batch after a pause), which is what AWS does for a poller
// whose handler cannot make progress.
type Handler func(ctx context.Context, b Batch) error

// Source is where and how to read.
type Source struct {
	StreamArn        string
	StartingPosition string // LATEST (default) or TRIM_HORIZON
	BatchSize        int
	BatchWindow      time.Duration
}

// Poller polls one stream.
type Poller struct {
	client   *dynamodbstreams.Client
	logger   *slog.Logger
	interval time.Duration
}

// NewPoller builds a poller; interval is the pause between empty reads (AWS polls about four times a
// second per shard).
func NewPoller(c *dynamodbstreams.Client, logger *slog.Logger, interval time.Duration) *Poller {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if interval <= 0 {
		interval = 250 * time.Millisecond
	}
	return &Poller{client: c, logger: logger, interval: interval}
}

// Start begins polling and returns once every open shard has an iterator, so that records written after
// Start returns are never missed with StartingPosition LATEST. Polling stops when ctx ends; the returned
// wait function blocks until the shard readers have exited.
func (p *Poller) Start(ctx context.Context, src Source, h Handler) (wait func(), err error) {
	if src.BatchSize <= 0 {
		src.BatchSize = 100
	}
	r := &reader{p: p, src: src, h: h, started: map[string]bool{}}
	if err := r.discover(ctx, true); err != nil {
		return nil, err
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := r.discover(ctx, false); err != nil && ctx.Err() == nil {
					p.logger.Warn("streams: describe stream", "stream", src.StreamArn, "error", err)
				}
			}
		}
	}()
	return r.wg.Wait, nil
}

type reader struct {
	p   *Poller
	src Source
	h   Handler

	mu      sync.Mutex
	started map[string]bool
	wg      sync.WaitGroup
}

// discover starts a reader for every shard not yet read. Shards created later (after a split) start
// at TRIM_HORIZON so none of their records are skipped.
func (r *reader) discover(ctx context.Context, first bool) error {
	var shards []types.Shard
	var start *string
	for {
		out, err := r.p.client.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{
			StreamArn: aws.String(r.src.StreamArn), ExclusiveStartShardId: start,
		})
		if err != nil {
			return fmt.Errorf("streams: describe %s: %w", r.src.StreamArn, err)
		}
		shards = append(shards, out.StreamDescription.Shards...)
		if out.StreamDescription.LastEvaluatedShardId == nil {
			break
		}
		start = out.StreamDescription.LastEvaluatedShardId
	}
	for _, s := range shards {
		id := aws.ToString(s.ShardId)
		r.mu.Lock()
		seen := r.started[id]
		r.started[id] = true
		r.mu.Unlock()
		if seen {
			continue
		}
		// A shard that is already closed holds only history: with LATEST there is nothing to read.
		closed := s.SequenceNumberRange != nil && s.SequenceNumberRange.EndingSequenceNumber != nil
		pos := types.ShardIteratorTypeTrimHorizon
		if first && !strings.EqualFold(r.src.StartingPosition, "TRIM_HORIZON") {
			if closed {
				continue
			}
			pos = types.ShardIteratorTypeLatest
		}
		it, err := r.p.client.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{
			StreamArn: aws.String(r.src.StreamArn), ShardId: s.ShardId, ShardIteratorType: pos,
		})
		if err != nil {
			return fmt.Errorf("streams: iterator for %s: %w", id, err)
		}
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			r.readShard(ctx, id, it.ShardIterator)
		}()
	}
	return nil
}

func (r *reader) readShard(ctx context.Context, shard string, it *string) {
	var pending []Record
	var windowStart time.Time
	for it != nil && ctx.Err() == nil {
		out, err := r.p.client.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it, Limit: aws.Int32(1000)})
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			var expired *types.ExpiredIteratorException
			if errors.As(err, &expired) {
				r.p.logger.Error("streams: iterator expired; shard reading stops", "shard", shard, "error", err)
				return
			}
			r.p.logger.Warn("streams: get records", "shard", shard, "error", err)
			sleep(ctx, r.p.interval*4)
			continue
		}
		it = out.NextShardIterator
		for _, rec := range out.Records {
			j, err := recordJSON(rec, r.src.StreamArn)
			if err != nil {
				r.p.logger.Error("streams: record cannot be encoded; skipped", "shard", shard, "error", err)
				continue
			}
			arrival := time.Now()
			if rec.Dynamodb != nil && rec.Dynamodb.ApproximateCreationDateTime != nil {
				arrival = *rec.Dynamodb.ApproximateCreationDateTime
			}
			if len(pending) == 0 {
				windowStart = time.Now()
			}
			pending = append(pending, Record{SequenceNumber: aws.ToString(rec.Dynamodb.SequenceNumber), ShardID: shard, Arrival: arrival, JSON: j})
		}
		for len(pending) > 0 && (len(pending) >= r.src.BatchSize || time.Since(windowStart) >= r.src.BatchWindow || it == nil) {
			n := min(len(pending), r.src.BatchSize)
			b := Batch{StreamArn: r.src.StreamArn, ShardID: shard, Records: pending[:n]}
			for ctx.Err() == nil {
				err := r.h(ctx, b)
				if err == nil {
					break
				}
				r.p.logger.Error("streams: handler failed; retrying the batch", "shard", shard, "error", err)
				sleep(ctx, time.Second)
			}
			pending = pending[n:]
			windowStart = time.Now()
		}
		if len(out.Records) == 0 {
			sleep(ctx, r.p.interval)
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// recordJSON renders a record as Lambda's DynamoDB event record.
func recordJSON(r types.Record, streamArn string) (json.RawMessage, error) {
	d := map[string]any{}
	if s := r.Dynamodb; s != nil {
		if s.ApproximateCreationDateTime != nil {
			d["ApproximateCreationDateTime"] = s.ApproximateCreationDateTime.Unix()
		}
		for name, img := range map[string]map[string]types.AttributeValue{"Keys": s.Keys, "NewImage": s.NewImage, "OldImage": s.OldImage} {
			if img != nil {
				d[name] = attributes(img)
			}
		}
		d["SequenceNumber"] = aws.ToString(s.SequenceNumber)
		d["SizeBytes"] = aws.ToInt64(s.SizeBytes)
		d["StreamViewType"] = string(s.StreamViewType)
	}
	out := map[string]any{
		"eventID":        aws.ToString(r.EventID),
		"eventName":      string(r.EventName),
		"eventVersion":   aws.ToString(r.EventVersion),
		"eventSource":    aws.ToString(r.EventSource),
		"awsRegion":      aws.ToString(r.AwsRegion),
		"dynamodb":       d,
		"eventSourceARN": streamArn,
	}
	if u := r.UserIdentity; u != nil {
		out["userIdentity"] = map[string]any{"type": aws.ToString(u.Type), "principalId": aws.ToString(u.PrincipalId)}
	}
	return json.Marshal(out)
}

func attributes(m map[string]types.AttributeValue) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = attribute(v)
	}
	return out
}

// attribute renders an AttributeValue in DynamoDB's JSON notation ({"S": "..."}, {"N": "1"}, ...).
func attribute(v types.AttributeValue) map[string]any {
	switch a := v.(type) {
	case *types.AttributeValueMemberS:
		return map[string]any{"S": a.Value}
	case *types.AttributeValueMemberN:
		return map[string]any{"N": a.Value}
	case *types.AttributeValueMemberB:
		return map[string]any{"B": base64.StdEncoding.EncodeToString(a.Value)}
	case *types.AttributeValueMemberBOOL:
		return map[string]any{"BOOL": a.Value}
	case *types.AttributeValueMemberNULL:
		return map[string]any{"NULL": a.Value}
	case *types.AttributeValueMemberSS:
		return map[string]any{"SS": a.Value}
	case *types.AttributeValueMemberNS:
		return map[string]any{"NS": a.Value}
	case *types.AttributeValueMemberBS:
		bs := make([]string, len(a.Value))
		for i, b := range a.Value {
			bs[i] = base64.StdEncoding.EncodeToString(b)
		}
		return map[string]any{"BS": bs}
	case *types.AttributeValueMemberL:
		l := make([]any, len(a.Value))
		for i, x := range a.Value {
			l[i] = attribute(x)
		}
		return map[string]any{"L": l}
	case *types.AttributeValueMemberM:
		return map[string]any{"M": attributes(a.Value)}
	}
	return map[string]any{"NULL": true}
}
