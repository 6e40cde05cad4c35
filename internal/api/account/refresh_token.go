package account

import (
	"context"

	"github.com/orion-oss/orion/internal/account"
	"github.com/orion-oss/orion/internal/web"
)

type refreshRequest struct {
	RefreshToken string `json:"refreshToken"`
}

// RefreshToken is POST /auth/refresh: 200 with new access and id tokens.
func RefreshToken(h account.RefreshTokenHandler) web.HandlerFunc {
	return func(ctx context.Context, req web.Request) (web.Response, error) {
		var in refreshRequest
		if err := web.Decode(req, &in); err != nil {
			return web.Response{}, err
		}
		t, err := h.Handle(ctx, account.RefreshToken{RefreshToken: in.RefreshToken})
		if err != nil {
			return web.Response{}, err
		}
		return tokens(t), nil
	}
}
