package saga

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/platform/logging"
)

// RecoverOrder is the recover-order function's handler: it compensates the order of a saga run that
// failed, timed out or was aborted, from Step Functions' execution status change event (an EventBridge
// rule on the default bus).
type RecoverOrder struct {
	Steps *Steps
	Log   *slog.Logger
}

// Handle is the rule's target. An order it could not recover is an error, which Lambda's asynchronous
// invocation retries and then keeps in the function's dead-letter queue.
func (h RecoverOrder) Handle(ctx context.Context, ev events.EventBridgeEvent) error {
	r, err := h.Steps.RecoverExecution(ctx, ev.Detail)
	if err != nil {
		h.Log.ErrorContext(ctx, "order not recovered", "eventId", ev.ID, "error", err)
		return err
	}
	h.Log.WarnContext(ctx, "order recovered after a failed saga run", "orderId", r.OrderID, "status", r.Status, "reason", r.Reason)
	return nil
}

// ExecutionStatusChange is the detail of Step Functions' "Step Functions Execution Status Change"
// event on the default bus.
type ExecutionStatusChange struct {
	ExecutionArn    string `json:"executionArn"`
	StateMachineArn string `json:"stateMachineArn"`
	Name            string `json:"name"`
	Status          string `json:"status"`
	Input           string `json:"input"`
	Error           string `json:"error"`
	Cause           string `json:"cause"`
}

// Recover compensates an order whose saga run itself ended badly (failed, timed out, aborted: Step
// Functions reports it on EventBridge): it refunds, gives back held or, for a cancellation, sold stock,
// and ends the order CANCELLED if a cancellation was requested, FAILED (SAGA_FAILED) otherwise. A
// confirmed order without a cancellation, or an order that already ended, is left alone.
func (s *Steps) Recover(ctx context.Context, in Input) (Result, error) {
	r, err := s.Refund(ctx, in)
	if err != nil {
		return r, err
	}
	// Which stock goes back is the domain's decision (order.ReturnStock, order.ReleaseStock: each
	// applies only where it should, and at most one does); each step is a no-op elsewhere.
	for _, give := range []Step{s.Return, s.Release} {
		if r, err = give(ctx, in); err != nil {
			return r, err
		}
	}
	in.Outcome = &Outcome{Status: order.Failed, Reason: order.SagaFailed}
	return s.Finish(ctx, in)
}

// RecoverExecution compensates the order of a saga run that FAILED, TIMED_OUT or was ABORTED. The
// run's input names the order and its correlation; the execution name (the order id) is the fallback.
func (s *Steps) RecoverExecution(ctx context.Context, detail json.RawMessage) (Result, error) {
	var d ExecutionStatusChange
	if err := json.Unmarshal(detail, &d); err != nil {
		return Result{}, &InvalidInput{Err: fmt.Errorf("status change event: %w", err)}
	}
	switch d.Status {
	case "FAILED", "TIMED_OUT", "ABORTED":
	default:
		return Result{}, &InvalidInput{Err: fmt.Errorf("execution %s is %s: nothing to recover", d.Name, d.Status)}
	}
	var in Input
	if d.Input != "" {
		_ = json.Unmarshal([]byte(d.Input), &in) // a broken input falls back to the name below
	}
	if in.OrderID == "" {
		in.OrderID = d.Name
	}
	in.CausationID = d.ExecutionArn
	in.Attempt = 0
	return s.Recover(logging.With(ctx, in.CorrelationID, in.OrderID), in)
}
