// Package history reads the steps of an order's saga runs for its story (internal/story's Runs port)
// from Step Functions' execution histories.
package history

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/story"
)

// Machine is a state machine whose executions are named after the order they run for.
type Machine struct {
	Label string // the entries' source, e.g. "saga"
	ARN   string
}

// Runs reads the order's executions of the Machines: GetExecutionHistory of the execution named after
// the order (https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html).
// The names are known, so no ListExecutions is needed, and the function's role grants the history of
// those machines' executions only.
type Runs struct {
	SFN      *sfn.Client
	Machines []Machine
}

// Steps returns the states the runs entered, their failed attempts and how they ended, at most limit
// entries per machine (oldest first).
func (r Runs) Steps(ctx context.Context, id order.ID, limit int) ([]story.Entry, error) {
	var out []story.Entry
	for _, m := range r.Machines {
		steps, err := Execution(ctx, r.SFN, m, id, limit)
		if err != nil {
			return nil, err
		}
		out = append(out, steps...)
	}
	return out, nil
}

// Execution reads the states of the order's run of one state machine (none is fine: not every order
// has a cancellation run).
func Execution(ctx context.Context, c *sfn.Client, m Machine, id order.ID, limit int) ([]story.Entry, error) {
	arn := strings.Replace(m.ARN, ":stateMachine:", ":execution:", 1) + ":" + string(id)
	var out []story.Entry
	p := sfn.NewGetExecutionHistoryPaginator(c, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn)})
	for p.HasMorePages() && len(out) < limit {
		h, err := p.NextPage(ctx)
		var missing *sfntypes.ExecutionDoesNotExist
		if errors.As(err, &missing) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("history: %s execution: %w", m.Label, err)
		}
		for _, ev := range h.Events {
			at := aws.ToTime(ev.Timestamp)
			switch {
			case ev.StateEnteredEventDetails != nil:
				out = append(out, story.Entry{At: at, Source: m.Label, What: aws.ToString(ev.StateEnteredEventDetails.Name)})
			case ev.TaskFailedEventDetails != nil:
				out = append(out, story.Entry{At: at, Source: m.Label, What: "  attempt failed: " + aws.ToString(ev.TaskFailedEventDetails.Error)})
			case ev.Type == sfntypes.HistoryEventTypeExecutionSucceeded, ev.Type == sfntypes.HistoryEventTypeExecutionFailed,
				ev.Type == sfntypes.HistoryEventTypeExecutionAborted, ev.Type == sfntypes.HistoryEventTypeExecutionTimedOut:
				out = append(out, story.Entry{At: at, Source: m.Label, What: string(ev.Type)})
			}
		}
	}
	return out[:min(limit, len(out))], nil
}
