package account

import (
	"context"

	"github.com/orion-oss/orion/internal/account"
	"github.com/orion-oss/orion/internal/web"
)

type refreshRequest struct {
	Username     string `json:"username"` // the sign-in's answer's username
	RefreshToken string `json:"refreshToken"`
}

// RefreshToken is POST /auth/refresh: 200 with new access and id tokens.
type RefreshToken struct {
	Handler account.RefreshTokenHandler
}

// Serve answers one request.
func (e RefreshToken) Serve(ctx context.Context, req web.Request) (web.Response, error) {
	var in refreshRequest
	if err := web.Decode(req, &in); err != nil {
		return web.Response{}, err
	}
	t, err := e.Handler.Handle(ctx, account.RefreshToken{Username: in.Username, RefreshToken: in.RefreshToken, ClientIP: web.ClientIP(req)})
	if err != nil {
		return web.Response{}, err
	}
	return tokens(t), nil
}
