package account

import (
	"context"

	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/validation"
)

// ConfirmRegistration completes a registration with the code the provider emailed.
type ConfirmRegistration struct {
	Email, Code string
}

// Confirmer confirms users.
type Confirmer interface {
	// ConfirmSignUp confirms a user with the emailed code: customer.ErrBadCode for a wrong or expired
	// code, or an unknown user.
	ConfirmSignUp(ctx context.Context, email customer.Email, code string) error
}

// ConfirmRegistrationHandler confirms registrations.
type ConfirmRegistrationHandler struct{ pool Confirmer }

// NewConfirmRegistrationHandler builds the handler.
func NewConfirmRegistrationHandler(pool Confirmer) ConfirmRegistrationHandler {
	return ConfirmRegistrationHandler{pool: pool}
}

// Handle confirms the account: customer.ErrBadCode for a wrong or expired code.
func (h ConfirmRegistrationHandler) Handle(ctx context.Context, cmd ConfirmRegistration) error {
	email, err := customer.ParseEmail(cmd.Email)
	if err != nil {
		return err
	}
	if cmd.Code == "" || len(cmd.Code) > 16 {
		return validation.New("code", "is required")
	}
	return h.pool.ConfirmSignUp(ctx, email, cmd.Code)
}
