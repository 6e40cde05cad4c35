package account_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orion-oss/orion/internal/account"
	accountapi "github.com/orion-oss/orion/internal/api/account"
	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/web"
)

// pool is a small fake of the account ports: "taken@example.com" has a confirmed account, "pw" is the
// only password, "r" the only refresh token, "123456" the only code.
type pool struct{}

func (pool) SignUp(_ context.Context, email customer.Email, _, _ string) error {
	if email.String() == "taken@example.com" {
		return customer.ErrEmailTaken
	}
	return nil
}
func (pool) Holder(_ context.Context, email customer.Email) (account.Holder, error) {
	return account.Holder{Exists: email.String() == "taken@example.com", Confirmed: true}, nil
}
func (pool) DeleteUser(context.Context, customer.Email) error     { return nil }
func (pool) ResendCode(context.Context, customer.Email) error     { return nil }
func (pool) ConfirmUser(context.Context, customer.Email) error    { return nil }
func (pool) AccountExists(context.Context, customer.Email) error  { return nil }
func (pool) ForgotPassword(context.Context, customer.Email) error { return nil }
func (pool) ConfirmSignUp(_ context.Context, _ customer.Email, code string) error {
	if code != "123456" {
		return customer.ErrBadCode
	}
	return nil
}
func (pool) ResetPassword(_ context.Context, email customer.Email, code, _ string) error {
	if code != "123456" || email.String() != "taken@example.com" {
		return customer.ErrBadCode
	}
	return nil
}
func (pool) SignIn(_ context.Context, _, password string) (account.SignIn, error) {
	if password != "pw" {
		return account.SignIn{}, customer.ErrBadCredentials
	}
	return account.SignIn{Tokens: account.Tokens{Username: "u-1", AccessToken: "a", IDToken: "i", RefreshToken: "r", ExpiresIn: 3600, TokenType: "Bearer"}}, nil
}
func (pool) Revoke(context.Context, string) error { return nil }
func (pool) Refresh(_ context.Context, username, token string) (account.SignIn, error) {
	if token != "r" || username != "u-1" {
		return account.SignIn{}, customer.ErrBadCredentials
	}
	return account.SignIn{Tokens: account.Tokens{Username: "u-1", AccessToken: "a2", IDToken: "i2", ExpiresIn: 3600, TokenType: "Bearer"}}, nil
}
func (pool) HasTOTP(context.Context, string) (bool, error) { return false, nil }

func TestAccountEndpoints(t *testing.T) {
	quiet := slog.New(slog.DiscardHandler)
	register := accountapi.Register{Handler: account.NewRegisterHandler(pool{}, pool{}, true, quiet).WithClock(time.Now, account.Pace{})}.Serve
	confirm := accountapi.ConfirmRegistration{Handler: account.NewConfirmRegistrationHandler(pool{}).WithPace(account.Pace{})}.Serve
	resend := accountapi.ResendConfirmation{Handler: account.NewResendConfirmationHandler(pool{}, false).WithPace(account.Pace{})}.Serve
	forgot := accountapi.ForgotPassword{Handler: account.NewForgotPasswordHandler(pool{}).WithPace(account.Pace{})}.Serve
	reset := accountapi.ResetPassword{Handler: account.NewResetPasswordHandler(pool{}).WithPace(account.Pace{})}.Serve
	mail := `{"message":"` + accountapi.CheckYourMail + `"}`
	login := accountapi.Login{Handler: account.NewLoginHandler(pool{})}.Serve
	refresh := accountapi.RefreshToken{Handler: account.NewRefreshTokenHandler(pool{})}.Serve
	tests := []struct {
		name   string
		h      web.HandlerFunc
		body   string
		status int
		want   []string // substrings of the body
	}{
		// One answer, byte for byte, for a new address and a taken one.
		{"register", register, `{"email":"Ann@Example.com","password":"Correct-Horse-9","name":"Ann"}`, 202, []string{mail}},
		{"register a taken address", register, `{"email":"taken@example.com","password":"Correct-Horse-9","name":"Ann"}`, 202, []string{mail}},
		{"register with a weak password", register, `{"email":"ann@example.com","password":"short","name":"Ann"}`, 400, []string{`"field":"password"`}},
		{"register setting a group", register, `{"email":"ann@example.com","password":"Correct-Horse-9","name":"Ann","groups":["admin"]}`, 400, []string{"groups"}},
		{"confirm", confirm, `{"email":"ann@example.com","code":"123456"}`, 204, nil},
		{"confirm with a wrong code", confirm, `{"email":"ann@example.com","code":"654321"}`, 400, []string{"bad-code"}},
		{"resend", resend, `{"email":"ann@example.com"}`, 202, []string{mail}},
		{"resend with a bad address", resend, `{"email":"ann"}`, 400, []string{`"field":"email"`}},
		{"forgot", forgot, `{"email":"taken@example.com"}`, 202, []string{mail}},
		{"forgot for nobody", forgot, `{"email":"nobody@example.com"}`, 202, []string{mail}},
		{"forgot with another field", forgot, `{"email":"ann@example.com","password":"x"}`, 400, []string{"password"}},
		{"reset", reset, `{"email":"taken@example.com","code":"123456","password":"Correct-Horse-9"}`, 204, nil},
		{"reset with a wrong code", reset, `{"email":"taken@example.com","code":"654321","password":"Correct-Horse-9"}`, 400, []string{"bad-code"}},
		{"reset for nobody", reset, `{"email":"nobody@example.com","code":"123456","password":"Correct-Horse-9"}`, 400, []string{"bad-code"}},
		{"reset to a weak password", reset, `{"email":"taken@example.com","code":"123456","password":"weak"}`, 400, []string{`"field":"password"`}},
		{"login", login, `{"email":"ann@example.com","password":"pw"}`, 200,
			[]string{`"username":"u-1"`, `"accessToken":"a"`, `"idToken":"i"`, `"refreshToken":"r"`, `"expiresIn":3600`, `"tokenType":"Bearer"`}},
		{"login with a wrong password", login, `{"email":"ann@example.com","password":"no"}`, 401, []string{"bad-credentials"}},
		{"refresh", refresh, `{"username":"u-1","refreshToken":"r"}`, 200, []string{`"accessToken":"a2"`}},
		{"refresh with a forged token", refresh, `{"username":"u-1","refreshToken":"x"}`, 401, []string{"bad-credentials"}},
		{"refresh as another user", refresh, `{"username":"u-2","refreshToken":"r"}`, 401, []string{"bad-credentials"}},
		{"refresh without the username", refresh, `{"refreshToken":"r"}`, 401, []string{"bad-credentials"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, _ := web.Lambda(slog.New(slog.DiscardHandler), tt.h)(context.Background(), events.APIGatewayV2HTTPRequest{Body: tt.body})
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d (%s); want %d", resp.StatusCode, resp.Body, tt.status)
			}
			for _, w := range tt.want {
				if w == mail && resp.Body != mail {
					t.Fatalf("body %s; want exactly %s", resp.Body, mail)
				}
				if !strings.Contains(resp.Body, w) {
					t.Fatalf("body %s lacks %s", resp.Body, w)
				}
			}
			if resp.Headers["Cache-Control"] != "no-store" { // accounts and tokens are personal data, refusals included
				t.Fatalf("Cache-Control %q", resp.Headers["Cache-Control"])
			}
			if strings.Contains(resp.Body, `"refreshToken":""`) {
				t.Fatalf("an empty refresh token is shown: %s", resp.Body)
			}
		})
	}
}
