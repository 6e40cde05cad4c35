package account

import (
	"context"

	"github.com/orion-oss/orion/internal/account"
	"github.com/orion-oss/orion/internal/web"
)

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// Login is POST /auth/login: 200 with tokens, or 401 with one message whether or not the user exists.
type Login struct {
	Handler account.LoginHandler
}

// Serve answers one request.
func (e Login) Serve(ctx context.Context, req web.Request) (web.Response, error) {
	var in loginRequest
	if err := web.Decode(req, &in); err != nil {
		return web.Response{}, err
	}
	t, err := e.Handler.Handle(ctx, account.Login{Email: in.Email, Password: in.Password})
	if err != nil {
		return web.Response{}, err
	}
	return tokens(t), nil
}
