package account

import (
	"context"
	"net/http"
	"strings"

	"github.com/orion-oss/orion/internal/account"
	"github.com/orion-oss/orion/internal/web"
)

// accessToken is the caller's access token, which the HTTP API's JWT authorizer verified (web.CallerOf
// checks that it was one): Cognito's own calls for the signed-in user take the token itself.
func accessToken(req web.Request) (string, error) {
	if _, err := web.CallerOf(req); err != nil {
		return "", err
	}
	h := req.Headers["authorization"]
	if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") || strings.TrimSpace(h[7:]) == "" {
		return "", web.ErrUnauthorized
	}
	return strings.TrimSpace(h[7:]), nil
}

type changePasswordRequest struct {
	CurrentPassword string `json:"currentPassword"`
	NewPassword     string `json:"newPassword"`
}

// ChangePassword is POST /auth/password/change (signed in): 204 once changed.
type ChangePassword struct {
	Handler account.ChangePasswordHandler
}

// Serve answers one request.
func (e ChangePassword) Serve(ctx context.Context, req web.Request) (web.Response, error) {
	tok, err := accessToken(req)
	if err != nil {
		return web.Response{}, err
	}
	var in changePasswordRequest
	if err := web.Decode(req, &in); err != nil {
		return web.Response{}, err
	}
	if err := e.Handler.Handle(ctx, account.ChangePassword{AccessToken: tok, CurrentPassword: in.CurrentPassword, NewPassword: in.NewPassword}); err != nil {
		return web.Response{}, err
	}
	return web.Response{StatusCode: http.StatusNoContent, Headers: noStore}, nil
}

type logoutRequest struct {
	RefreshToken string `json:"refreshToken"`
}

// Logout is POST /auth/logout: 204 once the refresh token is revoked (or was not valid).
type Logout struct {
	Handler account.LogoutHandler
}

// Serve answers one request.
func (e Logout) Serve(ctx context.Context, req web.Request) (web.Response, error) {
	var in logoutRequest
	if err := web.Decode(req, &in); err != nil {
		return web.Response{}, err
	}
	if err := e.Handler.Handle(ctx, account.Logout{RefreshToken: in.RefreshToken}); err != nil {
		return web.Response{}, err
	}
	return web.Response{StatusCode: http.StatusNoContent, Headers: noStore}, nil
}
