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
)

// idp fakes the signed-in account's ports: SignIn answers signIn; "123456" is the only right code;
// errs, by method, is what a call returns instead.
type idp struct {
	signIn account.SignIn // also what Refresh answers
	totp   bool           // what HasTOTP answers
	errs   map[string]error
	calls  []string
}

func (p *idp) record(method, args string) error {
	p.calls = append(p.calls, method+" "+args)
	return p.errs[method]
}

func (p *idp) SignIn(_ context.Context, email, _ string) (account.SignIn, error) {
	if err := p.record("SignIn", email); err != nil {
		return account.SignIn{}, err
	}
	return p.signIn, nil
}
func (p *idp) Revoke(_ context.Context, token string) error { return p.record("Revoke", token) }
func (p *idp) RespondMFA(_ context.Context, email, session, code string) (account.SignIn, error) {
	if err := p.record("RespondMFA", email+" "+session+" "+code); err != nil {
		return account.SignIn{}, err
	}
	if code != "123456" {
		return account.SignIn{}, customer.ErrBadCode
	}
	return account.SignIn{Tokens: account.Tokens{AccessToken: "mfa-a", RefreshToken: "mfa-r"}, Groups: []string{"admin"}}, nil
}
func (p *idp) AssociateTOTP(_ context.Context, token string) (string, error) {
	return "JBSWY3DPEHPK3PXP", p.record("AssociateTOTP", token)
}
func (p *idp) VerifyTOTP(_ context.Context, token, code string) error {
	if err := p.record("VerifyTOTP", token+" "+code); err != nil {
		return err
	}
	if code != "123456" {
		return customer.ErrBadCode
	}
	return nil
}
func (p *idp) ChangePassword(_ context.Context, token, current, _ string) error {
	return p.record("ChangePassword", token+" "+current)
}
func (p *idp) SignOutEverywhere(_ context.Context, token string) error {
	return p.record("SignOutEverywhere", token)
}
func (p *idp) ChangeEmail(_ context.Context, username string, email customer.Email, verified bool) error {
	args := username + " " + email.String()
	if verified {
		args += " verified"
	}
	return p.record("ChangeEmail", args)
}
func (p *idp) Refresh(_ context.Context, username, token string) (account.SignIn, error) {
	if err := p.record("Refresh", username+" "+token); err != nil {
		return account.SignIn{}, err
	}
	return p.signIn, nil
}
func (p *idp) HasTOTP(_ context.Context, token string) (bool, error) {
	if err := p.record("HasTOTP", token); err != nil {
		return false, err
	}
	return p.totp, nil
}
func (p *idp) VerifyEmail(_ context.Context, token, code string) error {
	return p.record("VerifyEmail", token+" "+code)
}

var (
	customerSignIn = account.SignIn{Tokens: account.Tokens{AccessToken: "a", RefreshToken: "r"}}
	adminSignIn    = account.SignIn{Tokens: account.Tokens{AccessToken: "a", RefreshToken: "r"}, Groups: []string{"staff", "admin"}}
	mfaSignIn      = account.SignIn{MFA: &account.MFAChallenge{Session: "s"}}
)

