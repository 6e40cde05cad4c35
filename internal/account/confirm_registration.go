package account

import (
	"context"

	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/validation"
)

// ConfirmRegistration completes a registration with the code the provider emailed.
type ConfirmRegistration struct {
	Email, Code string
	ClientIP    string // the caller's IP, for the provider's risk checks only (client_ip.go)
}

// Confirmer confirms users.
type Confirmer interface {
	// ConfirmSignUp confirms a user with the emailed code: customer.ErrBadCode for a wrong or expired
	// code, an unknown user or a confirmed one.
	ConfirmSignUp(ctx context.Context, email customer.Email, code string) error
}

// ConfirmRegistrationHandler confirms registrations.
type ConfirmRegistrationHandler struct {
	pool Confirmer
	pace Pace
}

// NewConfirmRegistrationHandler builds the handler.
func NewConfirmRegistrationHandler(pool Confirmer) ConfirmRegistrationHandler {
	return ConfirmRegistrationHandler{pool: pool, pace: NewPace(CodeFloor)}
}

// WithPace sets the pace of the answers (tests).
func (h ConfirmRegistrationHandler) WithPace(p Pace) ConfirmRegistrationHandler { h.pace = p; return h }

// Handle confirms the account: customer.ErrBadCode for a wrong or expired code, an unknown address and
// a confirmed one alike, no sooner than the floor.
func (h ConfirmRegistrationHandler) Handle(ctx context.Context, cmd ConfirmRegistration) error {
	ctx = WithClientIP(ctx, cmd.ClientIP)
	email, err := customer.ParseEmail(cmd.Email)
	if err != nil {
		return err
	}
	if cmd.Code == "" || len(cmd.Code) > 16 {
		return validation.New("code", "is required")
	}
	defer h.pace.Start(ctx)()
	return h.pool.ConfirmSignUp(ctx, email, cmd.Code)
}
