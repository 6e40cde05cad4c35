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
	// the code is confirmed. customer.ErrEmailTaken when another account has it.
	ChangeEmail(ctx context.Context, username string, email customer.Email) error
}

// ChangeEmailHandler changes addresses.
type ChangeEmailHandler struct{ pool EmailChanger }

// NewChangeEmailHandler builds the handler.
func NewChangeEmailHandler(pool EmailChanger) ChangeEmailHandler {
	return ChangeEmailHandler{pool: pool}
}

// Handle checks the address as registration does and asks for the change. An address another account
// has gets the same answer and changes nothing: no code reaches it, so the change never completes, and
// a signed-in caller cannot test addresses for accounts (issue 20: no endpoint reveals existence).
func (h ChangeEmailHandler) Handle(ctx context.Context, cmd ChangeEmail) (customer.Email, error) {
	email, err := customer.ParseEmail(cmd.Email)
	if err != nil {
		return customer.Email{}, err
	}
	if cmd.Username == "" {
		return customer.Email{}, customer.ErrBadCredentials
	}
	if err := h.pool.ChangeEmail(ctx, cmd.Username, email); err != nil && !errors.Is(err, customer.ErrEmailTaken) {
		return customer.Email{}, err
	}
	return email, nil
}