// An admin's sign-in hands out tokens only after a TOTP code: without TOTP, what the provider issued
// is revoked and the answer is ErrMFASetupRequired.
func TestLoginRequiresAdminMFA(t *testing.T) {
	tests := []struct {
		name    string
		signIn  account.SignIn
		errs    map[string]error
		err     error
		tokens  bool
		session string
		calls   []string
	}{
		{name: "customer without MFA", signIn: customerSignIn, tokens: true, calls: []string{"SignIn ann@example.com"}},
		{name: "a group named like admin is no admin", signIn: account.SignIn{Tokens: customerSignIn.Tokens, Groups: []string{"Admin", "admin "}}, tokens: true,
			calls: []string{"SignIn ann@example.com"}},
		{name: "admin without MFA", signIn: adminSignIn, err: account.ErrMFASetupRequired, calls: []string{"SignIn ann@example.com", "Revoke r"}},
		{name: "admin without MFA, revocation fails: still no tokens", signIn: adminSignIn, errs: map[string]error{"Revoke": customer.ErrTooManyAttempts},
			err: account.ErrMFASetupRequired, calls: []string{"SignIn ann@example.com", "Revoke r"}},
		{name: "user with MFA gets the challenge", signIn: mfaSignIn, session: "s", calls: []string{"SignIn ann@example.com"}},
		{name: "wrong password", errs: map[string]error{"SignIn": customer.ErrBadCredentials}, err: customer.ErrBadCredentials,
			calls: []string{"SignIn ann@example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &idp{signIn: tt.signIn, errs: tt.errs}
			s, err := account.NewLoginHandler(p).Handle(context.Background(), account.Login{Email: "ann@example.com", Password: "pw"})
			if !errors.Is(err, tt.err) {
				t.Fatalf("err %v; want %v", err, tt.err)
			}
			if got := s.Tokens.AccessToken != ""; got != tt.tokens {
				t.Fatalf("tokens handed out: %v; want %v", got, tt.tokens)
			}
			if tt.session != "" && (s.MFA == nil || s.MFA.Session != tt.session) {
				t.Fatalf("challenge %+v; want session %s", s.MFA, tt.session)
			}
			if !slices.Equal(p.calls, tt.calls) {
				t.Fatalf("calls %q; want %q", p.calls, tt.calls)
			}
		})
	}
}

func TestLoginMFA(t *testing.T) {
	tests := []struct {
		name   string
		cmd    account.LoginMFA
		err    error
		fields []string
		calls  []string
	}{
		{name: "right code", cmd: account.LoginMFA{Email: "Ann@Example.com", Session: "s", Code: "123456"}, calls: []string{"RespondMFA Ann@example.com s 123456"}},
		// The pool's name for the user, from the challenge, answers it where one is given: Cognito takes
		// the username, not the address (an alias), in a challenge's answer.
		{name: "the challenge's username", cmd: account.LoginMFA{Email: "ann@example.com", Username: " 7d3c-sub ", Session: "s", Code: "123456"},
			calls: []string{"RespondMFA 7d3c-sub s 123456"}},
		{name: "wrong code", cmd: account.LoginMFA{Email: "ann@example.com", Session: "s", Code: "654321"}, err: customer.ErrBadCode,
			calls: []string{"RespondMFA ann@example.com s 654321"}},
		{name: "not six digits", cmd: account.LoginMFA{Email: "ann@example.com", Session: "s", Code: "12345a"}, fields: []string{"code"}},
		{name: "seven digits", cmd: account.LoginMFA{Email: "ann@example.com", Session: "s", Code: "1234567"}, fields: []string{"code"}},
		{name: "no session", cmd: account.LoginMFA{Email: "ann@example.com", Code: "123456"}, err: customer.ErrBadCredentials},
		{name: "a huge session", cmd: account.LoginMFA{Email: "ann@example.com", Session: strings.Repeat("s", 5000), Code: "123456"}, err: customer.ErrBadCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &idp{}
			tok, err := account.NewLoginMFAHandler(p).Handle(context.Background(), tt.cmd)
			if tt.fields != nil {
				if f := fields(err); !slices.Equal(f, tt.fields) {
					t.Fatalf("problems %v (%v); want %v", f, err, tt.fields)
				}
			} else if !errors.Is(err, tt.err) || (err == nil) != (tok.AccessToken != "") {
				t.Fatalf("tokens %+v err %v; want %v", tok, err, tt.err)
			}
			if !slices.Equal(p.calls, tt.calls) {
				t.Fatalf("calls %q; want %q", p.calls, tt.calls)
			}
		})
	}
}

