package account

import (
	"context"
	"errors"

	"github.com/orion-oss/orion/internal/customer"
)

// ChangeEmail asks for the signed-in customer's address to change; the new one takes effect once
// verified (VerifyEmailHandler). Username is the caller's, from the verified token.
type ChangeEmail struct {
	Username, Email string
}

// EmailChanger changes addresses.
type EmailChanger interface {
	// ChangeEmail records the new address as pending and mails it a code; the old one stays until
	// the code is confirmed. verified marks the new address verified at once (auto-confirming
	// stacks, which mail no codes). customer.ErrEmailTaken when another account has it.
	ChangeEmail(ctx context.Context, username string, email customer.Email, verified bool) error
}

// ChangeEmailHandler changes addresses.
type ChangeEmailHandler struct {
	pool        EmailChanger
	autoConfirm bool
	pace        Pace
}

// NewChangeEmailHandler builds the handler; autoConfirm is the stack's AutoConfirmUsers, where no
// verification code is ever mailed, so the new address is taken as verified, as registration takes
// the first one (RegisterHandler).
func NewChangeEmailHandler(pool EmailChanger, autoConfirm bool) ChangeEmailHandler {
	return ChangeEmailHandler{pool: pool, autoConfirm: autoConfirm, pace: NewPace(CodeFloor)}
}

// WithPace sets the pace of the answers (tests).
func (h ChangeEmailHandler) WithPace(p Pace) ChangeEmailHandler { h.pace = p; return h }

// Handle checks the address as registration does and asks for the change. An address another account
// has gets the same answer and changes nothing: no code reaches it, so the change never completes, and
// a signed-in caller cannot test addresses for accounts (issue 20: no endpoint reveals existence).
// Nor by timing: a taken address is refused at once, a free one is written and mailed a code, so the
// answer comes no sooner than the code endpoints' floor (CodeFloor), as theirs do.
func (h ChangeEmailHandler) Handle(ctx context.Context, cmd ChangeEmail) (customer.Email, error) {
	email, err := customer.ParseEmail(cmd.Email)
	if err != nil {
		return customer.Email{}, err
	}
	if cmd.Username == "" {
		return customer.Email{}, customer.ErrBadCredentials
	}
	defer h.pace.Start(ctx)()
	if err := h.pool.ChangeEmail(ctx, cmd.Username, email, h.autoConfirm); err != nil && !errors.Is(err, customer.ErrEmailTaken) {
		return customer.Email{}, err
	}
	return email, nil
}
