// Package payment is the port to a payment provider and the sandbox provider Orion ships for local
// runs and dev stages. Every call is keyed by the order id, so a retried saga step never charges or
// refunds twice: a real provider receives it as its idempotency key.
package payment

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/orion-oss/orion/internal/money"
)

// Errors a provider returns. ErrUnavailable is worth retrying; a *DeclinedError is final.
var (
	ErrUnavailable = errors.New("payment: provider unavailable")
	ErrDeclined    = errors.New("payment: declined")
)

// DeclinedError carries the provider's decline code; errors.Is(err, ErrDeclined) holds.
type DeclinedError struct{ Code string }

func (e *DeclinedError) Error() string { return "payment: declined: " + e.Code }
func (e *DeclinedError) Unwrap() error { return ErrDeclined }

// AuthorizeRequest asks to hold an amount on the customer's payment method.
type AuthorizeRequest struct {
	Key    string // the order id: the provider's idempotency key
	Token  string // the payment method token the client obtained from the provider
	Amount money.Money
	// Attempt is how many times this step was retried (Step Functions' $$.State.RetryCount). Real
	// providers ignore it; the sandbox uses it to fail a fixed number of times, the same on every
	// Lambda instance.
	Attempt int
}

// Provider authorizes and refunds.
type Provider interface {
	Authorize(ctx context.Context, r AuthorizeRequest) (authorizationID string, err error)
	Refund(ctx context.Context, key, authorizationID string, amount money.Money) (refundID string, err error)
}

// Sandbox is a deterministic provider: tok_visa approves; tok_declined declines (card_declined);
// tok_flaky is unavailable on the first two attempts, then approves; tok_unavailable is always
// unavailable; any other token is declined (invalid_token). Ids derive from the key, so repeating a
// call returns the same authorization or refund.
type Sandbox struct{}

func id(prefix, key string) string {
	sum := sha256.Sum256([]byte(key))
	return prefix + hex.EncodeToString(sum[:12])
}

// Authorize implements Provider.
func (Sandbox) Authorize(ctx context.Context, r AuthorizeRequest) (string, error) {
	if r.Key == "" || r.Amount.IsZero() || r.Amount.Amount() < 0 {
		return "", fmt.Errorf("payment: key and a non-negative amount are required")
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	switch r.Token {
	case "tok_visa":
	case "tok_flaky":
		if r.Attempt < 2 {
			return "", fmt.Errorf("%w: attempt %d of the flaky sandbox card", ErrUnavailable, r.Attempt) // never the token itself: errors are logged
		}
	case "tok_unavailable":
		return "", ErrUnavailable
	case "tok_declined":
		return "", &DeclinedError{Code: "card_declined"}
	default:
		return "", &DeclinedError{Code: "invalid_token"}
	}
	return id("auth_", r.Key), nil
}

// Refund implements Provider; refunding is always possible in the sandbox.
func (Sandbox) Refund(ctx context.Context, key, authorizationID string, amount money.Money) (string, error) {
	if key == "" || authorizationID == "" {
		return "", fmt.Errorf("payment: key and authorization are required")
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return id("re_", key+"#"+authorizationID), nil
}

// New returns the provider a deployment names (the PAYMENT_PROVIDER setting). Only the sandbox ships;
// a real provider is added here behind the same port, keyed by the order id as its idempotency key.
func New(name string) (Provider, error) {
	switch name {
	case "", "sandbox":
		return Sandbox{}, nil
	}
	return nil, fmt.Errorf("payment: unknown provider %q (known: sandbox)", name)
}