// Enrolment signs in with the password, never hands out the sign-in's tokens (revoked), and cannot
// replace an authenticator that is set up already.
func TestMFAEnrolment(t *testing.T) {
	ctx := context.Background()
	t.Run("setup", func(t *testing.T) {
		p := &idp{signIn: adminSignIn}
		s, err := account.NewSetUpMFAHandler(p).Handle(ctx, account.SetUpMFA{Email: "Ann@example.com", Password: "pw"})
		if err != nil || s.Secret != "JBSWY3DPEHPK3PXP" ||
			s.URI != "otpauth://totp/Orion:Ann@example.com?algorithm=SHA1&digits=6&issuer=Orion&period=30&secret=JBSWY3DPEHPK3PXP" {
			t.Fatalf("secret %+v err %v", s, err)
		}
		if want := []string{"SignIn Ann@example.com", "AssociateTOTP a", "Revoke r"}; !slices.Equal(p.calls, want) {
			t.Fatalf("calls %q; want %q", p.calls, want)
		}
	})
	t.Run("setup when enrolled", func(t *testing.T) {
		p := &idp{signIn: mfaSignIn}
		if _, err := account.NewSetUpMFAHandler(p).Handle(ctx, account.SetUpMFA{Email: "ann@example.com", Password: "pw"}); !errors.Is(err, account.ErrMFAEnabled) {
			t.Fatalf("err %v; want ErrMFAEnabled", err)
		}
	})
	t.Run("setup with a wrong password", func(t *testing.T) {
		p := &idp{errs: map[string]error{"SignIn": customer.ErrBadCredentials}}
		if _, err := account.NewSetUpMFAHandler(p).Handle(ctx, account.SetUpMFA{Email: "ann@example.com", Password: "no"}); !errors.Is(err, customer.ErrBadCredentials) {
			t.Fatalf("err %v", err)
		}
	})
	tests := []struct {
		name   string
		signIn account.SignIn
		code   string
		err    error
		calls  []string
	}{
		{name: "verify", signIn: adminSignIn, code: "123456", calls: []string{"SignIn ann@example.com", "VerifyTOTP a 123456", "Revoke r"}},
		{name: "wrong code, tokens revoked all the same", signIn: adminSignIn, code: "000000", err: customer.ErrBadCode,
			calls: []string{"SignIn ann@example.com", "VerifyTOTP a 000000", "Revoke r"}},
		{name: "not a code", signIn: adminSignIn, code: "abc"},
		{name: "enrolled already", signIn: mfaSignIn, code: "123456", err: account.ErrMFAEnabled, calls: []string{"SignIn ann@example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &idp{signIn: tt.signIn}
			err := account.NewVerifyMFAHandler(p).Handle(ctx, account.VerifyMFA{Email: "ann@example.com", Password: "pw", Code: tt.code})
			if tt.calls == nil {
				if f := fields(err); !slices.Equal(f, []string{"code"}) {
					t.Fatalf("err %v; want a code problem", err)
				}
			} else if !errors.Is(err, tt.err) {
				t.Fatalf("err %v; want %v", err, tt.err)
			}
			if !slices.Equal(p.calls, tt.calls) {
				t.Fatalf("calls %q; want %q", p.calls, tt.calls)
			}
		})
	}
}

