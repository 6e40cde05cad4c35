package account_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orion-oss/orion/internal/account"
	"github.com/orion-oss/orion/internal/customer"
)

const goodPassword = "Correct-Horse-9"

// Every registration of a well-formed request answers nil, whatever holds the address, and each path
// does what it must: a new address is signed up (and confirmed on auto-confirming stacks); a confirmed
// owner is mailed; an unconfirmed user gets a new code while its code may still be valid and is
// replaced once every code it was sent has expired (CodeValidity).
func TestRegister(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	const ann = "ann@example.com"
	confirmed := map[string]account.Holder{ann: {Exists: true, Confirmed: true, Since: now.Add(-1000 * time.Hour)}}
	young := map[string]account.Holder{ann: {Exists: true, Since: now.Add(-account.CodeValidity + time.Minute)}}
	expired := map[string]account.Holder{ann: {Exists: true, Since: now.Add(-account.CodeValidity)}}
	cmd := account.Register{Email: ann, Password: goodPassword, Name: "Ann"}
	tests := []struct {
		name        string
		cmd         account.Register
		holders     map[string]account.Holder
		autoConfirm bool
		vanish      bool // the holder goes away between SignUp and the lookup
		errs        map[string]error
		err         error
		calls       []string
	}{
		{name: "a new address", cmd: account.Register{Email: " Ann@Example.COM ", Password: goodPassword, Name: " Ann "},
			calls: []string{"SignUp Ann@example.com Ann"}},
		{name: "a new address, auto-confirmed", cmd: cmd, autoConfirm: true,
			calls: []string{"SignUp ann@example.com Ann", "ConfirmUser ann@example.com"}},
		{name: "a confirmed owner is mailed", cmd: cmd, holders: confirmed,
			calls: []string{"SignUp ann@example.com Ann", "Holder ann@example.com", "AccountExists ann@example.com"}},
		{name: "a confirmed owner, auto-confirming", cmd: cmd, holders: confirmed, autoConfirm: true,
			calls: []string{"SignUp ann@example.com Ann", "Holder ann@example.com", "AccountExists ann@example.com"}},
		{name: "an unconfirmed user whose code may be valid gets a new one", cmd: cmd, holders: young,
			calls: []string{"SignUp ann@example.com Ann", "Holder ann@example.com", "ResendCode ann@example.com"}},
		{name: "an unconfirmed user whose codes expired is replaced", cmd: cmd, holders: expired,
			calls: []string{"SignUp ann@example.com Ann", "Holder ann@example.com", "DeleteUser ann@example.com", "SignUp ann@example.com Ann"}},
		{name: "auto-confirming: an unconfirmed user is replaced at once", cmd: cmd, holders: young, autoConfirm: true,
			calls: []string{"SignUp ann@example.com Ann", "Holder ann@example.com", "DeleteUser ann@example.com", "SignUp ann@example.com Ann", "ConfirmUser ann@example.com"}},
		{name: "the holder went away between the calls", cmd: cmd, holders: confirmed, vanish: true,
			calls: []string{"SignUp ann@example.com Ann", "Holder ann@example.com"}},
		// Failures after the address turned out taken are hidden: answering them would tell.
		{name: "the owner's mail fails: same answer", cmd: cmd, holders: confirmed, errs: map[string]error{"AccountExists": customer.ErrTooManyAttempts},
			calls: []string{"SignUp ann@example.com Ann", "Holder ann@example.com", "AccountExists ann@example.com"}},
		{name: "the lookup is throttled: same answer", cmd: cmd, holders: confirmed, errs: map[string]error{"Holder": customer.ErrTooManyAttempts},
			calls: []string{"SignUp ann@example.com Ann", "Holder ann@example.com"}},
		{name: "the resend fails: same answer", cmd: cmd, holders: young, errs: map[string]error{"ResendCode": customer.ErrUnavailable},
			calls: []string{"SignUp ann@example.com Ann", "Holder ann@example.com", "ResendCode ann@example.com"}},
		// Before the address is known, a throttle is everybody's answer.
		{name: "sign-up throttled", cmd: cmd, errs: map[string]error{"SignUp": customer.ErrTooManyAttempts}, err: customer.ErrTooManyAttempts,
			calls: []string{"SignUp ann@example.com Ann"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			holders := map[string]account.Holder{}
			for k, v := range tt.holders {
				holders[k] = v
			}
			p := &pool{holders: holders, errs: tt.errs}
			var users account.Registrar = p
			if tt.vanish {
				users = &vanishing{p}
			}
			h := account.NewRegisterHandler(users, p, tt.autoConfirm, slog.New(slog.DiscardHandler)).WithClock(func() time.Time { return now }, account.Pace{})
			if err := h.Handle(context.Background(), tt.cmd); !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
				t.Fatalf("err %v; want %v", err, tt.err)
			}
			if !slices.Equal(p.calls, tt.calls) {
				t.Fatalf("calls %q; want %q", p.calls, tt.calls)
			}
		})
	}
}

