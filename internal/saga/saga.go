// Package saga holds the steps of the order saga, the Step Functions workflows in statemachines/ that
// take an order from PENDING to exactly one outcome: reserve stock, authorize payment (and wait for the
// customer's action when the provider asks for one), capture, confirm; or compensate (void or refund,
// give stock back) and end the order REJECTED, CANCELLED or FAILED.
//
// Every step is a Lambda function with the same input (Input) and output (Result). Step Functions
// retries tasks and EventBridge delivers twice, so each step first reads the order and does nothing
// when the order is already past it: the aggregate's own transitions are no-ops when repeated, the
// stock moves are conditional on the versions read, and the payment provider is keyed by the order id.
// A forward step that finds the order off the happy path (out of stock, declined, a cancellation
// pending, already ended) says so with a named error (route.go), and the Task's Catch routes the
// execution by that name into compensation, to the wait for the customer's payment action, or to its
// end; there is no Choice state between the steps.
package saga

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/payment"
	"github.com/orion-oss/orion/internal/platform/metrics"
)

// Input is what every step receives from the state machine.
type Input struct {
	OrderID       string `json:"orderId"`
	CorrelationID string `json:"correlationId"`
	// CausationID is the id of the event that started the run (OrderPlaced, OrderCancellationRequested):
	// the cause stamped on every event the steps write.
	CausationID string `json:"causationId,omitempty"`
	// Attempt is $$.State.RetryCount: how often Step Functions retried this task.
	Attempt int `json:"attempt,omitempty"`
	// Outcome is how FinishOrder ends the order (the cancellation run, recovery).
	Outcome *Outcome `json:"outcome,omitempty"`
	// Error is the error the order saga's Catch caught, from which FinishOrder knows the outcome when
	// no Outcome is given.
	Error *CaughtError `json:"error,omitempty"`
	// TaskToken is $$.Task.Token of the wait for the customer's payment action (Await).
	TaskToken string `json:"taskToken,omitempty"`
	// ReturnID is the received return RefundReturn refunds.
	ReturnID string `json:"returnId,omitempty"`
	// Lines are the order's stock lines as OrderPlaced told them, in the execution input (the starter
	// writes them). The steps that move stock receive that input as Execution ($$.Execution.Input,
	// present in every execution, so that one started without lines still runs) and read the order in
	// the same BatchGetItem as its stock (docs/adr/0022). They only save a read: the order is the truth.
	Lines     []Line     `json:"lines,omitempty"`
	Execution *Execution `json:"execution,omitempty"`
}

// Line is a quantity of one SKU of the order.
type Line struct {
	SKU      string `json:"sku"`
	Quantity int64  `json:"quantity"`
}

// Execution is the part of the execution's input the stock steps use.
type Execution struct {
	Lines []Line `json:"lines,omitempty"`
}

// stockLines are the lines the input tells, or none when it tells none or any is not a valid line (the
// order's own lines are read then).
func (in Input) stockLines() []inventory.Line {
	lines := in.Lines
	if in.Execution != nil && len(in.Execution.Lines) > 0 {
		lines = in.Execution.Lines
	}
	out := make([]inventory.Line, 0, len(lines))
	for _, l := range lines {
		sku, err := inventory.ParseSKU(l.SKU)
		if err != nil {
			return nil
		}
		q, err := inventory.NewQuantity(l.Quantity)
		if err != nil || q < 1 {
			return nil
		}
		out = append(out, inventory.Line{SKU: sku, Quantity: q})
	}
	return out
}

// Outcome is the end a compensation leads to.
type Outcome struct {
	Status      order.Status `json:"status"`
	Reason      order.Reason `json:"reason,omitempty"`
	DeclineCode string       `json:"declineCode,omitempty"`
}

// Payment states as a Result shows them.
const (
	PaymentNone          = "NONE"
	PaymentActionPending = "ACTION_REQUIRED"
	PaymentAuthorized    = "AUTHORIZED"
	PaymentDeclinedLate  = "DECLINED" // after an authorization id existed: the action failed, the capture was declined
	PaymentCaptured      = "CAPTURED"
	PaymentVoided        = "VOIDED"
	PaymentRefunded      = "REFUNDED"
)

// Result is where the order is after a step: the step's output in the execution (the order saga's and
// the cancellation run's output is the last one), in the step's log line and in the errors of route.go.
type Result struct {
	OrderID               string `json:"orderId"`
	Status                string `json:"status"`
	Reason                string `json:"reason,omitempty"`
	CancellationRequested bool   `json:"cancellationRequested"`
	Payment               string `json:"payment"`
	Version               int64  `json:"version"`
}

func resultOf(o *order.Order) Result {
	r := Result{OrderID: string(o.ID()), Status: string(o.Status()), Reason: string(o.Reason()),
		CancellationRequested: o.Cancellation() != nil, Payment: PaymentNone, Version: o.Version()}
	switch p := o.Payment(); {
	case p.RefundID != "":
		r.Payment = PaymentRefunded
	case p.Voided:
		r.Payment = PaymentVoided
	case p.CaptureID != "":
		r.Payment = PaymentCaptured
	case p.DeclineCode != "":
		r.Payment = PaymentDeclinedLate
	case p.Action.Pending():
		r.Payment = PaymentActionPending
	case p.AuthorizationID != "":
		r.Payment = PaymentAuthorized
	}
	return r
}

