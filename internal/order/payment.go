package order

import (
	"fmt"
	"time"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/validation"
)

// Payment is the order's payment as the saga and the provider's events recorded it, along the
// lifecycle of package payment: authorize (perhaps after a customer action), capture before
// confirmation, and, in compensation, void a hold never captured or refund captured money.
type Payment struct {
	// AuthorizationID is the provider's id of the payment, set once the provider accepted the
	// authorization or asked for a customer action on it.
	AuthorizationID string
	// Action is the customer action the provider awaits (3-D Secure); zero when none is pending.
	Action PaymentAction
	// TaskToken is the Step Functions task token of the saga run waiting for the action's outcome.
	// Whoever records its half second (the token, or the outcome) resumes the run with it. It lets
	// anyone holding it steer the run, so it stays in the order table: never in an event or a view.
	TaskToken string
	// DeclineCode is the provider's decline after an authorization id existed: the action failed or
	// the capture was declined. The saga voids the hold and rejects the order with it.
	DeclineCode string
	// CaptureID is the provider's id of the capture of the order total.
	CaptureID string
	// Voided: compensation released the hold (never captured).
	Voided bool
	// RefundID is the provider's id of the refund of the captured total.
	RefundID string
}

// PaymentAction is what the customer must do before the provider decides: go to RedirectURL.
type PaymentAction struct {
	Type        string // the provider's next-action type, "redirect_to_url"
	RedirectURL string
}

// Pending reports whether an action is set.
func (a PaymentAction) Pending() bool { return a.Type != "" }

// ActionOutcome is what became of a customer action, as far as the order knows.
type ActionOutcome string

const (
	ActionPending   ActionOutcome = "PENDING"   // the provider has not reported yet
	ActionSucceeded ActionOutcome = "SUCCEEDED" // the payment is authorized (PAYMENT_AUTHORIZED or later)
	ActionFailed    ActionOutcome = "FAILED"    // declined after the action: Payment.DeclineCode says why
)

// Return is how compensation gives the payment back.
type Return string

const (
	ReturnNone   Return = "NONE"   // nothing held, already given back, or a confirmed order nobody cancels
	ReturnVoid   Return = "VOID"   // release a hold never captured
	ReturnRefund Return = "REFUND" // give captured money back
)

// DefaultActionDeclineCode is the decline code of a failed action whose provider event named none.
const DefaultActionDeclineCode = "payment_action_failed"

// RequirePaymentAction records that the provider holds the payment until the customer acts: the order
// stays RESERVED with the authorization id and the action, and returns PaymentActionRequired. The
// answer to a repeated authorization (same id) is a no-op, even once the outcome is known. Like
// AuthorizePayment it is recorded after a cancellation arrived too, so that compensation voids it.
func (o *Order) RequirePaymentAction(authorizationID string, action PaymentAction, now time.Time) ([]event.Payload, error) {
	var c validation.Collector
	if authorizationID == "" {
		c.Add("authorizationId", "is required")
	}
	if action.Type == "" || action.RedirectURL == "" {
		c.Add("action", "needs a type and a redirect URL")
	}
	if err := c.Err(); err != nil {
		return nil, err
	}
	if o.payment.AuthorizationID == authorizationID {
		return nil, nil
	}
	if err := o.require("require a payment action for", Reserved); err != nil {
		return nil, err
	}
	if o.payment.AuthorizationID != "" {
		return nil, fmt.Errorf("%w: order holds payment %s already", ErrInvalidTransition, o.payment.AuthorizationID)
	}
	o.payment.AuthorizationID, o.payment.Action = authorizationID, action
	o.touch(now)
	return []event.Payload{event.PaymentActionRequired{OrderRef: o.ref(), AuthorizationID: authorizationID,
		ActionType: action.Type}}, nil
}

// ActionOutcome reports what became of the order's customer action. ok is false when the order is
// not (or no longer) where an action's outcome matters: no action was asked, the hold was given back,
// or the order ended.
func (o *Order) ActionOutcome() (out ActionOutcome, ok bool) {
	switch {
	case o.status.IsTerminal() || o.payment.AuthorizationID == "" || o.payment.Voided || o.payment.RefundID != "":
		return "", false
	case o.status == PaymentAuthorized || o.status == Confirmed:
		return ActionSucceeded, true
	case o.status == Reserved && o.payment.DeclineCode != "":
		return ActionFailed, true
	case o.status == Reserved && o.payment.Action.Pending():
		return ActionPending, true
	}
	return "", false
}

