package account

import (
	"context"

	"github.com/orion-oss/orion/internal/customer"
)

// RefreshToken trades a refresh token for new access and id tokens.
type RefreshToken struct {
	RefreshToken string
}

// Refresher refreshes tokens.
type Refresher interface {
	// Refresh trades a refresh token for new tokens: customer.ErrBadCredentials if it is not valid.
	Refresh(ctx context.Context, refreshToken string) (Tokens, error)
}

// RefreshTokenHandler refreshes tokens.
type RefreshTokenHandler struct{ pool Refresher }

// NewRefreshTokenHandler builds the handler.
func NewRefreshTokenHandler(pool Refresher) RefreshTokenHandler {
	return RefreshTokenHandler{pool: pool}
}

// Handle returns the new tokens, or customer.ErrBadCredentials.
func (h RefreshTokenHandler) Handle(ctx context.Context, cmd RefreshToken) (Tokens, error) {
	if cmd.RefreshToken == "" {
		return Tokens{}, customer.ErrBadCredentials
	}
	return h.pool.Refresh(ctx, cmd.RefreshToken)
}
