package saga

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/orion-oss/orion/internal/order"
)

// Errors that take an order off the happy path. A forward step that finds the order anywhere but on its
// way to CONFIRMED says where with one of these, and the Task's Catch routes the execution by the
// error's name (a Go function's error is named after its type). They replace Choice states after each
// step: Step Functions Standard bills every state entered, and a Catch costs no state of its own.
// None is retried (the first Retrier of each Task lists them with MaxAttempts 0): each is an answer,
// and a step run again after a lost response finds the order where it left it and answers the same.
type offPath interface {
	error
	offPath()
}

// OutOfStock means the order was rejected OUT_OF_STOCK: nothing is held, the saga ends.
type OutOfStock struct{ Order Result }

func (e *OutOfStock) Error() string { return "order " + e.Order.OrderID + " rejected: out of stock" }
func (*OutOfStock) offPath()        {}

// OrderEnded means the order already has its outcome (REJECTED, CANCELLED, FAILED): nothing to do.
type OrderEnded struct{ Order Result }

func (e *OrderEnded) Error() string {
	return fmt.Sprintf("order %s already ended %s", e.Order.OrderID, Outcome{Status: order.Status(e.Order.Status), Reason: order.Reason(e.Order.Reason)})
}
func (*OrderEnded) offPath() {}

// CancellationRequested means a cancellation arrived before confirmation: compensation refunds what was
// authorized, releases the stock, and the order ends CANCELLED.
type CancellationRequested struct{ Order Result }

func (e *CancellationRequested) Error() string {
	return fmt.Sprintf("order %s has a cancellation pending (%s)", e.Order.OrderID, e.Order.Status)
}
func (*CancellationRequested) offPath() {}

// PaymentDeclined means the provider refused the payment: compensation releases the stock and the
// order ends REJECTED PAYMENT_DECLINED. The decline code travels in the message, because a Catch hands
// on only the error's name and cause, and Lambda's cause is its error JSON: {"errorMessage", ...}.
type PaymentDeclined struct{ Code string }

const declinedPrefix = "payment declined: "

func (e *PaymentDeclined) Error() string { return declinedPrefix + e.Code }
func (*PaymentDeclined) offPath()        {}

// PaymentActionRequired means the provider holds the payment until the customer acts (3-D Secure):
// the order stays RESERVED with the action recorded, and the state machine waits for the outcome
// (AwaitPaymentAction) before it captures. A named error rather than a Choice state after the step,
// for the reason above: the orders the provider authorizes at once pay no state for the route.
type PaymentActionRequired struct{ Order Result }

func (e *PaymentActionRequired) Error() string {
	return "order " + e.Order.OrderID + " awaits the customer's payment action"
}
func (*PaymentActionRequired) offPath() {}

// UnexpectedStatus means the order is where the saga has no path from (a step found it RESERVED with
// its stock given back, say: someone else compensates it). The execution fails (Saga.UnexpectedStatus)
// and recover-order takes over from its status change event.
type UnexpectedStatus struct{ Order Result }

func (e *UnexpectedStatus) Error() string {
	return fmt.Sprintf("order %s is %s: the saga has no path from there", e.Order.OrderID, e.Order.Status)
}
func (*UnexpectedStatus) offPath() {}

// next decides, from where the order is after a forward step, whether the saga goes on (nil) or which
// way it leaves the happy path, in the precedence the saga always had: an order that is CONFIRMED or
// ended stays as it is (a cancellation of a CONFIRMED order is the cancellation run's); then a pending
// cancellation; then the statuses from which this step's successors go on. A CONFIRMED order goes on
// from every step: the steps after it leave it alone, so a repeated step never fails a success.
func next(o *order.Order, goOn ...order.Status) error {
	switch st := o.Status(); {
	case st.IsSold():
		return nil // confirmed, or already shipped by a quick warehouse before a repeated step
	case st == order.Rejected && o.Reason() == order.OutOfStock:
		return &OutOfStock{Order: resultOf(o)}
	case st.IsTerminal():
		return &OrderEnded{Order: resultOf(o)}
	case o.Cancellation() != nil:
		return &CancellationRequested{Order: resultOf(o)}
	case slices.Contains(goOn, st):
		return nil
	}
	return &UnexpectedStatus{Order: resultOf(o)}
}

// CaughtError is what a Task's Catch records at its ResultPath ($.error): the error's name and cause.
// FinishOrder reads from it how the order saga's compensation ends the order.
type CaughtError struct {
	Error string `json:"Error"`
	Cause string `json:"Cause"`
}

// outcome is how compensation ends an order after the caught error: the named outcomes as they say,
// anything else (a step that kept failing, a timeout, a Lambda error) FAILED STEP_FAILED.
func (c CaughtError) outcome() Outcome {
	switch c.Error {
	case "PaymentDeclined":
		return Outcome{Status: order.Rejected, Reason: order.PaymentDeclined, DeclineCode: declineCode(c.Cause)}
	case "PaymentUnavailable":
		return Outcome{Status: order.Failed, Reason: order.PaymentUnavailable}
	case "CancellationRequested":
		return Outcome{Status: order.Cancelled}
	}
	return Outcome{Status: order.Failed, Reason: order.StepFailed}
}

// declineCode reads the decline code from a PaymentDeclined cause: Lambda's error JSON, whose message
// is the error's text (or that text alone). An unreadable cause declines without a code.
func declineCode(cause string) string {
	var lambdaErr struct {
		Message string `json:"errorMessage"`
	}
	msg := cause
	if json.Unmarshal([]byte(cause), &lambdaErr) == nil && lambdaErr.Message != "" {
		msg = lambdaErr.Message
	}
	code, ok := strings.CutPrefix(msg, declinedPrefix)
	if !ok {
		return ""
	}
	return code
}
