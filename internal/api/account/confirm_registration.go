package account

import (
	"context"
	"net/http"

	"github.com/orion-oss/orion/internal/account"
	"github.com/orion-oss/orion/internal/web"
)

type confirmRequest struct {
	Email string `json:"email"`
	Code  string `json:"code"`
}

// ConfirmRegistration is POST /auth/confirm: 204 once the account is confirmed.
type ConfirmRegistration struct {
	Handler account.ConfirmRegistrationHandler
}

// Serve answers one request.
func (e ConfirmRegistration) Serve(ctx context.Context, req web.Request) (web.Response, error) {
	var in confirmRequest
	if err := web.Decode(req, &in); err != nil {
		return web.Response{}, err
	}
	if err := e.Handler.Handle(ctx, account.ConfirmRegistration{Email: in.Email, Code: in.Code, ClientIP: web.ClientIP(req)}); err != nil {
		return web.Response{}, err
	}
	return web.Response{StatusCode: http.StatusNoContent}, nil
}
