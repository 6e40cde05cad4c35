package account

import (
	"context"
	"errors"

	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/validation"
)

// Logout revokes a refresh token.
type Logout struct {
	RefreshToken string
}

// Revoker revokes refresh tokens.
type Revoker interface {
	// Revoke: customer.ErrBadCredentials for a token that is not (or no longer) valid.
	Revoke(ctx context.Context, refreshToken string) error
}

// LogoutHandler logs out.
type LogoutHandler struct{ pool Revoker }

// NewLogoutHandler builds the handler.
func NewLogoutHandler(pool Revoker) LogoutHandler { return LogoutHandler{pool: pool} }

// Handle revokes the token. A token the provider does not (or no longer) accept is logged out
// already: the same answer, so that a retried logout succeeds and the endpoint tells nothing about
// tokens it is shown.
func (h LogoutHandler) Handle(ctx context.Context, cmd Logout) error {
	if cmd.RefreshToken == "" || len(cmd.RefreshToken) > 8192 {
		return validation.New("refreshToken", "is required")
	}
	if err := h.pool.Revoke(ctx, cmd.RefreshToken); err != nil && !errors.Is(err, customer.ErrBadCredentials) {
		return err
	}
	return nil
}
