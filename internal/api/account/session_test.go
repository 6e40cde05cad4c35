package account_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orion-oss/orion/internal/account"
	accountapi "github.com/orion-oss/orion/internal/api/account"
	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/web"
)

// session is a small fake of the signed-in account's ports: "pw" is the only password, "123456" the
// only code, "a" the only access token. admin@ is an admin without TOTP, mfa@ a user with it.
type session struct{}

func (session) SignIn(_ context.Context, email, password string) (account.SignIn, error) {
	switch {
	case password != "pw":
		return account.SignIn{}, customer.ErrBadCredentials
	case email == "mfa@example.com":
		return account.SignIn{MFA: &account.MFAChallenge{Session: "sess"}}, nil
	case email == "admin@example.com":
		return account.SignIn{Tokens: account.Tokens{AccessToken: "a", RefreshToken: "r"}, Groups: []string{"admin"}}, nil
	}
	return account.SignIn{Tokens: account.Tokens{AccessToken: "a", IDToken: "i", RefreshToken: "r", ExpiresIn: 3600, TokenType: "Bearer"}}, nil
}
func (session) Revoke(context.Context, string) error { return nil }
func (session) RespondMFA(_ context.Context, _, sess, code string) (account.SignIn, error) {
	if sess != "sess" {
		return account.SignIn{}, customer.ErrBadCredentials
	}
	if code != "123456" {
		return account.SignIn{}, customer.ErrBadCode
	}
	return account.SignIn{Tokens: account.Tokens{AccessToken: "a", IDToken: "i", RefreshToken: "r", ExpiresIn: 3600, TokenType: "Bearer"}}, nil
}
func (session) AssociateTOTP(context.Context, string) (string, error) { return "SECRET", nil }
func (session) VerifyTOTP(_ context.Context, _, code string) error {
	if code != "123456" {
		return customer.ErrBadCode
	}
	return nil
}
func (session) ChangePassword(_ context.Context, token, current, _ string) error {
	if token != "a" || current != "pw" {
		return customer.ErrBadCredentials
	}
	return nil
}
func (session) SignOutEverywhere(context.Context, string) error { return nil }
func (session) ChangeEmail(_ context.Context, username string, email customer.Email, _ bool) error {
	if email.String() == "taken@example.com" {
		return customer.ErrEmailTaken
	}
	if username != "u-1" {
		return customer.ErrBadCredentials
	}
	return nil
}
func (session) VerifyEmail(_ context.Context, token, code string) error {
	if token != "a" || code != "123456" {
		return customer.ErrBadCode
	}
	return nil
}

// signedIn is a request as API Gateway passes it after its JWT authorizer accepted token.
func signedIn(token, body string) events.APIGatewayV2HTTPRequest {
	return events.APIGatewayV2HTTPRequest{Body: body, Headers: map[string]string{"authorization": "Bearer " + token},
		RequestContext: events.APIGatewayV2HTTPRequestContext{Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: map[string]string{
				"sub": "00000000-0000-4000-8000-000000000001", "token_use": "access", "username": "u-1"}}}}}
}

