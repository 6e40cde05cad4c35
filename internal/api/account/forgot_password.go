package account

import (
	"context"

	"github.com/orion-oss/orion/internal/account"
	"github.com/orion-oss/orion/internal/web"
)

// ForgotPassword is POST /auth/password/forgot: 202 "check your mail" for every address.
type ForgotPassword struct {
	Handler account.ForgotPasswordHandler
}

// Serve answers one request.
func (e ForgotPassword) Serve(ctx context.Context, req web.Request) (web.Response, error) {
	var in emailRequest
	if err := web.Decode(req, &in); err != nil {
		return web.Response{}, err
	}
	if err := e.Handler.Handle(ctx, account.ForgotPassword{Email: in.Email, ClientIP: web.ClientIP(req)}); err != nil {
		return web.Response{}, err
	}
	return checkYourMail(), nil
}
