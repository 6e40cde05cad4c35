package account

import (
	"context"

	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/validation"
)

// ChangePassword changes the signed-in customer's password. AccessToken is the caller's, as the HTTP
// API's JWT authorizer verified it.
type ChangePassword struct {
	AccessToken, CurrentPassword, NewPassword string
}

// PasswordChanger changes passwords.
type PasswordChanger interface {
	// ChangePassword: customer.ErrBadCredentials when current is wrong or the token is revoked.
	ChangePassword(ctx context.Context, accessToken, current, proposed string) error
	// SignOutEverywhere ends every session of the user of accessToken: no refresh token of theirs
	// refreshes any more.
	SignOutEverywhere(ctx context.Context, accessToken string) error
}

// ChangePasswordHandler changes passwords.
type ChangePasswordHandler struct{ pool PasswordChanger }

// NewChangePasswordHandler builds the handler.
func NewChangePasswordHandler(pool PasswordChanger) ChangePasswordHandler {
	return ChangePasswordHandler{pool: pool}
}

// Handle checks the new password against the policy first (a field-level answer), then lets the
// provider check the current one, then signs the user out everywhere: Cognito keeps the refresh
// tokens issued before a password change valid (they last 30 days), so a thief who signed in with the
// old password would otherwise keep their session. The caller signs in again with the new password.
// Should the sign-out fail after the change, the error is answered (5xx, retried by the client) and a
// retry with the new password as current signs out then.
func (h ChangePasswordHandler) Handle(ctx context.Context, cmd ChangePassword) error {
	var c validation.Collector
	if cmd.CurrentPassword == "" {
		c.Add("currentPassword", "is required")
	}
	if err := customer.ValidatePassword(cmd.NewPassword); err != nil {
		c.Add("newPassword", "does not meet the password policy: 12 or more characters with a lower-case and an upper-case letter, a digit and a symbol")
	}
	if err := c.Err(); err != nil {
		return err
	}
	if cmd.AccessToken == "" {
		return customer.ErrBadCredentials
	}
	if err := h.pool.ChangePassword(ctx, cmd.AccessToken, cmd.CurrentPassword, cmd.NewPassword); err != nil {
		return err
	}
	return h.pool.SignOutEverywhere(ctx, cmd.AccessToken)
}
