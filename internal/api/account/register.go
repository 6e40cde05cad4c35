package account

import (
	"context"
	"net/http"

	"github.com/orion-oss/orion/internal/account"
	"github.com/orion-oss/orion/internal/web"
)

type registerRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Name     string `json:"name"`
}

// CheckYourMail is the one answer of register, resend and forgot-password (docs/openapi.yaml
// CheckYourMail): the same for every address, whether it has an account, one waiting for its code or
// none, so that no answer tells which.
const CheckYourMail = "Check your mail: if the address can receive it, a message with what to do next is on its way."

// checkYourMail answers 202 with CheckYourMail.
func checkYourMail() web.Response {
	return web.JSON(http.StatusAccepted, map[string]string{"message": CheckYourMail}, map[string]string{"Cache-Control": "no-store"})
}

// Register is POST /auth/register: 202 "check your mail" for every well-formed request.
type Register struct {
	Handler account.RegisterHandler
}

// Serve answers one request.
func (e Register) Serve(ctx context.Context, req web.Request) (web.Response, error) {
	var in registerRequest
	if err := web.Decode(req, &in); err != nil {
		return web.Response{}, err
	}
	if err := e.Handler.Handle(ctx, account.Register{Email: in.Email, Password: in.Password, Name: in.Name, ClientIP: web.ClientIP(req)}); err != nil {
		return web.Response{}, err
	}
	return checkYourMail(), nil
}