func TestSignedInAccountEndpoints(t *testing.T) {
	p := session{}
	login := accountapi.Login{Handler: account.NewLoginHandler(p)}.Serve
	loginMFA := accountapi.LoginMFA{Handler: account.NewLoginMFAHandler(p)}.Serve
	setup := accountapi.SetUpMFA{Handler: account.NewSetUpMFAHandler(p)}.Serve
	verify := accountapi.VerifyMFA{Handler: account.NewVerifyMFAHandler(p)}.Serve
	change := accountapi.ChangePassword{Handler: account.NewChangePasswordHandler(p)}.Serve
	logout := accountapi.Logout{Handler: account.NewLogoutHandler(p)}.Serve
	email := accountapi.ChangeEmail{Handler: account.NewChangeEmailHandler(p, false).WithPace(account.Pace{})}.Serve
	verifyEmail := accountapi.VerifyEmail{Handler: account.NewVerifyEmailHandler(p)}.Serve
	anonymous := func(body string) events.APIGatewayV2HTTPRequest { return events.APIGatewayV2HTTPRequest{Body: body} }
	tests := []struct {
		name   string
		h      web.HandlerFunc
		req    events.APIGatewayV2HTTPRequest
		status int
		want   []string // substrings of the body
		not    string   // a substring the body must not have
	}{
		{"login: a customer gets tokens", login, anonymous(`{"email":"ann@example.com","password":"pw"}`), 200, []string{`"accessToken":"a"`}, "challenge"},
		{"login: a user with TOTP gets the challenge", login, anonymous(`{"email":"mfa@example.com","password":"pw"}`), 200,
			[]string{`"challenge":"SOFTWARE_TOKEN_MFA"`, `"session":"sess"`}, "accessToken"},
		{"login: an admin without TOTP gets no tokens", login, anonymous(`{"email":"admin@example.com","password":"pw"}`), 403,
			[]string{"mfa-setup-required", "/auth/mfa/setup"}, "accessToken"},
		{"login mfa", loginMFA, anonymous(`{"email":"mfa@example.com","session":"sess","code":"123456"}`), 200, []string{`"accessToken":"a"`}, ""},
		{"login mfa: wrong code", loginMFA, anonymous(`{"email":"mfa@example.com","session":"sess","code":"654321"}`), 400, []string{"bad-code"}, "accessToken"},
		{"login mfa: expired session", loginMFA, anonymous(`{"email":"mfa@example.com","session":"old","code":"123456"}`), 401, []string{"bad-credentials"}, ""},
		{"login mfa: not a code", loginMFA, anonymous(`{"email":"mfa@example.com","session":"sess","code":"12 456"}`), 400, []string{`"field":"code"`}, ""},
		{"mfa setup", setup, anonymous(`{"email":"admin@example.com","password":"pw"}`), 200, []string{`"secret":"SECRET"`, `"uri":"otpauth://totp/Orion:admin@example.com?`}, "accessToken"},
		{"mfa setup when enrolled", setup, anonymous(`{"email":"mfa@example.com","password":"pw"}`), 409, []string{"mfa-enabled"}, "SECRET"},
		{"mfa setup with a wrong password", setup, anonymous(`{"email":"admin@example.com","password":"no"}`), 401, []string{"bad-credentials"}, "SECRET"},
		{"mfa verify", verify, anonymous(`{"email":"admin@example.com","password":"pw","code":"123456"}`), 204, nil, ""},
		{"mfa verify: wrong code", verify, anonymous(`{"email":"admin@example.com","password":"pw","code":"000000"}`), 400, []string{"bad-code"}, ""},
		{"mfa verify when enrolled", verify, anonymous(`{"email":"mfa@example.com","password":"pw","code":"123456"}`), 409, []string{"mfa-enabled"}, ""},
		{"change password", change, signedIn("a", `{"currentPassword":"pw","newPassword":"Correct-Horse-9"}`), 204, nil, ""},
		{"change password: wrong current", change, signedIn("a", `{"currentPassword":"no","newPassword":"Correct-Horse-9"}`), 401, []string{"bad-credentials"}, ""},
		{"change password: weak new", change, signedIn("a", `{"currentPassword":"pw","newPassword":"short"}`), 400, []string{`"field":"newPassword"`}, ""},
		{"change password: an id token", change, func() events.APIGatewayV2HTTPRequest {
			r := signedIn("a", `{"currentPassword":"pw","newPassword":"Correct-Horse-9"}`)
			r.RequestContext.Authorizer.JWT.Claims["token_use"] = "id"
			return r
		}(), 401, nil, ""},
		{"change password: no authorizer context", change, anonymous(`{"currentPassword":"pw","newPassword":"Correct-Horse-9"}`), 401, nil, ""},
		{"logout", logout, anonymous(`{"refreshToken":"r"}`), 204, nil, ""},
		{"logout without a token", logout, anonymous(`{}`), 400, []string{`"field":"refreshToken"`}, ""},
		{"change email", email, signedIn("a", `{"email":"New@Example.com"}`), 202, []string{`"pendingEmail":"New@example.com"`}, ""},
		{"change email: taken, the same answer", email, signedIn("a", `{"email":"taken@example.com"}`), 202, []string{`"pendingEmail":"taken@example.com"`}, ""},
		{"change email: not an address", email, signedIn("a", `{"email":"new"}`), 400, []string{`"field":"email"`}, ""},
		{"change email: anonymous", email, anonymous(`{"email":"new@example.com"}`), 401, nil, ""},
		{"verify email", verifyEmail, signedIn("a", `{"code":"123456"}`), 204, nil, ""},
		{"verify email: wrong code", verifyEmail, signedIn("a", `{"code":"1"}`), 400, []string{"bad-code"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, _ := web.Lambda(slog.New(slog.DiscardHandler), tt.h)(context.Background(), tt.req)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d (%s); want %d", resp.StatusCode, resp.Body, tt.status)
			}
			for _, w := range tt.want {
				if !strings.Contains(resp.Body, w) {
					t.Fatalf("body %s lacks %s", resp.Body, w)
				}
			}
			if tt.not != "" && strings.Contains(resp.Body, tt.not) {
				t.Fatalf("body %s has %s", resp.Body, tt.not)
			}
			if resp.Headers["Cache-Control"] != "no-store" {
				t.Fatalf("Cache-Control %q", resp.Headers["Cache-Control"])
			}
		})
	}
}
