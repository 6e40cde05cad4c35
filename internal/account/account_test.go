package account_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orion-oss/orion/internal/account"
	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/validation"
)

// pool fakes the account ports: it records its calls. holders are the users that hold addresses
// (SignUp answers customer.ErrEmailTaken for them); err, when set, is what every call returns; errs
// sets one call's error by its name.
type pool struct {
	calls   []string
	holders map[string]account.Holder
	err     error
	errs    map[string]error
	clock   *clock // when set, each call takes callTime on it
}

// callTime is how long each call of the fake takes on its clock.
const callTime = 100 * time.Millisecond

func (p *pool) record(call string) error {
	p.calls = append(p.calls, call)
	if p.clock != nil {
		p.clock.t = p.clock.t.Add(callTime)
	}
	if err, ok := p.errs[strings.Fields(call)[0]]; ok {
		return err
	}
	return p.err
}

func (p *pool) SignUp(_ context.Context, email customer.Email, _, name string) error {
	if err := p.record("SignUp " + email.String() + " " + name); err != nil {
		return err
	}
	if p.holders[email.String()].Exists {
		return customer.ErrEmailTaken
	}
	if p.holders == nil {
		p.holders = map[string]account.Holder{}
	}
	p.holders[email.String()] = account.Holder{Exists: true}
	return nil
}

func (p *pool) Holder(_ context.Context, email customer.Email) (account.Holder, error) {
	return p.holders[email.String()], p.record("Holder " + email.String())
}

func (p *pool) DeleteUser(_ context.Context, email customer.Email) error {
	delete(p.holders, email.String())
	return p.record("DeleteUser " + email.String())
}

func (p *pool) ResendCode(_ context.Context, email customer.Email) error {
	return p.record("ResendCode " + email.String())
}

func (p *pool) ConfirmUser(_ context.Context, email customer.Email) error {
	return p.record("ConfirmUser " + email.String())
}

func (p *pool) AccountExists(_ context.Context, email customer.Email) error {
	return p.record("AccountExists " + email.String())
}

func (p *pool) ConfirmSignUp(_ context.Context, email customer.Email, code string) error {
	return p.record("ConfirmSignUp " + email.String() + " " + code)
}

func (p *pool) ForgotPassword(_ context.Context, email customer.Email) error {
	return p.record("ForgotPassword " + email.String())
}

func (p *pool) ResetPassword(_ context.Context, email customer.Email, code, _ string) error {
	return p.record("ResetPassword " + email.String() + " " + code)
}

func (p *pool) SignIn(_ context.Context, email, _ string) (account.SignIn, error) {
	return account.SignIn{Tokens: account.Tokens{AccessToken: "a"}}, p.record("SignIn " + email)
}

func (p *pool) Revoke(_ context.Context, token string) error { return p.record("Revoke " + token) }

func (p *pool) Refresh(_ context.Context, username, token string) (account.SignIn, error) {
	return account.SignIn{Tokens: account.Tokens{AccessToken: "a"}}, p.record("Refresh " + username + " " + token)
}

func (p *pool) HasTOTP(_ context.Context, token string) (bool, error) {
	return false, p.record("HasTOTP " + token)
}

// clock is a fake clock; sleeping on it moves it on at once.
type clock struct{ t time.Time }

func (c *clock) now() time.Time                           { return c.t }
func (c *clock) sleep(_ context.Context, d time.Duration) { c.t = c.t.Add(d) }
func (c *clock) pace(floor time.Duration) account.Pace {
	return account.Pace{Floor: floor, Now: c.now, Sleep: c.sleep}
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
			return account.NewRefreshTokenHandler(p).Handle(context.Background(), account.RefreshToken{Username: "u-1", RefreshToken: "r"})
		}, calls: []string{"Refresh u-1 r"}},
		{name: "refresh without the username", do: func(p account.UserPool) (account.Tokens, error) {
			return account.NewRefreshTokenHandler(p).Handle(context.Background(), account.RefreshToken{RefreshToken: "r"})
		}, err: customer.ErrBadCredentials},
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
