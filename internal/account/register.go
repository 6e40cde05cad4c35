package account

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/validation"
)

// Register opens an account.
type Register struct {
	Email, Password, Name string
}

// Registered is the account Register opened.
type Registered struct {
	UserID string
	Email  customer.Email
}

// Registrar creates users.
type Registrar interface {
	// SignUp creates an unconfirmed user and returns its id (the tokens' sub): customer.ErrEmailTaken
	// when the address has an account, a validation error when the provider refuses the password or the
	// address.
	SignUp(ctx context.Context, email customer.Email, password, name string) (userID string, err error)
	// ConfirmUser confirms a user without a code and marks the address verified.
	ConfirmUser(ctx context.Context, email customer.Email) error
}

// RegisterHandler opens accounts.
type RegisterHandler struct {
	pool        Registrar
	autoConfirm bool
}

// NewRegisterHandler builds the handler; autoConfirm confirms users at registration, without the
// emailed code (dev and local stacks: template.yaml AutoConfirmUsers).
func NewRegisterHandler(pool Registrar, autoConfirm bool) RegisterHandler {
	return RegisterHandler{pool: pool, autoConfirm: autoConfirm}
}

// Handle checks the address and the password policy, then the name, and creates the user.
func (h RegisterHandler) Handle(ctx context.Context, cmd Register) (Registered, error) {
	var c validation.Collector
	email, err := customer.ParseEmail(cmd.Email)
	c.Merge("", err)
	c.Merge("", customer.ValidatePassword(cmd.Password))
	if err := c.Err(); err != nil {
		return Registered{}, err
	}
	name := strings.TrimSpace(cmd.Name)
	if n := utf8.RuneCountInString(name); n == 0 || n > 200 {
		return Registered{}, validation.New("name", "is required (at most 200 characters)")
	}
	if problem := validation.PlainText(name); problem != "" {
		return Registered{}, validation.New("name", "%s", problem)
	}
	id, err := h.pool.SignUp(ctx, email, cmd.Password, name)
	if err != nil {
		return Registered{}, err
	}
	if h.autoConfirm {
		if err := h.pool.ConfirmUser(ctx, email); err != nil {
			return Registered{}, err
		}
	}
	return Registered{UserID: id, Email: email}, nil
}
