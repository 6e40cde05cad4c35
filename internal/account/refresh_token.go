package account

import (
	"context"

	"github.com/orion-oss/orion/internal/customer"
)

// RefreshToken trades a refresh token for new access and id tokens. Username is the username the
// sign-in answered (Tokens.Username): the provider's client secret makes a refresh name its user.
type RefreshToken struct {
	Username, RefreshToken string
}

// Refresher refreshes tokens.
type Refresher interface {
	// Refresh trades a refresh token for new tokens and the groups they carry:
	// customer.ErrBadCredentials if it is not valid or not the user's.
	Refresh(ctx context.Context, username, refreshToken string) (SignIn, error)
}

// RefreshTokenHandler refreshes tokens.
type RefreshTokenHandler struct{ pool Refresher }

// NewRefreshTokenHandler builds the handler.
func NewRefreshTokenHandler(pool Refresher) RefreshTokenHandler {
	return RefreshTokenHandler{pool: pool}
}

// Handle returns the new tokens, or customer.ErrBadCredentials.
func (h RefreshTokenHandler) Handle(ctx context.Context, cmd RefreshToken) (Tokens, error) {
	if cmd.RefreshToken == "" || cmd.Username == "" || len(cmd.Username) > 128 {
		return Tokens{}, customer.ErrBadCredentials
	}
	s, err := h.pool.Refresh(ctx, cmd.Username, cmd.RefreshToken)
	return s.Tokens, err
}
