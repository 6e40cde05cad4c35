package account

import (
	"context"
	"errors"
	"net/http"

	"github.com/orion-oss/orion/internal/account"
	"github.com/orion-oss/orion/internal/web"
)

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// Login is POST /auth/login: 200 with tokens, 200 with an MFA challenge (then POST /auth/login/mfa),
// 403 mfa-setup-required for an admin without TOTP, or 401 with one message whether or not the user
// exists.
type Login struct {
	Handler account.LoginHandler
}

// ChallengeView is the login's answer when a TOTP code is needed (docs/openapi.yaml MfaChallenge).
type ChallengeView struct {
	Challenge string `json:"challenge"`
	Session   string `json:"session"`
	// Username is sent back with the code (POST /auth/login/mfa).
	Username string `json:"username,omitempty"`
}

// Serve answers one request.
func (e Login) Serve(ctx context.Context, req web.Request) (web.Response, error) {
	var in loginRequest
	if err := web.Decode(req, &in); err != nil {
		return web.Response{}, err
	}
	s, err := e.Handler.Handle(ctx, account.Login{Email: in.Email, Password: in.Password, ClientIP: web.ClientIP(req)})
	switch {
	case errors.Is(err, account.ErrMFASetupRequired):
		return problem(http.StatusForbidden, "mfa-setup-required", "MFA setup required",
			"Administrators sign in with a TOTP authenticator: set one up with POST /auth/mfa/setup and POST /auth/mfa/verify."), nil
	case err != nil:
		return web.Response{}, err
	case s.MFA != nil:
		return web.JSON(http.StatusOK, ChallengeView{Challenge: "SOFTWARE_TOKEN_MFA", Session: s.MFA.Session, Username: s.MFA.Username}, noStore), nil
	}
	return tokens(s.Tokens), nil
}
