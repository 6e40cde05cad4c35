// Package timeline tells one order's story from the local system's data, in time order: its status
// history, every event it caused (the outbox), the states of its saga runs (the local Step Functions'
// histories) and the emails sent about it. It is `make dev`'s answer to "what happened to order X"; on
// AWS the same story is one Logs Insights query (docs/operations.md).
package timeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/orion-oss/orion/infra/engine/localaws"
	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/platform/traceheader"
)

// Entry is one moment of the story.
type Entry struct {
	At     time.Time
	Source string // "order", "event", "saga", "cancellation", "email"
	What   string
}

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
		states, err := execution(ctx, src.SFN, arn, id, label)
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
			for _, raw := range envelopes(it) {
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

// envelopes are the events of an outbox item: its envelope, or those of a batch item (a transaction
// whose events did not fit DynamoDB's 100 items one per item, internal/adapter/dynamo's outboxPuts).
func envelopes(item map[string]ddbtypes.AttributeValue) []string {
	if s, ok := item["envelope"].(*ddbtypes.AttributeValueMemberS); ok {
		return []string{s.Value}
	}
	l, _ := item["envelopes"].(*ddbtypes.AttributeValueMemberL)
	if l == nil {
		return nil
	}
	var out []string
	for _, v := range l.Value {
		if s, ok := v.(*ddbtypes.AttributeValueMemberS); ok {
			out = append(out, s.Value)
		}
	}
	return out
}

// execution reads the states of the order's run of one state machine (none is fine: not every order
// has a cancellation run).
func execution(ctx context.Context, c *sfn.Client, machineArn string, id order.ID, label string) ([]Entry, error) {
	arn := strings.Replace(machineArn, ":stateMachine:", ":execution:", 1) + ":" + string(id)
	h, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn)})
	var missing *sfntypes.ExecutionDoesNotExist
	if errors.As(err, &missing) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("timeline: %s execution: %w", label, err)
	}
	var out []Entry
	for _, ev := range h.Events {
		at := aws.ToTime(ev.Timestamp)
		switch {
		case ev.StateEnteredEventDetails != nil:
			out = append(out, Entry{At: at, Source: label, What: aws.ToString(ev.StateEnteredEventDetails.Name)})
		case ev.TaskFailedEventDetails != nil:
			out = append(out, Entry{At: at, Source: label, What: "  attempt failed: " + aws.ToString(ev.TaskFailedEventDetails.Error)})
		case ev.Type == sfntypes.HistoryEventTypeExecutionSucceeded, ev.Type == sfntypes.HistoryEventTypeExecutionFailed,
			ev.Type == sfntypes.HistoryEventTypeExecutionAborted, ev.Type == sfntypes.HistoryEventTypeExecutionTimedOut:
			out = append(out, Entry{At: at, Source: label, What: string(ev.Type)})
		}
	}
	return out, nil
}