// vanishing is a pool whose user went away between SignUp and the lookup.
type vanishing struct{ *pool }

func (v *vanishing) Holder(ctx context.Context, email customer.Email) (account.Holder, error) {
	_, err := v.pool.Holder(ctx, email)
	return account.Holder{}, err
}

// Every path answers exactly when the floor has passed since the request began, however many calls
// it made; a request refused for its fields answers at once (it says nothing about the address).
func TestRegisterAnswersAtTheFloor(t *testing.T) {
	start := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	const ann = "ann@example.com"
	paths := map[string]map[string]account.Holder{
		"new":         nil,
		"owner":       {ann: {Exists: true, Confirmed: true}},
		"unconfirmed": {ann: {Exists: true, Since: start.Add(-time.Hour)}},
		"expired":     {ann: {Exists: true, Since: start.Add(-48 * time.Hour)}},
	}
	for name, holders := range paths {
		for _, auto := range []bool{false, true} {
			c := &clock{t: start}
			p := &pool{holders: holders, clock: c}
			h := account.NewRegisterHandler(p, p, auto, slog.New(slog.DiscardHandler)).WithClock(c.now, c.pace(account.RegisterFloor))
			if err := h.Handle(context.Background(), account.Register{Email: ann, Password: goodPassword, Name: "Ann"}); err != nil {
				t.Fatal(err)
			}
			if took := c.t.Sub(start); took != account.RegisterFloor {
				t.Errorf("%s (auto-confirm %v): answered after %v with %d calls; want %v", name, auto, took, len(p.calls), account.RegisterFloor)
			}
			if worst := 6 * callTime; len(p.calls) > 6 {
				t.Errorf("%s: %d calls; the floor was set for at most 6 (%v)", name, len(p.calls), worst)
			}
		}
	}
	c := &clock{t: start}
	h := account.NewRegisterHandler(&pool{clock: c}, &pool{}, false, slog.New(slog.DiscardHandler)).WithClock(c.now, c.pace(account.RegisterFloor))
	if err := h.Handle(context.Background(), account.Register{Email: "nope", Password: goodPassword, Name: "Ann"}); err == nil || c.t != start {
		t.Fatalf("a refused request: %v after %v", err, c.t.Sub(start))
	}
}

func TestRegisterRefusals(t *testing.T) {
	tests := []struct {
		name   string
		cmd    account.Register
		fields []string // the validation problems, in order
	}{
		{name: "address and password first", cmd: account.Register{Email: "nope", Password: "short", Name: ""}, fields: []string{"email", "password"}},
		{name: "then the name", cmd: account.Register{Email: "ann@example.com", Password: goodPassword, Name: "  "}, fields: []string{"name"}},
		{name: "name too long", cmd: account.Register{Email: "ann@example.com", Password: goodPassword, Name: strings.Repeat("é", 201)}, fields: []string{"name"}},
		{name: "name with a newline", cmd: account.Register{Email: "ann@example.com", Password: goodPassword, Name: "Ann\nBob"}, fields: []string{"name"}},
		{name: "name with an escape", cmd: account.Register{Email: "ann@example.com", Password: goodPassword, Name: "Ann\x1b[31m"}, fields: []string{"name"}},
		{name: "name with a C1 control", cmd: account.Register{Email: "ann@example.com", Password: goodPassword, Name: "Ann\u009b"}, fields: []string{"name"}},
		{name: "name with an override", cmd: account.Register{Email: "ann@example.com", Password: goodPassword, Name: "Ann\u202enimda"}, fields: []string{"name"}},
		{name: "name with an isolate", cmd: account.Register{Email: "ann@example.com", Password: goodPassword, Name: "\u2067Ann"}, fields: []string{"name"}},
		{name: "name with a mark", cmd: account.Register{Email: "ann@example.com", Password: goodPassword, Name: "Ann\u200f"}, fields: []string{"name"}},
		{name: "name stored trimmed, any script", cmd: account.Register{Email: "ann@example.com", Password: goodPassword, Name: "\u3000 Zoë 東京 "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &pool{}
			err := account.NewRegisterHandler(p, p, false, slog.New(slog.DiscardHandler)).WithClock(time.Now, account.Pace{}).Handle(context.Background(), tt.cmd)
			if f := fields(err); !slices.Equal(f, tt.fields) || (tt.fields == nil && err != nil) {
				t.Fatalf("problems %v (%v); want %v", f, err, tt.fields)
			}
			if tt.fields == nil && !slices.Equal(p.calls, []string{"SignUp ann@example.com Zoë 東京"}) {
				t.Fatalf("calls %q", p.calls)
			}
			if tt.fields != nil && len(p.calls) != 0 {
				t.Fatalf("a refused request called %q", p.calls)
			}
		})
	}
}
