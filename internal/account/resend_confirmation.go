package account

import (
	"context"

	"github.com/orion-oss/orion/internal/customer"
)

// ResendConfirmation mails a new confirmation code for a registration.
type ResendConfirmation struct {
	Email    string
	ClientIP string // the caller's IP, for the provider's risk checks only (client_ip.go)
}

// CodeResender resends confirmation codes.
type CodeResender interface {
	// ResendCode mails an unconfirmed user a new code; nil whatever holds the address (nobody, a
	// confirmed user, one refused further codes for now).
	ResendCode(ctx context.Context, email customer.Email) error
}

// ResendConfirmationHandler resends confirmation codes.
type ResendConfirmationHandler struct {
	pool        CodeResender
	autoConfirm bool
	pace        Pace
}

// NewResendConfirmationHandler builds the handler; with autoConfirm (AutoConfirmUsers) no code is
// ever outstanding, since users are confirmed at registration and Cognito mails none, so there is
// nothing to resend.
func NewResendConfirmationHandler(pool CodeResender, autoConfirm bool) ResendConfirmationHandler {
	return ResendConfirmationHandler{pool: pool, autoConfirm: autoConfirm, pace: NewPace(CodeFloor)}
}

// WithPace sets the pace of the answers (tests).
func (h ResendConfirmationHandler) WithPace(p Pace) ResendConfirmationHandler { h.pace = p; return h }

// Handle sends a new code if the address has a registration waiting for one. nil whatever holds the
// address, no sooner than the floor; an error only for an address that does not parse or a provider
// that refuses every caller for now.
func (h ResendConfirmationHandler) Handle(ctx context.Context, cmd ResendConfirmation) error {
	ctx = WithClientIP(ctx, cmd.ClientIP)
	email, err := customer.ParseEmail(cmd.Email)
	if err != nil {
		return err
	}
	defer h.pace.Start(ctx)()
	if h.autoConfirm {
		return nil
	}
	return h.pool.ResendCode(ctx, email)
}
