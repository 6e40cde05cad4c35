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

// The code endpoints (confirm a registration, resend its code, forgot and reset a password): each
// checks its fields before calling the provider, hands the provider's answer on (the adapter makes it
// one answer whatever holds the address), and answers no sooner than the floor once it called it.
func TestCodeUseCases(t *testing.T) {
	confirm := func(p *pool, pace account.Pace, in string) error {
		f := strings.SplitN(in, "|", 2)
		return account.NewConfirmRegistrationHandler(p).WithPace(pace).Handle(context.Background(), account.ConfirmRegistration{Email: f[0], Code: f[1]})
	}
	resend := func(auto bool) func(p *pool, pace account.Pace, in string) error {
		return func(p *pool, pace account.Pace, in string) error {
			return account.NewResendConfirmationHandler(p, auto).WithPace(pace).Handle(context.Background(), account.ResendConfirmation{Email: in})
		}
	}
	forgot := func(p *pool, pace account.Pace, in string) error {
		return account.NewForgotPasswordHandler(p).WithPace(pace).Handle(context.Background(), account.ForgotPassword{Email: in})
	}
	reset := func(p *pool, pace account.Pace, in string) error {
		f := strings.SplitN(in, "|", 3)
		return account.NewResetPasswordHandler(p).WithPace(pace).Handle(context.Background(), account.ResetPassword{Email: f[0], Code: f[1], Password: f[2]})
	}
	tests := []struct {
		name    string
		do      func(p *pool, pace account.Pace, in string) error
		in      string
		poolErr error
		fields  []string
		err     error
		calls   []string
	}{
		{name: "confirm", do: confirm, in: "Ann@Example.com|123456", calls: []string{"ConfirmSignUp Ann@example.com 123456"}},
		{name: "confirm with a bad code", do: confirm, in: "ann@example.com|1", poolErr: customer.ErrBadCode, err: customer.ErrBadCode,
			calls: []string{"ConfirmSignUp ann@example.com 1"}},
		{name: "confirm: bad address", do: confirm, in: "nope|123456", fields: []string{"email"}},
		{name: "confirm: no code", do: confirm, in: "ann@example.com|", fields: []string{"code"}},
		{name: "confirm: code too long", do: confirm, in: "ann@example.com|" + strings.Repeat("1", 17), fields: []string{"code"}},
		{name: "resend", do: resend(false), in: " Ann@Example.com", calls: []string{"ResendCode Ann@example.com"}},
		{name: "resend on an auto-confirming stack sends nothing", do: resend(true), in: "ann@example.com"},
		{name: "resend throttled", do: resend(false), in: "ann@example.com", poolErr: customer.ErrTooManyAttempts, err: customer.ErrTooManyAttempts,
			calls: []string{"ResendCode ann@example.com"}},
		{name: "resend: bad address", do: resend(false), in: "nope", fields: []string{"email"}},
		{name: "forgot", do: forgot, in: "ann@example.com", calls: []string{"ForgotPassword ann@example.com"}},
		{name: "forgot: bad address", do: forgot, in: "", fields: []string{"email"}},
		{name: "reset", do: reset, in: "ann@example.com|123456|" + goodPassword, calls: []string{"ResetPassword ann@example.com 123456"}},
		{name: "reset with a bad code or no account", do: reset, in: "ann@example.com|123456|" + goodPassword, poolErr: customer.ErrBadCode,
			err: customer.ErrBadCode, calls: []string{"ResetPassword ann@example.com 123456"}},
		{name: "reset: every field at once", do: reset, in: "nope||short", fields: []string{"email", "code", "password"}},
		{name: "reset: a code with a space", do: reset, in: "ann@example.com|12 34|" + goodPassword, fields: []string{"code"}},
		{name: "reset: the emulator's long codes", do: reset, in: "ann@example.com|moto-confirmation-code:123456|" + goodPassword,
			calls: []string{"ResetPassword ann@example.com moto-confirmation-code:123456"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
			c := &clock{t: start}
			p := &pool{err: tt.poolErr, clock: c}
			err := tt.do(p, c.pace(account.CodeFloor), tt.in)
			switch {
			case tt.fields != nil:
				if f := fields(err); !slices.Equal(f, tt.fields) {
					t.Fatalf("problems %v (%v); want %v", f, err, tt.fields)
				}
			case !errors.Is(err, tt.err) || (tt.err == nil && err != nil):
				t.Fatalf("err %v; want %v", err, tt.err)
			}
			if !slices.Equal(p.calls, tt.calls) {
				t.Fatalf("calls %q; want %q", p.calls, tt.calls)
			}
			took, want := c.t.Sub(start), account.CodeFloor
			if tt.fields != nil {
				want = 0 // refused for its fields: nothing about the address to hide
			}
			if took != want {
				t.Fatalf("answered after %v; want %v", took, want)
			}
		})
	}
}
