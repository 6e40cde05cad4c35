// Package starter starts the order saga's executions from order events: one execution per order,
// named after it, so duplicated events start nothing.
package starter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/platform/logging"
	"github.com/orion-oss/orion/internal/saga"
)

// Execution is one run of a state machine to start.
type Execution struct {
	StateMachineArn string
	Name            string // unique per state machine: the order id
	Input           string // JSON
	TraceHeader     string // the X-Ray trace to join ("" none)
}

// ErrExecutionExists means an execution of that name exists already, closed or with another input.
var ErrExecutionExists = errors.New("starter: execution already exists")

// Executions starts executions of the saga's state machines (adapter/stepfunctions).
type Executions interface {
	// Start starts x and returns its ARN; ErrExecutionExists when the name is taken.
	Start(ctx context.Context, x Execution) (arn string, err error)
}

// Starter starts a saga run per order event: the order saga for OrderPlaced, the cancellation run for
// OrderCancellationRequested of a CONFIRMED order (before confirmation the running saga notices the
// request itself). The execution is named after the order, so a duplicated event finds the name taken
// and starts nothing: a Standard workflow answers ExecutionAlreadyExists once an execution of that
// name exists with another input or has closed, and returns the running one for the same input.
type Starter struct {
	Executions               Executions
	SagaArn, CancellationArn string
	Log                      *slog.Logger
}

// Handle is the EventBridge rule target.
func (s Starter) Handle(ctx context.Context, ev events.EventBridgeEvent) error {
	env, err := event.Decode(ev.Detail)
	if err != nil {
		// A malformed event will not improve with retries; it is logged and dropped.
		s.Log.ErrorContext(ctx, "saga start: event not decoded", "eventId", ev.ID, "detailType", ev.DetailType, "error", err)
		return nil
	}
	p, err := env.Payload()
	if err != nil {
		s.Log.ErrorContext(ctx, "saga start: payload not decoded", "eventId", env.ID, "type", env.Type, "error", err)
		return nil
	}
	ctx = logging.With(ctx, env.CorrelationID, env.OrderID())
	var machine string
	var ref event.OrderRef
	var lines []saga.Line
	switch e := p.(type) {
	case *event.OrderPlaced:
		machine, ref = s.SagaArn, e.OrderRef
		for _, l := range e.Lines {
			// The steps that move stock read the order and its stock at once when they know its lines.
			lines = append(lines, saga.Line{SKU: l.SKU, Quantity: l.Quantity})
		}
	case *event.OrderCancellationRequested:
		if e.Status != string(order.Confirmed) {
			s.Log.InfoContext(ctx, "saga start: cancellation left to the running saga", "status", e.Status)
			return nil
		}
		machine, ref = s.CancellationArn, e.OrderRef
	default:
		s.Log.WarnContext(ctx, "saga start: event ignored", "eventId", env.ID, "type", env.Type)
		return nil
	}
	if _, err := order.ParseID(ref.OrderID); err != nil {
		// The execution is named after the order: without a valid id there is nothing to start (and
		// StartExecution would refuse the name on every retry).
		s.Log.ErrorContext(ctx, "saga start: event names no order", "eventId", env.ID, "type", env.Type, "error", err)
		return nil
	}
	input, _ := json.Marshal(saga.Input{OrderID: ref.OrderID, CorrelationID: env.CorrelationID, CausationID: env.ID, Lines: lines})
	// The run joins the trace of the request that placed (or cancelled) the order: the outbox stream
	// and the Pipe lost it on the way here, the envelope kept it. Without one, Step Functions
	// continues this invocation's trace from the request's X-Amzn-Trace-Id header.
	arn, err := s.Executions.Start(ctx, Execution{StateMachineArn: machine, Name: ref.OrderID, Input: string(input), TraceHeader: env.TraceHeader})
	switch {
	case errors.Is(err, ErrExecutionExists):
		s.Log.InfoContext(ctx, "saga start: duplicate event, execution exists", "eventId", env.ID)
		return nil
	case err != nil:
		return fmt.Errorf("saga: start %s for order %s: %w", machine, ref.OrderID, err)
	}
	s.Log.InfoContext(ctx, "saga started", "eventId", env.ID, "executionArn", arn)
	return nil
}
