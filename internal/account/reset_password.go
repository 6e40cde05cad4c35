package account

import (
	"context"
	"strings"
	"unicode"

	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/validation"
)

// ResetPassword sets a new password with the mailed reset code.
type ResetPassword struct {
	Email, Code, Password string
	ClientIP              string // the caller's IP, for the provider's risk checks only (client_ip.go)
}

// PasswordResetter resets passwords.
type PasswordResetter interface {
	// ResetPassword sets a password with a reset code: customer.ErrBadCode for a wrong or expired code
	// and an unknown user alike.
	ResetPassword(ctx context.Context, email customer.Email, code, password string) error
}

// ResetPasswordHandler resets passwords.
type ResetPasswordHandler struct {
	pool PasswordResetter
	pace Pace
}

// NewResetPasswordHandler builds the handler.
func NewResetPasswordHandler(pool PasswordResetter) ResetPasswordHandler {
	return ResetPasswordHandler{pool: pool, pace: NewPace(CodeFloor)}
}

// WithPace sets the pace of the answers (tests).
func (h ResetPasswordHandler) WithPace(p Pace) ResetPasswordHandler { h.pace = p; return h }

// Handle checks the address, the code and the new password against the policy, then resets:
// customer.ErrBadCode, one answer for a wrong code and an address without an account, no sooner than
// the floor.
func (h ResetPasswordHandler) Handle(ctx context.Context, cmd ResetPassword) error {
	ctx = WithClientIP(ctx, cmd.ClientIP)
	var c validation.Collector
	email, err := customer.ParseEmail(cmd.Email)
	c.Merge("", err)
	// Cognito's codes are six digits; the API takes up to 2048 characters without spaces. 64 bounds
	// what is sent on while taking the emulator's longer codes (moto-confirmation-code:NNNNNN).
	if cmd.Code == "" || len(cmd.Code) > 64 || strings.ContainsFunc(cmd.Code, unicode.IsSpace) {
		c.Add("code", "is required (at most 64 characters, no spaces)")
	}
	c.Merge("", customer.ValidatePassword(cmd.Password))
	if err := c.Err(); err != nil {
		return err
	}
	defer h.pace.Start(ctx)()
	return h.pool.ResetPassword(ctx, email, cmd.Code, cmd.Password)
}
