package account

import (
	"context"

	"github.com/orion-oss/orion/internal/customer"
)

// ForgotPassword asks for a password-reset code.
type ForgotPassword struct {
	Email    string
	ClientIP string // the caller's IP, for the provider's risk checks only (client_ip.go)
}

// PasswordForgetter sends password-reset codes.
type PasswordForgetter interface {
	// ForgotPassword mails a reset code to the address's user if it has one that can take it; nil
	// whatever holds the address.
	ForgotPassword(ctx context.Context, email customer.Email) error
}

// ForgotPasswordHandler sends password-reset codes.
type ForgotPasswordHandler struct {
	pool PasswordForgetter
	pace Pace
}

// NewForgotPasswordHandler builds the handler.
func NewForgotPasswordHandler(pool PasswordForgetter) ForgotPasswordHandler {
	return ForgotPasswordHandler{pool: pool, pace: NewPace(CodeFloor)}
}

// WithPace sets the pace of the answers (tests).
func (h ForgotPasswordHandler) WithPace(p Pace) ForgotPasswordHandler { h.pace = p; return h }

// Handle mails a reset code if the address has an account: nil whatever holds the address, no sooner
// than the floor.
func (h ForgotPasswordHandler) Handle(ctx context.Context, cmd ForgotPassword) error {
	ctx = WithClientIP(ctx, cmd.ClientIP)
	email, err := customer.ParseEmail(cmd.Email)
	if err != nil {
		return err
	}
	defer h.pace.Start(ctx)()
	return h.pool.ForgotPassword(ctx, email)
}