// AwaitPaymentAction stores the task token of the saga run that waits for the action's outcome and
// returns the outcome as far as it is known. A known outcome stores nothing: the caller resumes the
// run itself (the provider's event came first). The same token again is a no-op; a new token (a
// retried wait) replaces the old. An order where no outcome matters is ErrInvalidTransition (or
// ErrTerminal); a pending action on an order with a cancellation pending is ErrCancellationRequested.
func (o *Order) AwaitPaymentAction(token string, now time.Time) (ActionOutcome, error) {
	if token == "" {
		return "", validation.New("taskToken", "is required")
	}
	out, ok := o.ActionOutcome()
	if !ok {
		if err := o.require("await a payment action for", Reserved, PaymentAuthorized, Confirmed); err != nil {
			return "", err
		}
		return "", fmt.Errorf("%w: order %s awaits no payment action", ErrInvalidTransition, o.id)
	}
	if out == ActionPending && o.cancellation != nil {
		// Nothing would answer a token stored now: cancel-order wakes only a run whose token it finds,
		// and it found none. The run goes to compensation instead of waiting out the expiry.
		return "", ErrCancellationRequested
	}
	if out == ActionPending && o.payment.TaskToken != token {
		o.payment.TaskToken = token
		o.touch(now)
	}
	return out, nil
}

// CompletePaymentAction records that the customer completed the action and the provider authorized
// the payment: RESERVED -> PAYMENT_AUTHORIZED, PaymentAuthorized. The outcome reported again is a
// no-op. A different payment, a hold already voided, or an action that already failed is refused
// (ErrInvalidTransition): the saga has moved on and compensation gives that payment back.
func (o *Order) CompletePaymentAction(authorizationID string, now time.Time) ([]event.Payload, error) {
	if authorizationID == "" {
		return nil, validation.New("authorizationId", "is required")
	}
	if (o.status == PaymentAuthorized || o.status == Confirmed) && o.payment.AuthorizationID == authorizationID {
		return nil, nil
	}
	if err := o.require("complete the payment action of", Reserved); err != nil {
		return nil, err
	}
	switch p := o.payment; {
	case p.AuthorizationID != authorizationID:
		return nil, fmt.Errorf("%w: payment %s is not the order's (%q)", ErrInvalidTransition, authorizationID, p.AuthorizationID)
	case p.Voided || p.DeclineCode != "" || !p.Action.Pending():
		return nil, fmt.Errorf("%w: the payment action of order %s is no longer pending", ErrInvalidTransition, o.id)
	}
	o.payment.Action = PaymentAction{}
	o.move(PaymentAuthorized, "", now)
	return []event.Payload{event.PaymentAuthorized{OrderRef: o.ref(), AuthorizationID: authorizationID, Amount: o.total}}, nil
}

// FailPaymentAction records that the authorization failed after the action (code: the provider's
// decline code; empty means DefaultActionDeclineCode). The order stays RESERVED: the saga voids the
// hold, releases the stock and rejects it PAYMENT_DECLINED (DeclinePayment says so with its events).
// The failure reported again is a no-op; after a success it is refused.
func (o *Order) FailPaymentAction(code string, now time.Time) ([]event.Payload, error) {
	if code == "" {
		code = DefaultActionDeclineCode
	}
	if o.status == Reserved && o.payment.DeclineCode != "" {
		return nil, nil
	}
	if err := o.require("fail the payment action of", Reserved); err != nil {
		return nil, err
	}
	if !o.payment.Action.Pending() || o.payment.Voided {
		return nil, fmt.Errorf("%w: order %s awaits no payment action", ErrInvalidTransition, o.id)
	}
	o.payment.DeclineCode, o.payment.Action = code, PaymentAction{}
	o.touch(now)
	return nil, nil
}

// CaptureDue reports whether the saga should capture the order total: an authorized order, not yet
// captured, with no cancellation pending and no compensation begun.
func (o *Order) CaptureDue() bool {
	p := o.payment
	return o.status == PaymentAuthorized && p.AuthorizationID != "" && p.CaptureID == "" && p.DeclineCode == "" &&
		!p.Voided && p.RefundID == "" && o.cancellation == nil && !o.stockReleased
}

