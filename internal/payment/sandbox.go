package payment

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// Sandbox is a deterministic provider for local runs and tests: tok_visa approves; tok_declined
// declines (card_declined); tok_flaky is unavailable on the first two attempts, then approves;
// tok_unavailable is always unavailable; tok_capture_declined approves and declines the capture
// (capture_declined); tok_capture_unavailable approves and is unavailable at every capture; tok_3ds
// asks for a redirect (3-D Secure), whose outcome only a provider event reports; tok_misconfigured
// answers as a provider refusing Orion's credentials would (ErrMisconfigured, what pages someone); any
// other token is declined (invalid_token). Ids derive from the idempotency key, so repeating a call returns the same
// authorization, capture or refund.
//
// The sandbox keeps no state (it runs in many Lambda instances), and a capture names the
// authorization, not the token: what a later call must know about the token travels in the
// authorization id's suffix (pi_<hash>_capdecl).
type Sandbox struct{}

// SandboxActionBase is where the sandbox sends a customer for 3-D Secure: a reserved domain
// (RFC 2606), so that nothing answers there.
const SandboxActionBase = "https://sandbox.orion.invalid/3ds/"

// The suffixes of sandbox authorization ids that carry the token's later behaviour.
const (
	suffixCaptureDeclined    = "_capdecl"
	suffixCaptureUnavailable = "_capunav"
	suffix3DS                = "_3ds"
)

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
	auth := Authorization{ID: id("pi_", r.IdempotencyKey)}
	switch r.Token {
	case "tok_visa":
	case "tok_capture_declined":
		auth.ID += suffixCaptureDeclined
	case "tok_capture_unavailable":
		auth.ID += suffixCaptureUnavailable
	case "tok_3ds":
		auth.ID += suffix3DS
		auth.Action = &Action{Type: "redirect_to_url", RedirectURL: SandboxActionBase + auth.ID}
	case "tok_flaky":
		if r.Attempt < 2 {
			return Authorization{}, fmt.Errorf("%w: attempt %d of the flaky sandbox card", ErrUnavailable, r.Attempt) // never the token itself: errors are logged
		}
	case "tok_unavailable":
		return Authorization{}, ErrUnavailable
	case "tok_misconfigured":
		return Authorization{}, fmt.Errorf("%w: the sandbox's misconfigured card refuses the request as a wrong API key would", ErrMisconfigured)
	case "tok_declined":
		return Authorization{}, &DeclinedError{Code: "card_declined"}
	default:
		return Authorization{}, &DeclinedError{Code: "invalid_token"}
	}
	return auth, nil
}

// Capture implements Provider.
func (Sandbox) Capture(ctx context.Context, r CaptureRequest) (string, error) {
	if r.IdempotencyKey == "" || r.AuthorizationID == "" || r.Amount.IsZero() || r.Amount.Amount() < 0 {
		return "", fmt.Errorf("%w: key, authorization and a non-negative amount are required", ErrMisconfigured)
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	switch {
	case strings.HasSuffix(r.AuthorizationID, suffixCaptureDeclined):
		return "", &DeclinedError{Code: "capture_declined"}
	case strings.HasSuffix(r.AuthorizationID, suffixCaptureUnavailable):
		return "", fmt.Errorf("%w: the sandbox's capture-unavailable card, attempt %d", ErrUnavailable, r.Attempt)
	}
	return id("ch_", r.IdempotencyKey), nil
}

// Void implements Provider.
func (Sandbox) Void(ctx context.Context, r VoidRequest) error {
	if r.IdempotencyKey == "" || r.AuthorizationID == "" {
		return fmt.Errorf("%w: key and authorization are required", ErrMisconfigured)
	}
	return ctx.Err()
}

// Refund implements Provider; refunding is always possible in the sandbox. A return's refund
// (ReturnID) is answered like the order's: its id derives from its key (orion-<order>-refund-<return>),
// so the same return gets the same refund however late it is asked again, without the sandbox keeping
// state; it has no balance to exceed, so it never answers ErrRefundExceedsRemaining.
func (Sandbox) Refund(ctx context.Context, r RefundRequest) (string, error) {
	if r.IdempotencyKey == "" || r.AuthorizationID == "" {
		return "", fmt.Errorf("%w: key and authorization are required", ErrMisconfigured)
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return id("re_", r.IdempotencyKey+"#"+r.AuthorizationID), nil
}
