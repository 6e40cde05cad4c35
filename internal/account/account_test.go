package account_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/orion-oss/orion/internal/account"
	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/validation"
)

// pool fakes UserPool: it records its calls; err, when set, is what every call returns.
type pool struct {
	calls []string
	err   error
}

func (p *pool) record(call string) error { p.calls = append(p.calls, call); return p.err }

func (p *pool) SignUp(_ context.Context, email customer.Email, _, name string) (string, error) {
	return "sub-1", p.record("SignUp " + email.String() + " " + name)
}

func (p *pool) ConfirmUser(_ context.Context, email customer.Email) error {
	return p.record("ConfirmUser " + email.String())
}

func (p *pool) ConfirmSignUp(_ context.Context, email customer.Email, code string) error {
	return p.record("ConfirmSignUp " + email.String() + " " + code)
}

func (p *pool) SignIn(_ context.Context, email, _ string) (account.SignIn, error) {
	return account.SignIn{Tokens: account.Tokens{AccessToken: "a"}}, p.record("SignIn " + email)
}

func (p *pool) Revoke(_ context.Context, token string) error { return p.record("Revoke " + token) }

func (p *pool) Refresh(_ context.Context, token string) (account.Tokens, error) {
	return account.Tokens{AccessToken: "a"}, p.record("Refresh " + token)
}

// fields are the fields a validation error names, in order.
func fields(err error) []string {
	var ve validation.Errors
	if !errors.As(err, &ve) {
		return nil
	}
	var out []string
	for _, p := range ve {
		out = append(out, p.Field)
	}
	return out
}

const goodPassword = "Correct-Horse-9"

func TestRegister(t *testing.T) {
	tests := []struct {
		name        string
		cmd         account.Register
		autoConfirm bool
		poolErr     error
		fields      []string // the validation problems, in order
		err         error
		calls       []string
	}{
		{name: "registered", cmd: account.Register{Email: " Ann@Example.COM ", Password: goodPassword, Name: " Ann "},
			calls: []string{"SignUp Ann@example.com Ann"}},
		{name: "registered and confirmed", cmd: account.Register{Email: "ann@example.com", Password: goodPassword, Name: "Ann"}, autoConfirm: true,
			calls: []string{"SignUp ann@example.com Ann", "ConfirmUser ann@example.com"}},
		{name: "address and password first", cmd: account.Register{Email: "nope", Password: "short", Name: ""},
			fields: []string{"email", "password"}},
		{name: "then the name", cmd: account.Register{Email: "ann@example.com", Password: goodPassword, Name: "  "}, fields: []string{"name"}},
		{name: "name too long", cmd: account.Register{Email: "ann@example.com", Password: goodPassword, Name: strings.Repeat("é", 201)}, fields: []string{"name"}},
		{name: "name with a newline", cmd: account.Register{Email: "ann@example.com", Password: goodPassword, Name: "Ann\nBob"}, fields: []string{"name"}},
		{name: "name with an escape", cmd: account.Register{Email: "ann@example.com", Password: goodPassword, Name: "Ann\x1b[31m"}, fields: []string{"name"}},
		{name: "name with a C1 control", cmd: account.Register{Email: "ann@example.com", Password: goodPassword, Name: "Ann\u009b"}, fields: []string{"name"}},
		{name: "name with an override", cmd: account.Register{Email: "ann@example.com", Password: goodPassword, Name: "Ann\u202enimda"}, fields: []string{"name"}},
		{name: "name with an isolate", cmd: account.Register{Email: "ann@example.com", Password: goodPassword, Name: "\u2067Ann"}, fields: []string{"name"}},
		{name: "name with a mark", cmd: account.Register{Email: "ann@example.com", Password: goodPassword, Name: "Ann\u200f"}, fields: []string{"name"}},
		{name: "name stored trimmed, any script", cmd: account.Register{Email: "ann@example.com", Password: goodPassword, Name: "\u3000 Zoë 東京 "},
			calls: []string{"SignUp ann@example.com Zoë 東京"}},
		{name: "address taken", cmd: account.Register{Email: "ann@example.com", Password: goodPassword, Name: "Ann"}, autoConfirm: true,
			poolErr: customer.ErrEmailTaken, err: customer.ErrEmailTaken, calls: []string{"SignUp ann@example.com Ann"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &pool{err: tt.poolErr}
			got, err := account.NewRegisterHandler(p, tt.autoConfirm).Handle(context.Background(), tt.cmd)
			switch {
			case tt.fields != nil:
				if f := fields(err); !slices.Equal(f, tt.fields) {
					t.Fatalf("problems %v (%v); want %v", f, err, tt.fields)
				}
			case !errors.Is(err, tt.err):
				t.Fatalf("err %v; want %v", err, tt.err)
			case err == nil && (got.UserID != "sub-1" || got.Email.String() == ""):
				t.Fatalf("registered %+v", got)
			}
			if !slices.Equal(p.calls, tt.calls) {
				t.Fatalf("calls %q; want %q", p.calls, tt.calls)
			}
		})
	}
}

