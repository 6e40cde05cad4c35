package payment

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// Sandbox is a deterministic provider for local runs and tests: tok_visa approves; tok_declined
// declines (card_declined); tok_flaky is unavailable on the first two attempts, then approves;
// tok_unavailable is always unavailable; any other token is declined (invalid_token). Ids derive from
// the idempotency key, so repeating a call returns the same authorization, capture or refund.
type Sandbox struct{}

func id(prefix, key string) string {
	sum := sha256.Sum256([]byte(key))
	return prefix + hex.EncodeToString(sum[:12])
}

// Authorize implements Provider.
func (Sandbox) Authorize(ctx context.Context, r AuthorizeRequest) (Authorization, error) {
	if r.IdempotencyKey == "" || r.Amount.IsZero() || r.Amount.Amount() < 0 {
		return Authorization{}, fmt.Errorf("%w: an idempotency key and a non-negative amount are required", ErrMisconfigured)
	}
	if err := ctx.Err(); err != nil {
		return Authorization{}, err
	}
	switch r.Token {
	case "tok_visa":
	case "tok_flaky":
		if r.Attempt < 2 {
			return Authorization{}, fmt.Errorf("%w: attempt %d of the flaky sandbox card", ErrUnavailable, r.Attempt) // never the token itself: errors are logged
		}
	case "tok_unavailable":
		return Authorization{}, ErrUnavailable
	case "tok_declined":
		return Authorization{}, &DeclinedError{Code: "card_declined"}
	default:
		return Authorization{}, &DeclinedError{Code: "invalid_token"}
	}
	return Authorization{ID: id("pi_", r.IdempotencyKey)}, nil
}

// Capture implements Provider.
func (Sandbox) Capture(ctx context.Context, r CaptureRequest) (string, error) {
	if r.IdempotencyKey == "" || r.AuthorizationID == "" {
		return "", fmt.Errorf("%w: key and authorization are required", ErrMisconfigured)
	}
	return id("ch_", r.IdempotencyKey), ctx.Err()
}

// Void implements Provider.
func (Sandbox) Void(ctx context.Context, r VoidRequest) error {
	if r.IdempotencyKey == "" || r.AuthorizationID == "" {
		return fmt.Errorf("%w: key and authorization are required", ErrMisconfigured)
	}
	return ctx.Err()
}

// Refund implements Provider; refunding is always possible in the sandbox.
func (Sandbox) Refund(ctx context.Context, r RefundRequest) (string, error) {
	if r.IdempotencyKey == "" || r.AuthorizationID == "" {
		return "", fmt.Errorf("%w: key and authorization are required", ErrMisconfigured)
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return id("re_", r.IdempotencyKey+"#"+r.AuthorizationID), nil
}