// Store is the order and stock storage the steps need (dynamo.Saga). Each change is one conditional
// transaction of the order (and, for UpdateOrderStock, the stock of its lines) with its events, retried
// on fresh reads when another writer got there first.
type Store interface {
	Get(ctx context.Context, id order.ID) (*order.Order, error)
	Update(ctx context.Context, id order.ID, cause event.Cause, fn func(*order.Order) ([]event.Payload, error)) (*order.Order, error)
	// UpdateFrom is Update starting from an order just read, saving the read when nothing changed since.
	UpdateFrom(ctx context.Context, loaded *order.Order, cause event.Cause, fn func(*order.Order) ([]event.Payload, error)) (*order.Order, error)
	// UpdateOrderStockOf changes an order together with the items of its lines and its reservations of
	// them; lines, when the caller knows them, let the first read take the order and its stock at once.
	// An order applies refuses is returned as it is.
	UpdateOrderStockOf(ctx context.Context, id order.ID, lines []inventory.Line, cause event.Cause, applies func(*order.Order) bool,
		fn func(*order.Order, *inventory.OrderStock) ([]event.Payload, error)) (*order.Order, error)
	// UpdateOrderStockFrom is UpdateOrderStockOf starting from an order just read.
	UpdateOrderStockFrom(ctx context.Context, loaded *order.Order, cause event.Cause, applies func(*order.Order) bool,
		fn func(*order.Order, *inventory.OrderStock) ([]event.Payload, error)) (*order.Order, error)
}

// Steps are the saga's steps over a store and a payment provider.
type Steps struct {
	store    Store
	payments payment.Provider
	now      func() time.Time
	// Metrics receives PaymentLatency and PaymentConfigurationErrors (nil: none).
	Metrics *metrics.Emitter
	// Resumer answers the task token of a run waiting for a payment action (Await only).
	Resumer TaskResumer
}

// NewSteps builds the steps. p may be nil in a function that runs none of the payment steps (Authorize,
// Capture, Refund, Recover).
func NewSteps(s Store, p payment.Provider) *Steps {
	return &Steps{store: s, payments: p, now: time.Now}
}

// Errors the state machine tells apart by name (a Lambda function error's type is the Go type's name).

// PaymentUnavailable means the provider could not answer; the state machine retries it, then fails
// the order PAYMENT_UNAVAILABLE after compensation.
type PaymentUnavailable struct{ Err error }

func (e *PaymentUnavailable) Error() string { return "payment unavailable: " + e.Err.Error() }
func (e *PaymentUnavailable) Unwrap() error { return e.Err }

// InvalidInput means the state machine passed something no retry can fix.
type InvalidInput struct{ Err error }

func (e *InvalidInput) Error() string { return "invalid step input: " + e.Err.Error() }
func (e *InvalidInput) Unwrap() error { return e.Err }

// StepError is any other failure (storage, contention beyond the repository's retries): worth retrying.
type StepError struct{ Err error }

func (e *StepError) Error() string { return e.Err.Error() }
func (e *StepError) Unwrap() error { return e.Err }

func (in Input) parse() (order.ID, event.Cause, error) {
	id, err := order.ParseID(in.OrderID)
	if err != nil {
		return "", event.Cause{}, &InvalidInput{Err: err}
	}
	cause := event.Cause{CorrelationID: in.CorrelationID, CausationID: in.CausationID}
	if cause.CorrelationID == "" {
		cause.CorrelationID = in.OrderID // an order's story is correlated by its id when nothing else is known
	}
	return id, cause, nil
}

// classify names an error for the state machine: the named errors as they are (unwrapped, so that
// the function error's type is theirs), an order that does not exist as an input problem, everything
// else as worth retrying.
func classify(err error) error {
	var invalid *InvalidInput
	var unavailable *PaymentUnavailable
	var off offPath
	switch {
	case err == nil:
		return nil
	case errors.As(err, &invalid):
		return invalid
	case errors.As(err, &unavailable):
		return unavailable
	case errors.As(err, &off):
		return off
	case errors.Is(err, order.ErrNotFound):
		return &InvalidInput{Err: err}
	}
	return &StepError{Err: err}
}

// step runs one step: it parses the input, runs fn and names its error.
func (s *Steps) step(ctx context.Context, in Input, fn func(context.Context, order.ID, event.Cause) (Result, error)) (Result, error) {
	id, cause, err := in.parse()
	if err != nil {
		return Result{}, err
	}
	r, err := fn(ctx, id, cause)
	return r, classify(err)
}

func orderResult(o *order.Order, err error) (Result, error) {
	if err != nil {
		return Result{}, err
	}
	return resultOf(o), nil
}

// String describes an outcome for logs.
func (o Outcome) String() string {
	if o.Reason == "" {
		return string(o.Status)
	}
	return fmt.Sprintf("%s/%s", o.Status, o.Reason)
}

// forward ends a forward step: the order's Result when the saga goes on from where it is, or the
// named error that routes it off the happy path (next).
func forward(o *order.Order, err error, goOn ...order.Status) (Result, error) {
	if err != nil {
		return Result{}, err
	}
	if err := next(o, goOn...); err != nil {
		return Result{}, err
	}
	return resultOf(o), nil
}
