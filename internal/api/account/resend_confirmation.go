package account

import (
	"context"

	"github.com/orion-oss/orion/internal/account"
	"github.com/orion-oss/orion/internal/web"
)

type emailRequest struct {
	Email string `json:"email"`
}

// ResendConfirmation is POST /auth/confirm/resend: 202 "check your mail" for every address.
type ResendConfirmation struct {
	Handler account.ResendConfirmationHandler
}

// Serve answers one request.
func (e ResendConfirmation) Serve(ctx context.Context, req web.Request) (web.Response, error) {
	var in emailRequest
	if err := web.Decode(req, &in); err != nil {
		return web.Response{}, err
	}
	if err := e.Handler.Handle(ctx, account.ResendConfirmation{Email: in.Email, ClientIP: web.ClientIP(req)}); err != nil {
		return web.Response{}, err
	}
	return checkYourMail(), nil
}
