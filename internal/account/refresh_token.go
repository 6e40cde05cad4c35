package account

import (
	"context"
	"errors"
	"slices"

	"github.com/orion-oss/orion/internal/customer"
)

// RefreshToken trades a refresh token for new access and id tokens. Username is the username the
// sign-in answered (Tokens.Username): the provider's client secret makes a refresh name its user.
type RefreshToken struct {
	Username, RefreshToken string
	ClientIP               string // the caller's IP, for the provider's risk checks only (client_ip.go)
}

// Refresher refreshes tokens.
type Refresher interface {
	// Refresh trades a refresh token for new tokens and the groups they carry:
	// customer.ErrBadCredentials if it is not valid or not the user's.
	Refresh(ctx context.Context, username, refreshToken string) (SignIn, error)
	// HasTOTP tells whether the user of accessToken has TOTP as their MFA.
	HasTOTP(ctx context.Context, accessToken string) (bool, error)
}

// RefreshTokenHandler refreshes tokens.
type RefreshTokenHandler struct{ pool Refresher }

// NewRefreshTokenHandler builds the handler.
func NewRefreshTokenHandler(pool Refresher) RefreshTokenHandler {
	return RefreshTokenHandler{pool: pool}
}

// Handle returns the new tokens, or customer.ErrBadCredentials. An admin whose tokens come back but
// who no longer has TOTP (switched off with SetUserMFAPreference after signing in) gets none: the
// login would refuse them (requireAdminMFA), and a refresh token lasts 30 days, so without this check
// switching TOTP off would keep admin tokens coming for a month (docs/adr/0017). The refreshed tokens
// are not handed out; the refresh token is left alone, so that an admin who enrols again can go on.
func (h RefreshTokenHandler) Handle(ctx context.Context, cmd RefreshToken) (Tokens, error) {
	ctx = WithClientIP(ctx, cmd.ClientIP)
	if cmd.RefreshToken == "" || cmd.Username == "" || len(cmd.Username) > 128 {
		return Tokens{}, customer.ErrBadCredentials
	}
	s, err := h.pool.Refresh(ctx, cmd.Username, cmd.RefreshToken)
	if err != nil {
		return Tokens{}, err
	}
	if !slices.Contains(s.Groups, AdminGroup) {
		return s.Tokens, nil
	}
	ok, err := h.pool.HasTOTP(ctx, s.Tokens.AccessToken)
	switch {
	case err != nil && !errors.Is(err, customer.ErrBadCredentials):
		return Tokens{}, err
	case err != nil || !ok:
		return Tokens{}, customer.ErrBadCredentials
	}
	return s.Tokens, nil
}
