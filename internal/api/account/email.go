package account

import (
	"context"
	"net/http"

	"github.com/orion-oss/orion/internal/account"
	"github.com/orion-oss/orion/internal/web"
)

type changeEmailRequest struct {
	Email string `json:"email"`
}

// ChangeEmail is POST /auth/email (signed in): 202, a code is on its way to the new address; the old
// one stays until POST /auth/email/verify.
type ChangeEmail struct {
	Handler account.ChangeEmailHandler
}

// Serve answers one request.
func (e ChangeEmail) Serve(ctx context.Context, req web.Request) (web.Response, error) {
	if _, err := web.CallerOf(req); err != nil {
		return web.Response{}, err
	}
	var in changeEmailRequest
	if err := web.Decode(req, &in); err != nil {
		return web.Response{}, err
	}
	// The username claim of the verified access token (with email as the sign-in attribute, the user's
	// generated username, which its own sign-in address cannot change).
	username := req.RequestContext.Authorizer.JWT.Claims["username"]
	email, err := e.Handler.Handle(ctx, account.ChangeEmail{Username: username, Email: in.Email})
	if err != nil {
		return web.Response{}, err
	}
	return web.JSON(http.StatusAccepted, map[string]string{"pendingEmail": email.String()}, noStore), nil
}

type verifyEmailRequest struct {
	Code string `json:"code"`
}

// VerifyEmail is POST /auth/email/verify (signed in): 204 once the new address replaced the old.
type VerifyEmail struct {
	Handler account.VerifyEmailHandler
}

// Serve answers one request.
func (e VerifyEmail) Serve(ctx context.Context, req web.Request) (web.Response, error) {
	tok, err := accessToken(req)
	if err != nil {
		return web.Response{}, err
	}
	var in verifyEmailRequest
	if err := web.Decode(req, &in); err != nil {
		return web.Response{}, err
	}
	if err := e.Handler.Handle(ctx, account.VerifyEmail{AccessToken: tok, Code: in.Code}); err != nil {
		return web.Response{}, err
	}
	return web.Response{StatusCode: http.StatusNoContent, Headers: noStore}, nil
}
