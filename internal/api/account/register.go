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

// Register is POST /auth/register: 201 {userId, email}.
type Register struct {
	Handler account.RegisterHandler
}

// Serve answers one request.
func (e Register) Serve(ctx context.Context, req web.Request) (web.Response, error) {
	var in registerRequest
	if err := web.Decode(req, &in); err != nil {
		return web.Response{}, err
	}
	r, err := e.Handler.Handle(ctx, account.Register{Email: in.Email, Password: in.Password, Name: in.Name})
	if err != nil {
		return web.Response{}, err
	}
	return web.JSON(http.StatusCreated, map[string]string{"userId": r.UserID, "email": r.Email.String()}, nil), nil
}
