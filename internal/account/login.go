package account

import (
	"context"

	"github.com/orion-oss/orion/internal/customer"
)

// Login signs in with email and password.
type Login struct {
	Email, Password string
}

// Authenticator checks passwords.
type Authenticator interface {
	// SignIn checks a password: customer.ErrBadCredentials whether or not the user exists.
	SignIn(ctx context.Context, email, password string) (Tokens, error)
}

// LoginHandler signs customers in.
type LoginHandler struct{ pool Authenticator }

// NewLoginHandler builds the handler.
func NewLoginHandler(pool Authenticator) LoginHandler { return LoginHandler{pool: pool} }

// Handle returns the tokens of a sign-in, or customer.ErrBadCredentials, one answer whether or not the
// account exists, so that sign-in cannot enumerate users. An address is normalized as registration
// normalized it; one that does not parse goes to the provider as it is, to be refused there alike.
func (h LoginHandler) Handle(ctx context.Context, cmd Login) (Tokens, error) {
	email := cmd.Email
	if e, err := customer.ParseEmail(cmd.Email); err == nil {
		email = e.String()
	}
	if email == "" || cmd.Password == "" {
		return Tokens{}, customer.ErrBadCredentials
	}
	return h.pool.SignIn(ctx, email, cmd.Password)
}
