package streams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/orion-oss/orion/infra/engine/eventpattern"
)

// PipeTarget receives the pipe's output, one JSON document per source record (or per item of the
// enrichment's answer).
type PipeTarget interface {
	Send(ctx context.Context, items []json.RawMessage) error
	// BatchSize is the most items the target takes per invocation; 0 for no limit.
	BatchSize() int
}

// EventBusBatchSize is the most events a Pipe puts on an EventBridge event bus target per invocation
// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-batching-concurrency.html).
const EventBusBatchSize = 10

// ErrTargetBatchSize is the failure of a batch whose enrichment answered more items than the target
// takes: on AWS, "if the array is larger than the batch size the target supports, the pipe won't
// invoke the target" (the page above), and the batch fails as any other.
var ErrTargetBatchSize = errors.New("the enrichment answered more items than the target takes per invocation")

// Pipe is an EventBridge Pipe with a DynamoDB stream source: filter, optional enrichment function,
// target input template, target.
//
// Tracing, as on AWS: stream records carry no X-Ray trace header, so the enrichment is invoked in a new
// trace and the target's PutEvents carries none (a Pipe's EventBridge target has no TraceHeader
// parameter); an event that needs its producer's trace carries it itself (Orion's envelope does).
type Pipe struct {
	Name, Arn          string
	Filters            []*eventpattern.Pattern
	Enrichment         string // function name; "" for none
	EnrichmentTemplate string
	TargetTemplate     string
	Target             PipeTarget
	Retry              RetryPolicy
	DeadLetterArn      string

	Invoker Invoker
	Sink    FailureSink
	Logger  *slog.Logger
}

// Handle is the streams.Handler of the pipe.
func (p *Pipe) Handle(ctx context.Context, b Batch) error {
	log := p.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	records := filter(b.Records, p.Filters)
	info := failureInfo{consumer: p.Name, consumerArn: p.Arn}
	return process(ctx, log, Batch{StreamArn: b.StreamArn, ShardID: b.ShardID, Records: records}, p.Retry, p.Sink, p.DeadLetterArn, info,
		func(ctx context.Context, recs []Record) (int, error) {
			items, err := p.enrich(ctx, recs)
			if err != nil {
				return -1, err
			}
			if n := p.Target.BatchSize(); n > 0 && len(items) > n {
				return -1, fmt.Errorf("pipe %s: %w: %d items for %d records, the target takes %d", p.Name, ErrTargetBatchSize, len(items), len(recs), n)
			}
			if p.TargetTemplate != "" {
				for i, it := range items {
					if items[i], err = eventpattern.ApplyPipeTemplate(p.TargetTemplate, it, p.context()); err != nil {
						return -1, fmt.Errorf("pipe %s: target input template: %w", p.Name, err)
					}
				}
			}
			if len(items) == 0 {
				return -1, nil
			}
			return -1, p.Target.Send(ctx, items)
		})
}

func (p *Pipe) context() eventpattern.PipeContext {
	return eventpattern.PipeContext{PipeName: p.Name, PipeArn: p.Arn}
}

// enrich calls the enrichment function with the batch (as a JSON array) and returns its array result;
// without enrichment the records pass through.
func (p *Pipe) enrich(ctx context.Context, recs []Record) ([]json.RawMessage, error) {
	items := make([]json.RawMessage, len(recs))
	for i, r := range recs {
		items[i] = r.JSON
		if p.EnrichmentTemplate != "" && p.Enrichment != "" {
			v, err := eventpattern.ApplyPipeTemplate(p.EnrichmentTemplate, r.JSON, p.context())
			if err != nil {
				return nil, fmt.Errorf("pipe %s: enrichment input template: %w", p.Name, err)
			}
			items[i] = v
		}
	}
	if p.Enrichment == "" {
		return items, nil
	}
	payload, err := json.Marshal(items)
	if err != nil {
		return nil, err
	}
	out, err := p.Invoker.Invoke(ctx, p.Enrichment, payload)
	if err != nil {
		return nil, fmt.Errorf("pipe %s: enrichment %s: %w", p.Name, p.Enrichment, err)
	}
	// An enrichment may return an array (one item per event) or a single object (one event).
	var arr []json.RawMessage
	if err := json.Unmarshal(out, &arr); err == nil {
		return arr, nil
	}
	if json.Valid(out) && strings.HasPrefix(strings.TrimSpace(string(out)), "{") {
		return []json.RawMessage{out}, nil
	}
	return nil, fmt.Errorf("pipe %s: enrichment %s returned neither a JSON array nor an object", p.Name, p.Enrichment)
}

// BusTarget puts a pipe's items on an EventBridge bus through the real SDK. DetailType and Source are
// either constants or, when they start with "$.", JSON paths into each item (Pipes' dynamic parameters).
type BusTarget struct {
	Client     *eventbridge.Client
	BusArn     string
	DetailType string
	Source     string
	Resources  []string
}

// BatchSize is EventBusBatchSize: PutEvents takes at most 10 entries, and so does a Pipe's bus target.
func (t *BusTarget) BatchSize() int { return EventBusBatchSize }

// Send writes the items in one PutEvents call (the Pipe never sends more than BatchSize); a partly
// failed call fails the send so that the whole batch is retried (consumers deduplicate on the event id).
func (t *BusTarget) Send(ctx context.Context, items []json.RawMessage) error {
	if len(items) > EventBusBatchSize {
		return fmt.Errorf("put events: %d entries; at most %d", len(items), EventBusBatchSize)
	}
	entries := make([]ebtypes.PutEventsRequestEntry, len(items))
	for i, it := range items {
		dt, err := dynamic(t.DetailType, it)
		if err != nil {
			return fmt.Errorf("detail-type: %w", err)
		}
		src, err := dynamic(t.Source, it)
		if err != nil {
			return fmt.Errorf("source: %w", err)
		}
		entries[i] = ebtypes.PutEventsRequestEntry{
			EventBusName: aws.String(t.BusArn), DetailType: aws.String(dt), Source: aws.String(src),
			Detail: aws.String(string(it)), Resources: t.Resources,
		}
	}
	out, err := t.Client.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries})
	if err != nil {
		return fmt.Errorf("put events: %w", err)
	}
	if out.FailedEntryCount > 0 {
		for _, e := range out.Entries {
			if e.ErrorCode != nil {
				return fmt.Errorf("put events: %d entries failed, first: %s %s", out.FailedEntryCount, aws.ToString(e.ErrorCode), aws.ToString(e.ErrorMessage))
			}
		}
	}
	return nil
}

func dynamic(v string, item json.RawMessage) (string, error) {
	if !strings.HasPrefix(v, "$.") {
		return v, nil
	}
	out, err := eventpattern.ApplyInputPath(item, v)
	if err != nil {
		return "", err
	}
	var s string
	if err := json.Unmarshal(out, &s); err != nil {
		return strings.Trim(string(out), `"`), nil
	}
	return s, nil
}