// CapturePayment records the provider's capture of the order total and returns PaymentCaptured. The
// same capture again is a no-op. A capture that comes back after a cancellation arrived is recorded
// all the same, so that compensation refunds it.
func (o *Order) CapturePayment(captureID string, now time.Time) ([]event.Payload, error) {
	if captureID == "" {
		return nil, validation.New("captureId", "is required")
	}
	if o.payment.CaptureID == captureID {
		return nil, nil
	}
	if err := o.require("capture payment of", PaymentAuthorized); err != nil {
		return nil, err
	}
	if p := o.payment; p.CaptureID != "" || p.DeclineCode != "" || p.Voided || p.RefundID != "" {
		return nil, fmt.Errorf("%w: the payment of order %s can no longer be captured", ErrInvalidTransition, o.id)
	}
	o.payment.CaptureID = captureID
	o.touch(now)
	return []event.Payload{event.PaymentCaptured{OrderRef: o.ref(), AuthorizationID: o.payment.AuthorizationID, CaptureID: captureID, Amount: o.total}}, nil
}

// DeclineCapture records that the provider declined the capture (code: its decline code). The order
// stays PAYMENT_AUTHORIZED: compensation voids the hold, releases the stock and rejects the order
// PAYMENT_DECLINED. Repeated, it is a no-op.
func (o *Order) DeclineCapture(code string, now time.Time) ([]event.Payload, error) {
	if code == "" {
		return nil, validation.New("code", "is required")
	}
	if o.status == PaymentAuthorized && o.payment.DeclineCode != "" {
		return nil, nil
	}
	if err := o.require("decline the capture of", PaymentAuthorized); err != nil {
		return nil, err
	}
	if p := o.payment; p.CaptureID != "" || p.Voided || p.RefundID != "" {
		return nil, fmt.Errorf("%w: the payment of order %s is no longer capturable", ErrInvalidTransition, o.id)
	}
	o.payment.DeclineCode = code
	o.touch(now)
	return nil, nil
}

// VoidPayment records that compensation released a hold that was never captured (PaymentReturn is
// ReturnVoid) and returns PaymentVoided. Once only.
func (o *Order) VoidPayment(now time.Time) ([]event.Payload, error) {
	if o.payment.Voided {
		return nil, nil
	}
	if r := o.PaymentReturn(); r != ReturnVoid {
		if err := o.require("void the payment of", Reserved, PaymentAuthorized, Confirmed); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: order %s's payment return is %s, not a void", ErrInvalidTransition, o.id, r)
	}
	o.payment.Voided, o.payment.Action = true, PaymentAction{}
	o.touch(now)
	return []event.Payload{event.PaymentVoided{OrderRef: o.ref(), AuthorizationID: o.payment.AuthorizationID, Amount: o.total}}, nil
}

// RecordOutsideRefund records a refund the provider reports and Orion did not make (its dashboard):
// PaymentRefundedOutside, no status change. The order's own refund reported back is a no-op. The
// provider event's id deduplicates repeated reports (the caller's inbox), not this method.
func (o *Order) RecordOutsideRefund(refundID string, amount money.Money, now time.Time) ([]event.Payload, error) {
	if err := o.outsideEvent("refundId", refundID, amount); err != nil {
		return nil, err
	}
	if refundID == o.payment.RefundID {
		return nil, nil
	}
	o.touch(now)
	return []event.Payload{event.PaymentRefundedOutside{OrderRef: o.ref(), AuthorizationID: o.payment.AuthorizationID, RefundID: refundID, Amount: amount}}, nil
}

// RecordDispute records a dispute (chargeback) the provider reports: PaymentDisputed, no status
// change. Deduplication is the caller's, as for RecordOutsideRefund.
func (o *Order) RecordDispute(disputeID, reason string, amount money.Money, now time.Time) ([]event.Payload, error) {
	if err := o.outsideEvent("disputeId", disputeID, amount); err != nil {
		return nil, err
	}
	o.touch(now)
	return []event.Payload{event.PaymentDisputed{OrderRef: o.ref(), AuthorizationID: o.payment.AuthorizationID, DisputeID: disputeID,
		DisputeReason: reason, Amount: amount}}, nil
}

// outsideEvent checks a provider's report about a payment the order holds.
func (o *Order) outsideEvent(idField, id string, amount money.Money) error {
	var c validation.Collector
	if id == "" {
		c.Add(idField, "is required")
	}
	if amount.IsZero() || amount.Amount() < 0 || amount.Currency() != o.total.Currency() {
		c.Add("amount", "must be a non-negative amount in the order's currency %s", o.total.Currency())
	}
	if err := c.Err(); err != nil {
		return err
	}
	if o.payment.AuthorizationID == "" {
		return fmt.Errorf("%w: order %s holds no payment", ErrInvalidTransition, o.id)
	}
	return nil
}
