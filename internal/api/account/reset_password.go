package account

import (
	"context"
	"net/http"

	"github.com/orion-oss/orion/internal/account"
	"github.com/orion-oss/orion/internal/web"
)

type resetRequest struct {
	Email    string `json:"email"`
	Code     string `json:"code"`
	Password string `json:"password"`
}

// ResetPassword is POST /auth/password/reset: 204 once the new password is set; 400 bad-code for a
// wrong or expired code and for an address without an account alike.
type ResetPassword struct {
	Handler account.ResetPasswordHandler
}

// Serve answers one request.
func (e ResetPassword) Serve(ctx context.Context, req web.Request) (web.Response, error) {
	var in resetRequest
	if err := web.Decode(req, &in); err != nil {
		return web.Response{}, err
	}
	if err := e.Handler.Handle(ctx, account.ResetPassword{Email: in.Email, Code: in.Code, Password: in.Password, ClientIP: web.ClientIP(req)}); err != nil {
		return web.Response{}, err
	}
	return web.Response{StatusCode: http.StatusNoContent, Headers: map[string]string{"Cache-Control": "no-store"}}, nil
}