func TestSignedInAccount(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		do     func(p *idp) error
		errs   map[string]error
		err    error
		fields []string
		calls  []string
	}{
		{name: "change password", do: func(p *idp) error {
			return account.NewChangePasswordHandler(p).Handle(ctx, account.ChangePassword{AccessToken: "a", CurrentPassword: "old", NewPassword: goodPassword})
		}, calls: []string{"ChangePassword a old", "SignOutEverywhere a"}},
		{name: "change password, then the sign-out fails: the error is answered", errs: map[string]error{"SignOutEverywhere": customer.ErrTooManyAttempts}, do: func(p *idp) error {
			return account.NewChangePasswordHandler(p).Handle(ctx, account.ChangePassword{AccessToken: "a", CurrentPassword: "old", NewPassword: goodPassword})
		}, err: customer.ErrTooManyAttempts, calls: []string{"ChangePassword a old", "SignOutEverywhere a"}},
		{name: "change to a weak password", do: func(p *idp) error {
			return account.NewChangePasswordHandler(p).Handle(ctx, account.ChangePassword{AccessToken: "a", CurrentPassword: "", NewPassword: "short"})
		}, fields: []string{"currentPassword", "newPassword"}},
		{name: "change with a wrong current password", errs: map[string]error{"ChangePassword": customer.ErrBadCredentials}, do: func(p *idp) error {
			return account.NewChangePasswordHandler(p).Handle(ctx, account.ChangePassword{AccessToken: "a", CurrentPassword: "wrong", NewPassword: goodPassword})
		}, err: customer.ErrBadCredentials, calls: []string{"ChangePassword a wrong"}},
		{name: "logout", do: func(p *idp) error { return account.NewLogoutHandler(p).Handle(ctx, account.Logout{RefreshToken: "r"}) },
			calls: []string{"Revoke r"}},
		{name: "logout again: the token is no longer valid, same answer", errs: map[string]error{"Revoke": customer.ErrBadCredentials},
			do:    func(p *idp) error { return account.NewLogoutHandler(p).Handle(ctx, account.Logout{RefreshToken: "r"}) },
			calls: []string{"Revoke r"}},
		{name: "logout while the provider throttles", errs: map[string]error{"Revoke": customer.ErrTooManyAttempts},
			do:  func(p *idp) error { return account.NewLogoutHandler(p).Handle(ctx, account.Logout{RefreshToken: "r"}) },
			err: customer.ErrTooManyAttempts, calls: []string{"Revoke r"}},
		{name: "logout without a token", do: func(p *idp) error { return account.NewLogoutHandler(p).Handle(ctx, account.Logout{}) },
			fields: []string{"refreshToken"}},
		{name: "change email", do: func(p *idp) error {
			_, err := account.NewChangeEmailHandler(p, false).WithPace(account.Pace{}).Handle(ctx, account.ChangeEmail{Username: "u-1", Email: " Bob@Example.COM "})
			return err
		}, calls: []string{"ChangeEmail u-1 Bob@example.com"}},
		{name: "change to a bad address", do: func(p *idp) error {
			_, err := account.NewChangeEmailHandler(p, false).WithPace(account.Pace{}).Handle(ctx, account.ChangeEmail{Username: "u-1", Email: "bob"})
			return err
		}, fields: []string{"email"}},
		{name: "change to a taken address: the same answer, nothing changes", errs: map[string]error{"ChangeEmail": customer.ErrEmailTaken}, do: func(p *idp) error {
			_, err := account.NewChangeEmailHandler(p, false).WithPace(account.Pace{}).Handle(ctx, account.ChangeEmail{Username: "u-1", Email: "bob@example.com"})
			return err
		}, calls: []string{"ChangeEmail u-1 bob@example.com"}},
		{name: "change while the provider throttles", errs: map[string]error{"ChangeEmail": customer.ErrTooManyAttempts}, do: func(p *idp) error {
			_, err := account.NewChangeEmailHandler(p, false).WithPace(account.Pace{}).Handle(ctx, account.ChangeEmail{Username: "u-1", Email: "bob@example.com"})
			return err
		}, err: customer.ErrTooManyAttempts, calls: []string{"ChangeEmail u-1 bob@example.com"}},
		{name: "change email on a stack that auto-confirms users: the new address is verified", do: func(p *idp) error {
			_, err := account.NewChangeEmailHandler(p, true).WithPace(account.Pace{}).Handle(ctx, account.ChangeEmail{Username: "u-1", Email: "bob@example.com"})
			return err
		}, calls: []string{"ChangeEmail u-1 bob@example.com verified"}},
		{name: "verify email", do: func(p *idp) error {
			return account.NewVerifyEmailHandler(p).Handle(ctx, account.VerifyEmail{AccessToken: "a", Code: "123456"})
		}, calls: []string{"VerifyEmail a 123456"}},
		{name: "verify email without a code", do: func(p *idp) error {
			return account.NewVerifyEmailHandler(p).Handle(ctx, account.VerifyEmail{AccessToken: "a"})
		}, fields: []string{"code"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &idp{errs: tt.errs}
			err := tt.do(p)
			if tt.fields != nil {
				if f := fields(err); !slices.Equal(f, tt.fields) {
					t.Fatalf("problems %v (%v); want %v", f, err, tt.fields)
				}
			} else if !errors.Is(err, tt.err) {
				t.Fatalf("err %v; want %v", err, tt.err)
			}
			if !slices.Equal(p.calls, tt.calls) {
				t.Fatalf("calls %q; want %q", p.calls, tt.calls)
			}
		})
	}
}

