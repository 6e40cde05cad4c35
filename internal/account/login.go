package account

import (
	"context"
	"errors"
	"slices"

	"github.com/orion-oss/orion/internal/customer"
)

// Login signs in with email and password.
type Login struct {
	Email, Password string
	ClientIP        string // the caller's IP, for the provider's risk checks only (client_ip.go)
}

// SignIn is what a password sign-in gives: the tokens, or the MFA challenge to answer first
// (LoginMFAHandler).
type SignIn struct {
	Tokens Tokens
	Groups []string      // the groups the tokens carry (cognito:groups)
	MFA    *MFAChallenge // set instead of Tokens when the user has TOTP
}

// MFAChallenge asks for a TOTP code; Session is the provider's handle of the half-done sign-in.
type MFAChallenge struct {
	Session string
	// Username is the user's name in the pool (the sub where users sign in by email): the challenge's
	// answer must name the user by it, not by the address, an alias (RespondToAuthChallenge,
	// ChallengeResponses), so the client sends it back with the code.
	Username string
}

// AdminGroup is the group whose members must sign in with MFA.
const AdminGroup = "admin"

// ErrMFASetupRequired: an admin without TOTP gave the right password, and gets no tokens until they
// enrol (SetUpMFAHandler, VerifyMFAHandler).
var ErrMFASetupRequired = errors.New("account: members of the admin group must set up MFA before signing in")

// Authenticator checks passwords.
type Authenticator interface {
	// SignIn checks a password: customer.ErrBadCredentials whether or not the user exists.
	SignIn(ctx context.Context, email, password string) (SignIn, error)
	// Revoke revokes a refresh token (and the tokens issued from it, for the provider's own APIs).
	Revoke(ctx context.Context, refreshToken string) error
}

// LoginHandler signs customers in.
type LoginHandler struct{ pool Authenticator }

// NewLoginHandler builds the handler.
func NewLoginHandler(pool Authenticator) LoginHandler { return LoginHandler{pool: pool} }

// Handle returns the tokens of a sign-in or its MFA challenge, or customer.ErrBadCredentials, one
// answer whether or not the account exists, so that sign-in cannot enumerate users. An address is
// normalized as registration normalized it; one that does not parse goes to the provider as it is, to
// be refused there alike. Tokens of an admin without MFA are revoked, never handed out:
// ErrMFASetupRequired.
func (h LoginHandler) Handle(ctx context.Context, cmd Login) (SignIn, error) {
	ctx = WithClientIP(ctx, cmd.ClientIP)
	email := signInName(cmd.Email)
	if email == "" || cmd.Password == "" {
		return SignIn{}, customer.ErrBadCredentials
	}
	s, err := h.pool.SignIn(ctx, email, cmd.Password)
	if err != nil {
		return SignIn{}, err
	}
	if err := requireAdminMFA(ctx, h.pool, s); err != nil {
		return SignIn{}, err
	}
	return s, nil
}

// requireAdminMFA refuses the tokens of a sign-in that passed without an MFA challenge when they carry
// the admin group: Cognito challenges every user who enrolled TOTP (MfaConfiguration OPTIONAL), so
// tokens without a challenge mean the admin has none. What Cognito issued is revoked; should that
// fail, the tokens are still never shown to anyone. Why here and not in the pool or a trigger:
// docs/adr/0017-admin-mfa-at-orions-login.md.
func requireAdminMFA(ctx context.Context, pool Authenticator, s SignIn) error {
	if s.MFA != nil || !slices.Contains(s.Groups, AdminGroup) {
		return nil
	}
	return errors.Join(ErrMFASetupRequired, pool.Revoke(ctx, s.Tokens.RefreshToken))
}

// signInName is the address as registration stored it, or what was sent when it does not parse.
func signInName(raw string) string {
	if e, err := customer.ParseEmail(raw); err == nil {
		return e.String()
	}
	return raw
}
