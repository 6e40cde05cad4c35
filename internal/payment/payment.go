// Package payment is the port to a payment provider, and the sandbox provider Orion ships for local
// runs and tests (never in production: see Select). The port follows the lifecycle card networks and
// providers define: authorize (hold the order total), capture (take the held amount when the order is
// confirmed), void (release a hold never captured), refund (give captured money back). Every call
// carries an idempotency key derived from the order id and the operation (Key), so a retried saga
// step never charges, captures, voids or refunds twice.
package payment

import (
	"context"
	"errors"
	"fmt"

	"github.com/orion-oss/orion/internal/money"
)

// Errors a provider returns. ErrUnavailable is worth retrying; a *DeclinedError is final;
// ErrMisconfigured (the provider refused Orion's credentials or request) is neither a decline nor
// worth a quick retry: it pages someone.
//
// ErrRefundExceedsRemaining: the provider refused an exact refund (a return's, RefundRequest.ReturnID)
// because the payment has less left to refund than asked, or nothing (part or all of it was refunded
// outside Orion, in the provider's dashboard). It is final for that amount, yet neither the customer's
// decline (nothing says the customer got this return's money) nor Orion's configuration (no setting
// fixes it): an operator decides what is still owed (docs/operations.md, refund-dlq).
var (
	ErrUnavailable            = errors.New("payment: provider unavailable")
	ErrDeclined               = errors.New("payment: declined")
	ErrMisconfigured          = errors.New("payment: provider configuration error")
	ErrRefundExceedsRemaining = errors.New("payment: the refund exceeds what the payment has left")
)

// DeclinedError carries the provider's decline code; errors.Is(err, ErrDeclined) holds.
type DeclinedError struct{ Code string }

func (e *DeclinedError) Error() string { return "payment: declined: " + e.Code }
func (e *DeclinedError) Unwrap() error { return ErrDeclined }

// Operation names a payment call; with the order id it makes the call's idempotency key.
type Operation string

const (
	OpAuthorize Operation = "authorize"
	OpCapture   Operation = "capture"
	OpVoid      Operation = "void"
	OpRefund    Operation = "refund"
)

// ReturnRefund is the operation of the refund of one received return (issue 21): each return of an
// order is refunded once, under a key of its own.
func ReturnRefund(returnID string) Operation { return Operation("refund-" + returnID) }

// Key is the idempotency key of one operation on one order's payment: the same on every retry of a
// step and on every Lambda instance, different between operations (a provider refuses a key reused
// for a different request).
func Key(orderID string, op Operation) string { return "orion-" + orderID + "-" + string(op) }

// AuthorizeRequest asks to hold an amount on the customer's payment method.
type AuthorizeRequest struct {
	OrderID        string // goes to the provider as metadata, so its events name the order
	IdempotencyKey string // Key(OrderID, OpAuthorize)
	Token          string // the payment method the client obtained from the provider (never card data)
	Amount         money.Money
	// Attempt is how many times this step was retried (Step Functions' $$.State.RetryCount). Real
	// providers ignore it; the sandbox uses it to fail a fixed number of times, the same on every
	// Lambda instance.
	Attempt int
}

// Authorization is the provider's answer to an authorization that was not declined.
type Authorization struct {
	// ID is the provider's id of the payment (a Stripe PaymentIntent id): capture, void and refund
	// name it, and the provider's events carry it.
	ID string
	// Action is set when the customer must act (3-D Secure) before the hold exists: the payment is
	// neither approved nor declined until the provider reports the outcome.
	Action *Action
}

// Action is what the customer must do to complete an authorization. Orion asks the provider for a
// redirect (Stripe: return_url, no client-side SDK); the provider reports the outcome by webhook. The
// URL can carry the payment's client secret (Stripe's hosted 3-D Secure page), so it goes to the
// order's owner only (GET /orders/{orderId}): never into an event, a push or a log.
type Action struct {
	// Type is the provider's next-action type ("redirect_to_url").
	Type string
	// RedirectURL is where to send the customer.
	RedirectURL string
}

// CaptureRequest takes an authorized amount.
type CaptureRequest struct {
	OrderID         string
	IdempotencyKey  string // Key(OrderID, OpCapture)
	AuthorizationID string
	Amount          money.Money
	Attempt         int
}

// VoidRequest releases a hold that was never captured.
type VoidRequest struct {
	OrderID         string
	IdempotencyKey  string // Key(OrderID, OpVoid)
	AuthorizationID string
	Attempt         int
}

// RefundRequest gives captured money back.
type RefundRequest struct {
	OrderID         string
	IdempotencyKey  string // Key(OrderID, OpRefund), or Key(OrderID, ReturnRefund(ReturnID))
	AuthorizationID string
	Amount          money.Money
	// ReturnID names the received return this refund is for; empty for the refund of the order's
	// captured total (compensation). A return's refund is exact: the provider refunds Amount or fails
	// (ErrRefundExceedsRemaining when the payment has less left), never "what is left" as the whole
	// order's may. It is also how a provider finds the return's refund again once the idempotency key
	// is forgotten (Stripe keeps keys 24 hours; a dead letter is redriven days later), so that a late
	// redrive does not refund the return twice.
	ReturnID string
	Attempt  int
}

// Provider is a payment provider.
type Provider interface {
	Authorize(ctx context.Context, r AuthorizeRequest) (Authorization, error)
	Capture(ctx context.Context, r CaptureRequest) (captureID string, err error)
	Void(ctx context.Context, r VoidRequest) error
	Refund(ctx context.Context, r RefundRequest) (refundID string, err error)
}

// Provider names (the PAYMENT_PROVIDER setting, the template's PaymentProvider parameter).
const (
	NameSandbox = "sandbox"
	NameStripe  = "stripe"
)

// ErrSandboxInProduction: a prod stage never runs the sandbox, which approves tok_visa for free.
var ErrSandboxInProduction = errors.New("payment: the sandbox provider is refused on a prod stage")

// CheckStage fails closed when a prod stage names the sandbox (or nothing, which means the sandbox):
// the template's Rules refuse the combination too, and this holds if the template is bypassed.
func CheckStage(name, stage string) error {
	if stage == "prod" && (name == "" || name == NameSandbox) {
		return ErrSandboxInProduction
	}
	switch name {
	case "", NameSandbox, NameStripe:
		return nil
	}
	return fmt.Errorf("payment: unknown provider %q (known: %s, %s)", name, NameSandbox, NameStripe)
}
