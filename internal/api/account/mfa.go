package account

import (
	"context"
	"errors"
	"net/http"

	"github.com/orion-oss/orion/internal/account"
	"github.com/orion-oss/orion/internal/web"
)

var noStore = map[string]string{"Cache-Control": "no-store"}

// problem is an RFC 9457 answer of the account endpoints' own (web.Error maps the shared ones).
func problem(status int, kind, title, detail string) web.Response {
	return web.JSON(status, web.Problem{Type: "https://orion-oss.github.io/problems/" + kind, Title: title, Status: status, Detail: detail},
		map[string]string{"Content-Type": "application/problem+json", "Cache-Control": "no-store"})
}

// mfaEnabled answers account.ErrMFAEnabled.
func mfaEnabled() web.Response {
	return problem(http.StatusConflict, "mfa-enabled", "MFA already set up",
		"This account has an authenticator already; sign in with POST /auth/login and POST /auth/login/mfa.")
}

type loginMFARequest struct {
	Email    string `json:"email"`
	Username string `json:"username"` // the challenge's
	Session  string `json:"session"`
	Code     string `json:"code"`
}

// LoginMFA is POST /auth/login/mfa: the login's TOTP challenge answered, 200 with tokens.
type LoginMFA struct {
	Handler account.LoginMFAHandler
}

// Serve answers one request.
func (e LoginMFA) Serve(ctx context.Context, req web.Request) (web.Response, error) {
	var in loginMFARequest
	if err := web.Decode(req, &in); err != nil {
		return web.Response{}, err
	}
	t, err := e.Handler.Handle(ctx, account.LoginMFA{Email: in.Email, Username: in.Username, Session: in.Session, Code: in.Code, ClientIP: web.ClientIP(req)})
	if err != nil {
		return web.Response{}, err
	}
	return tokens(t), nil
}

type mfaSetupRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// SetUpMFA is POST /auth/mfa/setup: 200 {secret, uri} for the authenticator app.
type SetUpMFA struct {
	Handler account.SetUpMFAHandler
}

// Serve answers one request.
func (e SetUpMFA) Serve(ctx context.Context, req web.Request) (web.Response, error) {
	var in mfaSetupRequest
	if err := web.Decode(req, &in); err != nil {
		return web.Response{}, err
	}
	s, err := e.Handler.Handle(ctx, account.SetUpMFA{Email: in.Email, Password: in.Password, ClientIP: web.ClientIP(req)})
	switch {
	case errors.Is(err, account.ErrMFAEnabled):
		return mfaEnabled(), nil
	case err != nil:
		return web.Response{}, err
	}
	return web.JSON(http.StatusOK, map[string]string{"secret": s.Secret, "uri": s.URI}, noStore), nil
}

type mfaVerifyRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Code     string `json:"code"`
}

// VerifyMFA is POST /auth/mfa/verify: 204 once the authenticator is the account's MFA.
type VerifyMFA struct {
	Handler account.VerifyMFAHandler
}

// Serve answers one request.
func (e VerifyMFA) Serve(ctx context.Context, req web.Request) (web.Response, error) {
	var in mfaVerifyRequest
	if err := web.Decode(req, &in); err != nil {
		return web.Response{}, err
	}
	err := e.Handler.Handle(ctx, account.VerifyMFA{Email: in.Email, Password: in.Password, Code: in.Code, ClientIP: web.ClientIP(req)})
	switch {
	case errors.Is(err, account.ErrMFAEnabled):
		return mfaEnabled(), nil
	case err != nil:
		return web.Response{}, err
	}
	return web.Response{StatusCode: http.StatusNoContent, Headers: noStore}, nil
}
