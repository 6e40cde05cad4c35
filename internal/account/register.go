package account

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/validation"
)

// Register opens an account.
type Register struct {
	Email, Password, Name string
	ClientIP              string // the caller's IP, for the provider's risk checks only (client_ip.go)
}

// CodeValidity is how long a sign-up confirmation code lasts: "The code or link is valid for 24
// hours" (docs.aws.amazon.com/cognito/latest/developerguide/signing-up-users-in-your-app.html,
// "Overview of user account confirmation", Confirmed). An unconfirmed user older than this can no
// longer be confirmed with any code it was sent, so a new registration of its address replaces it.
const CodeValidity = 24 * time.Hour

// Holder is the user that holds an address, as registration needs to know it.
type Holder struct {
	Exists    bool
	Confirmed bool      // any status but unconfirmed: confirmed, created by an admin, to reset
	Since     time.Time // when its latest confirmation code can have been sent
}

// Registrar creates users.
type Registrar interface {
	// SignUp creates an unconfirmed user: customer.ErrEmailTaken when the address has a user, a
	// validation error when the provider refuses the password or the address.
	SignUp(ctx context.Context, email customer.Email, password, name string) error
	// Holder tells who holds an address (Exists false if nobody).
	Holder(ctx context.Context, email customer.Email) (Holder, error)
	// DeleteUser deletes the user of an address; none is not an error.
	DeleteUser(ctx context.Context, email customer.Email) error
	CodeResender
	// ConfirmUser confirms a user without a code and marks the address verified.
	ConfirmUser(ctx context.Context, email customer.Email) error
}

// OwnerMailer tells the owner of an address that someone tried to open an account with it.
type OwnerMailer interface {
	AccountExists(ctx context.Context, email customer.Email) error
}

// RegisterHandler opens accounts.
type RegisterHandler struct {
	pool        Registrar
	owners      OwnerMailer
	autoConfirm bool
	log         *slog.Logger
	pace        Pace
	now         func() time.Time
}

// NewRegisterHandler builds the handler; autoConfirm confirms users at registration, without the
// emailed code (dev and local stacks: template.yaml AutoConfirmUsers). log receives what the one
// answer hides (a failure after the address turned out to be taken).
func NewRegisterHandler(pool Registrar, owners OwnerMailer, autoConfirm bool, log *slog.Logger) RegisterHandler {
	return RegisterHandler{pool: pool, owners: owners, autoConfirm: autoConfirm, log: log, pace: NewPace(RegisterFloor), now: time.Now}
}

// WithClock sets the clock that ages unconfirmed users and the pace of the answers (tests).
func (h RegisterHandler) WithClock(now func() time.Time, pace Pace) RegisterHandler {
	h.now, h.pace = now, pace
	return h
}

// Handle checks the address and the password policy, then the name, and opens the account. It has one
// answer, nil, whatever holds the address: a new address gets a confirmation code (or, auto-confirmed,
// an account at once); a confirmed owner a mail saying they have an account; an unconfirmed user a new
// code, or, once every code it was sent has expired, is replaced by this registration. The answer
// comes no sooner than the pace's floor, so its time does not tell the paths apart either. Only a
// refusal of the request itself (a field, or the provider refusing or throttling SignUp before it
// could know the address) is an error.
func (h RegisterHandler) Handle(ctx context.Context, cmd Register) error {
	ctx = WithClientIP(ctx, cmd.ClientIP)
	var c validation.Collector
	email, err := customer.ParseEmail(cmd.Email)
	c.Merge("", err)
	c.Merge("", customer.ValidatePassword(cmd.Password))
	if err := c.Err(); err != nil {
		return err
	}
	name := strings.TrimSpace(cmd.Name)
	if n := utf8.RuneCountInString(name); n == 0 || n > 200 {
		return validation.New("name", "is required (at most 200 characters)")
	}
	if problem := validation.PlainText(name); problem != "" {
		return validation.New("name", "%s", problem)
	}
	defer h.pace.Start(ctx)()
	err = h.pool.SignUp(ctx, email, cmd.Password, name)
	switch {
	case err == nil:
		return h.confirm(ctx, email)
	case !errors.Is(err, customer.ErrEmailTaken):
		return err
	}
	// From here on the address is known to be taken: whatever fails is logged, not answered.
	if err := h.taken(ctx, email, cmd.Password, name); err != nil {
		h.log.WarnContext(ctx, "registration of a taken address did not complete", "email", email.Masked(), "error", err)
	}
	return nil
}

func (h RegisterHandler) confirm(ctx context.Context, email customer.Email) error {
	if !h.autoConfirm {
		return nil
	}
	return h.pool.ConfirmUser(ctx, email)
}

// taken deals with an address that has a user.
func (h RegisterHandler) taken(ctx context.Context, email customer.Email, password, name string) error {
	u, err := h.pool.Holder(ctx, email)
	switch {
	case err != nil:
		return err
	case !u.Exists:
		return nil // deleted since SignUp; the next registration finds the address free
	case u.Confirmed:
		return h.owners.AccountExists(ctx, email)
	// Auto-confirming stacks mail no codes (no auto-verified attribute), so an unconfirmed user there
	// is a registration that stopped between SignUp and ConfirmUser: nothing can ever confirm it.
	case !h.autoConfirm && h.now().Sub(u.Since) < CodeValidity:
		// Its code may still be in the owner's mailbox: send a new one, and keep the password of the
		// registration that is waiting (a stranger cannot replace it before the code expires).
		return h.pool.ResendCode(ctx, email)
	}
	if err := h.pool.DeleteUser(ctx, email); err != nil {
		return err
	}
	err = h.pool.SignUp(ctx, email, password, name)
	if errors.Is(err, customer.ErrEmailTaken) {
		return nil // a concurrent registration replaced it first
	}
	if err != nil {
		return err
	}
	return h.confirm(ctx, email)
}
