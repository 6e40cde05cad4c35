// Package timeline tells one order's story from the local system's data, in time order: its status
// history, every event it caused (the outbox), the states of its saga runs (the local Step Functions'
// histories) and the emails sent about it. It is `make dev`'s answer to "what happened to order X"; on
// AWS the same story is one Logs Insights query (docs/operations.md).
package timeline

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/orion-oss/orion/infra/engine/localaws"
	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/adapter/dynamo/storyread"
	"github.com/orion-oss/orion/internal/adapter/stepfunctions/history"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/platform/traceheader"
	"github.com/orion-oss/orion/internal/story"
)

// Entry is one moment of the story ("order", "event", "saga", "cancellation" or "email"): the admins'
// story of an order (internal/story, GET /orders/{orderId}/story) tells the same, from AWS's records.
type Entry = story.Entry

// Sources are where the story is read from.
type Sources struct {
	DB     *dynamodb.Client
	Tables dynamo.Tables
	// SFN reaches the local Step Functions (the runtime's AWS endpoint).
	SFN *sfn.Client
	// Machines are the state machines whose executions are named after the order, by label.
	Machines map[string]string
	// Endpoint is the emulator, for the emails it accepted ("" skips them).
	Endpoint string
}

// Of builds the timeline of one order.
func Of(ctx context.Context, src Sources, id order.ID) ([]Entry, error) {
	o, err := dynamo.NewOrderRepository(src.DB, src.Tables).Get(ctx, id)
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, h := range o.History() {
		what := string(h.Status)
		if h.Reason != "" {
			what += " (" + string(h.Reason) + ")"
		}
		out = append(out, Entry{At: h.At, Source: "order", What: what})
	}
	evs, err := events(ctx, src, id)
	if err != nil {
		return nil, err
	}
	out = append(out, evs...)
	for label, arn := range src.Machines {
		states, err := history.Execution(ctx, src.SFN, history.Machine{Label: label, ARN: arn}, id, story.MaxEntries)
		if err != nil {
			return nil, err
		}
		out = append(out, states...)
	}
	if src.Endpoint != "" {
		mails, err := localaws.SentEmails(ctx, src.Endpoint)
		if err == nil {
			for _, m := range mails {
				if strings.Contains(m.Body, string(id)) {
					out = append(out, Entry{Source: "email", What: fmt.Sprintf("%q to %d recipient(s)", m.Subject, len(m.To))})
				}
			}
		}
	}
	// Emails carry no time in the emulator: they sort last, after what caused them.
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].At.IsZero() != out[j].At.IsZero() {
			return out[j].At.IsZero()
		}
		return out[i].At.Before(out[j].At)
	})
	return out, nil
}

// events reads the order's events from the outbox (a scan: fine for a local table, not for AWS).
func events(ctx context.Context, src Sources, id order.ID) ([]Entry, error) {
	var out []Entry
	p := dynamodb.NewScanPaginator(src.DB, &dynamodb.ScanInput{TableName: aws.String(src.Tables.Outbox), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("timeline: outbox: %w", err)
		}
		for _, it := range page.Items {
			for _, raw := range storyread.Envelopes(it) {
				var env event.Envelope
				if json.Unmarshal([]byte(raw), &env) != nil || env.OrderID() != string(id) {
					continue
				}
				what := env.Type + " " + env.ID
				if h, ok := traceheader.ParseHeader(env.TraceHeader); ok {
					what += " trace " + h.Root // the X-Ray trace of the invocation that committed it
				}
				out = append(out, Entry{At: env.OccurredAt, Source: "event", What: what})
			}
		}
	}
	return out, nil
}
