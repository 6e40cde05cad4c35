package account_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orion-oss/orion/internal/account"
	accountapi "github.com/orion-oss/orion/internal/api/account"
	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/web"
)

// ipSpy is the fake pool of TestAccountEndpoints that also records the caller's IP each provider
// call is made for (account.ClientIP of its context).
type ipSpy struct {
	pool
	seen map[string]string // provider call → the IP its context carried
}

func (s ipSpy) saw(ctx context.Context, call string) { s.seen[call] = account.ClientIP(ctx) }

func (s ipSpy) SignUp(ctx context.Context, e customer.Email, pw, name string) error {
	s.saw(ctx, "SignUp")
	return s.pool.SignUp(ctx, e, pw, name)
}
func (s ipSpy) ResendCode(ctx context.Context, e customer.Email) error {
	s.saw(ctx, "ResendCode")
	return nil
}
func (s ipSpy) ConfirmSignUp(ctx context.Context, e customer.Email, code string) error {
	s.saw(ctx, "ConfirmSignUp")
	return s.pool.ConfirmSignUp(ctx, e, code)
}
func (s ipSpy) ForgotPassword(ctx context.Context, e customer.Email) error {
	s.saw(ctx, "ForgotPassword")
	return nil
}
func (s ipSpy) ResetPassword(ctx context.Context, e customer.Email, code, pw string) error {
	s.saw(ctx, "ResetPassword")
	return s.pool.ResetPassword(ctx, e, code, pw)
}
func (s ipSpy) SignIn(ctx context.Context, email, pw string) (account.SignIn, error) {
	s.saw(ctx, "SignIn")
	return session{}.SignIn(ctx, email, pw)
}
func (s ipSpy) Refresh(ctx context.Context, username, token string) (account.SignIn, error) {
	s.saw(ctx, "Refresh")
	return s.pool.Refresh(ctx, username, token)
}
func (s ipSpy) RespondMFA(ctx context.Context, email, sess, code string) (account.SignIn, error) {
	s.saw(ctx, "RespondMFA")
	return session{}.RespondMFA(ctx, email, sess, code)
}
func (s ipSpy) AssociateTOTP(ctx context.Context, tok string) (string, error) {
	return session{}.AssociateTOTP(ctx, tok)
}
func (s ipSpy) VerifyTOTP(ctx context.Context, tok, code string) error {
	return session{}.VerifyTOTP(ctx, tok, code)
}

// Every anonymous account endpoint hands the provider the request's requestContext.http.sourceIp
// (for Cognito's UserContextData), and never an X-Forwarded-For the client wrote.
func TestEndpointsPassTheSourceIP(t *testing.T) {
	quiet := slog.New(slog.DiscardHandler)
	tests := []struct {
		name, call, body string
		serve            func(ipSpy) web.HandlerFunc
	}{
		{"register", "SignUp", `{"email":"ann@example.com","password":"Correct-Horse-9","name":"Ann"}`, func(p ipSpy) web.HandlerFunc {
			return accountapi.Register{Handler: account.NewRegisterHandler(p, p, false, quiet).WithClock(time.Now, account.Pace{})}.Serve
		}},
		{"register a taken address", "ResendCode", `{"email":"taken@example.com","password":"Correct-Horse-9","name":"Ann"}`, func(p ipSpy) web.HandlerFunc {
			p.pool = pool{}
			return accountapi.Register{Handler: account.NewRegisterHandler(takenUnconfirmed{p}, p, false, quiet).WithClock(time.Now, account.Pace{})}.Serve
		}},
		{"confirm", "ConfirmSignUp", `{"email":"ann@example.com","code":"123456"}`, func(p ipSpy) web.HandlerFunc {
			return accountapi.ConfirmRegistration{Handler: account.NewConfirmRegistrationHandler(p).WithPace(account.Pace{})}.Serve
		}},
		{"resend", "ResendCode", `{"email":"ann@example.com"}`, func(p ipSpy) web.HandlerFunc {
			return accountapi.ResendConfirmation{Handler: account.NewResendConfirmationHandler(p, false).WithPace(account.Pace{})}.Serve
		}},
		{"forgot", "ForgotPassword", `{"email":"ann@example.com"}`, func(p ipSpy) web.HandlerFunc {
			return accountapi.ForgotPassword{Handler: account.NewForgotPasswordHandler(p).WithPace(account.Pace{})}.Serve
		}},
		{"reset", "ResetPassword", `{"email":"taken@example.com","code":"123456","password":"Correct-Horse-9"}`, func(p ipSpy) web.HandlerFunc {
			return accountapi.ResetPassword{Handler: account.NewResetPasswordHandler(p).WithPace(account.Pace{})}.Serve
		}},
		{"login", "SignIn", `{"email":"ann@example.com","password":"pw"}`, func(p ipSpy) web.HandlerFunc {
			return accountapi.Login{Handler: account.NewLoginHandler(p)}.Serve
		}},
		{"refresh", "Refresh", `{"username":"u-1","refreshToken":"r"}`, func(p ipSpy) web.HandlerFunc {
			return accountapi.RefreshToken{Handler: account.NewRefreshTokenHandler(p)}.Serve
		}},
		{"login mfa", "RespondMFA", `{"email":"mfa@example.com","session":"sess","code":"123456"}`, func(p ipSpy) web.HandlerFunc {
			return accountapi.LoginMFA{Handler: account.NewLoginMFAHandler(p)}.Serve
		}},
		{"mfa setup", "SignIn", `{"email":"ann@example.com","password":"pw"}`, func(p ipSpy) web.HandlerFunc {
			return accountapi.SetUpMFA{Handler: account.NewSetUpMFAHandler(p)}.Serve
		}},
		{"mfa verify", "SignIn", `{"email":"ann@example.com","password":"pw","code":"123456"}`, func(p ipSpy) web.HandlerFunc {
			return accountapi.VerifyMFA{Handler: account.NewVerifyMFAHandler(p)}.Serve
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ipSpy{seen: map[string]string{}}
			req := events.APIGatewayV2HTTPRequest{Body: tt.body, Headers: map[string]string{"x-forwarded-for": "6.6.6.6"}}
			req.RequestContext.HTTP.SourceIP = "203.0.113.7"
			resp, _ := web.Lambda(quiet, tt.serve(p))(context.Background(), req)
			if resp.StatusCode >= 300 {
				t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
			}
			ip, called := p.seen[tt.call]
			if !called || ip != "203.0.113.7" {
				t.Fatalf("%s called %v with IP %q; want 203.0.113.7 (seen %v)", tt.call, called, ip, p.seen)
			}
		})
	}
}

// takenUnconfirmed holds every address with an unconfirmed user whose code may still be valid, so
// that a registration resends the code.
type takenUnconfirmed struct{ ipSpy }

func (takenUnconfirmed) Holder(context.Context, customer.Email) (account.Holder, error) {
	return account.Holder{Exists: true, Since: time.Now()}, nil
}