func TestConfirmRegistration(t *testing.T) {
	tests := []struct {
		name   string
		cmd    account.ConfirmRegistration
		fields []string
		calls  []string
	}{
		{name: "confirmed", cmd: account.ConfirmRegistration{Email: "Ann@Example.com", Code: "123456"}, calls: []string{"ConfirmSignUp Ann@example.com 123456"}},
		{name: "bad address", cmd: account.ConfirmRegistration{Email: "nope", Code: "123456"}, fields: []string{"email"}},
		{name: "no code", cmd: account.ConfirmRegistration{Email: "ann@example.com"}, fields: []string{"code"}},
		{name: "code too long", cmd: account.ConfirmRegistration{Email: "ann@example.com", Code: strings.Repeat("1", 17)}, fields: []string{"code"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &pool{}
			err := account.NewConfirmRegistrationHandler(p).Handle(context.Background(), tt.cmd)
			if f := fields(err); !slices.Equal(f, tt.fields) || (tt.fields == nil && err != nil) {
				t.Fatalf("err %v; want problems %v", err, tt.fields)
			}
			if !slices.Equal(p.calls, tt.calls) {
				t.Fatalf("calls %q; want %q", p.calls, tt.calls)
			}
		})
	}
}

func TestLoginAndRefresh(t *testing.T) {
	tests := []struct {
		name  string
		do    func(p account.UserPool) (account.Tokens, error)
		err   error
		calls []string
	}{
		{name: "login", do: func(p account.UserPool) (account.Tokens, error) {
			s, err := account.NewLoginHandler(p).Handle(context.Background(), account.Login{Email: " Ann@EXAMPLE.com", Password: "pw"})
			return s.Tokens, err
		}, calls: []string{"SignIn Ann@example.com"}},
		{name: "login with an address that does not parse: the provider refuses it", do: func(p account.UserPool) (account.Tokens, error) {
			s, err := account.NewLoginHandler(p).Handle(context.Background(), account.Login{Email: "not an address", Password: "pw"})
			return s.Tokens, err
		}, calls: []string{"SignIn not an address"}},
		{name: "login without a password", do: func(p account.UserPool) (account.Tokens, error) {
			s, err := account.NewLoginHandler(p).Handle(context.Background(), account.Login{Email: "ann@example.com"})
			return s.Tokens, err
		}, err: customer.ErrBadCredentials},
		{name: "login without an address", do: func(p account.UserPool) (account.Tokens, error) {
			s, err := account.NewLoginHandler(p).Handle(context.Background(), account.Login{Password: "pw"})
			return s.Tokens, err
		}, err: customer.ErrBadCredentials},
		{name: "refresh", do: func(p account.UserPool) (account.Tokens, error) {
			return account.NewRefreshTokenHandler(p).Handle(context.Background(), account.RefreshToken{RefreshToken: "r"})
		}, calls: []string{"Refresh r"}},
		{name: "refresh without a token", do: func(p account.UserPool) (account.Tokens, error) {
			return account.NewRefreshTokenHandler(p).Handle(context.Background(), account.RefreshToken{})
		}, err: customer.ErrBadCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &pool{}
			tok, err := tt.do(p)
			if !errors.Is(err, tt.err) || (err == nil && tok.AccessToken != "a") {
				t.Fatalf("got %+v %v; want err %v", tok, err, tt.err)
			}
			if !slices.Equal(p.calls, tt.calls) {
				t.Fatalf("calls %q; want %q", p.calls, tt.calls)
			}
		})
	}
}
