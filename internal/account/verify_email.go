package account

import (
	"context"

	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/validation"
)

// VerifyEmail confirms a pending address change with the code mailed to the new address.
type VerifyEmail struct {
	AccessToken, Code string
}

// EmailVerifier confirms address changes.
type EmailVerifier interface {
	// VerifyEmail: customer.ErrBadCode for a wrong or expired code.
	VerifyEmail(ctx context.Context, accessToken, code string) error
}

// VerifyEmailHandler confirms address changes.
type VerifyEmailHandler struct{ pool EmailVerifier }

// NewVerifyEmailHandler builds the handler.
func NewVerifyEmailHandler(pool EmailVerifier) VerifyEmailHandler {
	return VerifyEmailHandler{pool: pool}
}

// Handle confirms the change: from then on the new address signs in and receives order mail.
func (h VerifyEmailHandler) Handle(ctx context.Context, cmd VerifyEmail) error {
	if cmd.Code == "" || len(cmd.Code) > 16 {
		return validation.New("code", "is required")
	}
	if cmd.AccessToken == "" {
		return customer.ErrBadCredentials
	}
	return h.pool.VerifyEmail(ctx, cmd.AccessToken, cmd.Code)
}