func TestRefreshRefusesAnAdminWithoutTOTP(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		signIn account.SignIn
		totp   bool
		errs   map[string]error
		err    error
		calls  []string
	}{
		{name: "a customer: no MFA check", signIn: customerSignIn, calls: []string{"Refresh u-1 r"}},
		{name: "an admin with TOTP", signIn: adminSignIn, totp: true, calls: []string{"Refresh u-1 r", "HasTOTP a"}},
		{name: "an admin who switched TOTP off: no tokens", signIn: adminSignIn, err: customer.ErrBadCredentials,
			calls: []string{"Refresh u-1 r", "HasTOTP a"}},
		{name: "a group only named like admin: no MFA check", signIn: account.SignIn{Tokens: customerSignIn.Tokens, Groups: []string{"Admin", "admins"}},
			calls: []string{"Refresh u-1 r"}},
		{name: "the MFA check is refused: no tokens", signIn: adminSignIn, totp: true, errs: map[string]error{"HasTOTP": customer.ErrBadCredentials},
			err: customer.ErrBadCredentials, calls: []string{"Refresh u-1 r", "HasTOTP a"}},
		{name: "the MFA check fails: no tokens, the failure answered", signIn: adminSignIn, totp: true, errs: map[string]error{"HasTOTP": customer.ErrTooManyAttempts},
			err: customer.ErrTooManyAttempts, calls: []string{"Refresh u-1 r", "HasTOTP a"}},
		{name: "a refused refresh", signIn: adminSignIn, errs: map[string]error{"Refresh": customer.ErrBadCredentials},
			err: customer.ErrBadCredentials, calls: []string{"Refresh u-1 r"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &idp{signIn: tt.signIn, totp: tt.totp, errs: tt.errs}
			tok, err := account.NewRefreshTokenHandler(p).Handle(ctx, account.RefreshToken{Username: "u-1", RefreshToken: "r"})
			if !errors.Is(err, tt.err) || (err == nil) != (tok.AccessToken != "") {
				t.Fatalf("got %+v %v; want err %v", tok, err, tt.err)
			}
			if !slices.Equal(p.calls, tt.calls) {
				t.Fatalf("calls %q; want %q", p.calls, tt.calls)
			}
		})
	}
}

// A taken address is refused by the provider at once; a free one is written and mailed a code. The
// answer's time must not tell them apart: both wait for the floor.
func TestChangeEmailAnswersNoSoonerThanTheFloor(t *testing.T) {
	for _, taken := range []bool{false, true} {
		c := &clock{t: time.Unix(1_700_000_000, 0)}
		p := &idp{}
		if taken {
			p.errs = map[string]error{"ChangeEmail": customer.ErrEmailTaken}
		}
		began := c.t
		if _, err := account.NewChangeEmailHandler(p, false).WithPace(c.pace(account.CodeFloor)).Handle(context.Background(),
			account.ChangeEmail{Username: "u-1", Email: "bob@example.com"}); err != nil {
			t.Fatal(err)
		}
		if took := c.t.Sub(began); took != account.CodeFloor {
			t.Fatalf("taken=%v: answered after %v; want the floor %v", taken, took, account.CodeFloor)
		}
	}
}
