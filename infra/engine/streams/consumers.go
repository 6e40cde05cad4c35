package streams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/orion-oss/orion/infra/engine/eventpattern"
)

// Invoker calls a function synchronously; a function error (handler error, crash, timeout) is an error.
type Invoker interface {
	Invoke(ctx context.Context, function string, payload []byte) ([]byte, error)
}

// FailureSink sends a batch's failure record to an on-failure destination or dead-letter queue (SQS or
// SNS ARN).
type FailureSink interface {
	SendFailure(ctx context.Context, destinationArn string, body []byte) error
}

// RetryPolicy is the retry configuration shared by event source mappings and pipes. -1 means
// unlimited, AWS's default for stream sources.
type RetryPolicy struct {
	MaximumRetryAttempts      int
	MaximumRecordAgeInSeconds int
	BisectOnError             bool
	// Backoff is the pause between attempts (AWS backs off exponentially; tests make it small).
	Backoff time.Duration
}

func (p RetryPolicy) exhausted(retries int, oldest time.Time) bool {
	if p.MaximumRetryAttempts >= 0 && retries > p.MaximumRetryAttempts {
		return true
	}
	return p.MaximumRecordAgeInSeconds >= 0 && time.Since(oldest) > time.Duration(p.MaximumRecordAgeInSeconds)*time.Second
}

// filter keeps the records that match any of the patterns (all of them when there are none). Records
// that match nothing are consumed without being delivered, as with Lambda and Pipes event filtering.
func filter(records []Record, patterns []*eventpattern.Pattern) []Record {
	if len(patterns) == 0 {
		return records
	}
	out := records[:0:0]
	for _, r := range records {
		for _, p := range patterns {
			if ok, _ := p.Match(r.JSON); ok {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

// process runs deliver over a batch with retries, optional bisection, and the failure destination.
// deliver returns the index of the first record that failed (for partial batch responses) or -1 with an
// error for the whole batch.
func process(ctx context.Context, log *slog.Logger, b Batch, policy RetryPolicy, sink FailureSink, destination string,
	info failureInfo, deliver func(ctx context.Context, records []Record) (int, error)) error {
	queue := [][]Record{b.Records}
	retries := map[*Record]int{}
	for len(queue) > 0 {
		recs := queue[0]
		queue = queue[1:]
		if len(recs) == 0 {
			continue
		}
		failedAt, err := deliver(ctx, recs)
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if failedAt > 0 {
			// Everything before the first failed record succeeded: retry from there.
			recs = recs[failedAt:]
		}
		n := retries[&recs[0]] + 1
		retries[&recs[0]] = n
		if policy.exhausted(n, recs[0].Arrival) {
			log.Error("streams: batch failed after retries", "consumer", info.consumer, "records", len(recs), "error", err)
			if err := sendFailure(ctx, sink, destination, info, b, recs, n-1, err); err != nil {
				return err
			}
			continue
		}
		log.Warn("streams: batch failed, retrying", "consumer", info.consumer, "records", len(recs), "attempt", n, "error", err)
		sleepCtx(ctx, policy.Backoff)
		if policy.BisectOnError && len(recs) > 1 {
			half := len(recs) / 2
			left, right := recs[:half], recs[half:]
			retries[&left[0]], retries[&right[0]] = n, n
			queue = append([][]Record{left, right}, queue...)
		} else {
			queue = append([][]Record{recs}, queue...)
		}
	}
	return nil
}

type failureInfo struct {
	consumer, consumerArn, condition string
}

// sendFailure writes the invocation record AWS sends to an on-failure destination for stream sources:
// where the batch is in the stream, not the records themselves.
func sendFailure(ctx context.Context, sink FailureSink, destination string, info failureInfo, b Batch, recs []Record, retries int, cause error) error {
	if destination == "" || sink == nil {
		return nil
	}
	body, err := json.Marshal(map[string]any{
		"version":   "1.0",
		"timestamp": time.Now().UTC().Format(time.RFC3339Nano),
		"requestContext": map[string]any{
			"functionArn":            info.consumerArn,
			"condition":              "RetryAttemptsExhausted",
			"approximateInvokeCount": retries + 1,
		},
		"responseContext": map[string]any{"functionError": "Unhandled", "errorMessage": cause.Error()},
		"DDBStreamBatchInfo": map[string]any{
			"shardId":                         b.ShardID,
			"startSequenceNumber":             recs[0].SequenceNumber,
			"endSequenceNumber":               recs[len(recs)-1].SequenceNumber,
			"approximateArrivalOfFirstRecord": recs[0].Arrival.UTC().Format(time.RFC3339),
			"approximateArrivalOfLastRecord":  recs[len(recs)-1].Arrival.UTC().Format(time.RFC3339),
			"batchSize":                       len(recs),
			"streamArn":                       b.StreamArn,
		},
	})
	if err != nil {
		return err
	}
	if err := sink.SendFailure(ctx, destination, body); err != nil {
		return fmt.Errorf("streams: on-failure destination %s: %w", destination, err)
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// FunctionSource is a Lambda event source mapping on a stream (a SAM function event of type DynamoDB).
type FunctionSource struct {
	Function                string
	FunctionArn             string
	Filters                 []*eventpattern.Pattern
	Retry                   RetryPolicy
	ReportBatchItemFailures bool
	OnFailure               string

	Invoker Invoker
	Sink    FailureSink
	Logger  *slog.Logger
}

// Handle is the streams.Handler of the mapping.
func (f *FunctionSource) Handle(ctx context.Context, b Batch) error {
	log := f.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	records := filter(b.Records, f.Filters)
	info := failureInfo{consumer: f.Function, consumerArn: f.FunctionArn}
	return process(ctx, log, Batch{StreamArn: b.StreamArn, ShardID: b.ShardID, Records: records}, f.Retry, f.Sink, f.OnFailure, info,
		func(ctx context.Context, recs []Record) (int, error) {
			event := struct {
				Records []json.RawMessage `json:"Records"`
			}{Records: make([]json.RawMessage, len(recs))}
			for i, r := range recs {
				event.Records[i] = r.JSON
			}
			payload, err := json.Marshal(event)
			if err != nil {
				return -1, err
			}
			out, err := f.Invoker.Invoke(ctx, f.Function, payload)
			if err != nil {
				return -1, err
			}
			if !f.ReportBatchItemFailures {
				return -1, nil
			}
			return firstFailure(out, recs)
		})
}

// firstFailure reads a partial batch response ({"batchItemFailures":[{"itemIdentifier": seq}]}).
// Lambda retries from the lowest failed sequence number; an identifier that is not in the batch
// fails the whole batch, as AWS does.
func firstFailure(out []byte, recs []Record) (int, error) {
	var resp struct {
		BatchItemFailures []struct {
			ItemIdentifier string `json:"itemIdentifier"`
		} `json:"batchItemFailures"`
	}
	if len(out) == 0 || string(out) == "null" {
		return -1, nil
	}
	if err := json.Unmarshal(out, &resp); err != nil || len(resp.BatchItemFailures) == 0 {
		return -1, nil
	}
	first := -1
	for _, f := range resp.BatchItemFailures {
		idx := -1
		for i, r := range recs {
			if r.SequenceNumber == f.ItemIdentifier {
				idx = i
				break
			}
		}
		if idx < 0 {
			return 0, fmt.Errorf("streams: batch item failure %q is not in the batch", f.ItemIdentifier)
		}
		if first < 0 || idx < first {
			first = idx
		}
	}
	return first, errPartial
}

var errPartial = errors.New("streams: function reported batch item failures")
