package account

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/validation"
)

// TOTP (RFC 6238) for the sign-in of admins: answering the login's challenge, and the enrolment that
// an admin without it must go through (an ordinary customer may enrol too).

// ErrMFAEnabled: the account has TOTP already. Replacing it takes more than the password (a thief of
// the password would otherwise move the second factor to their own phone).
var ErrMFAEnabled = errors.New("account: MFA is already set up for this account")

// LoginMFA answers a login's MFA challenge.
type LoginMFA struct {
	// Username is the challenge's (MFAChallenge.Username); Email stands in for it where the pool takes
	// the address itself (the emulator does).
	Email, Username, Session, Code string
	ClientIP                       string // the caller's IP, for the provider's risk checks only (client_ip.go)
}

// MFAResponder answers MFA challenges.
type MFAResponder interface {
	// RespondMFA answers a TOTP challenge: customer.ErrBadCode for a wrong code,
	// customer.ErrBadCredentials for an expired or used session.
	RespondMFA(ctx context.Context, username, session, code string) (SignIn, error)
}

// LoginMFAHandler completes sign-ins with a TOTP code.
type LoginMFAHandler struct{ pool MFAResponder }

// NewLoginMFAHandler builds the handler.
func NewLoginMFAHandler(pool MFAResponder) LoginMFAHandler { return LoginMFAHandler{pool: pool} }

// Handle returns the tokens of the completed sign-in.
func (h LoginMFAHandler) Handle(ctx context.Context, cmd LoginMFA) (Tokens, error) {
	ctx = WithClientIP(ctx, cmd.ClientIP)
	email := signInName(cmd.Email)
	if email == "" || cmd.Session == "" || len(cmd.Session) > 4096 {
		return Tokens{}, customer.ErrBadCredentials
	}
	if err := checkTOTP(cmd.Code); err != nil {
		return Tokens{}, err
	}
	name := email
	if u := strings.TrimSpace(cmd.Username); u != "" && len(u) <= 128 {
		name = u
	}
	s, err := h.pool.RespondMFA(ctx, name, cmd.Session, cmd.Code)
	if err != nil {
		return Tokens{}, err
	}
	if s.MFA != nil { // the code was taken but another is asked: no tokens, one more try
		return Tokens{}, customer.ErrBadCode
	}
	return s.Tokens, nil
}

// checkTOTP accepts the six digits an authenticator app shows (Cognito's TOTP codes are six digits).
func checkTOTP(code string) error {
	if len(code) != 6 {
		return validation.New("code", "must be the 6 digits of the authenticator app")
	}
	for _, c := range code {
		if c < '0' || c > '9' {
			return validation.New("code", "must be the 6 digits of the authenticator app")
		}
	}
	return nil
}

// MFAEnroller enrols TOTP authenticators.
type MFAEnroller interface {
	Authenticator
	// AssociateTOTP starts an enrolment and returns the shared secret (base32).
	AssociateTOTP(ctx context.Context, accessToken string) (secret string, err error)
	// VerifyTOTP completes it with a code and makes TOTP the user's MFA: customer.ErrBadCode.
	VerifyTOTP(ctx context.Context, accessToken, code string) error
}

// SetUpMFA starts a TOTP enrolment; the password proves the account (the admin has no tokens).
type SetUpMFA struct {
	Email, Password string
	ClientIP        string // the caller's IP, for the provider's risk checks only (client_ip.go)
}

// MFASecret is what an authenticator app needs: the secret, also as an otpauth:// URI for a QR code.
type MFASecret struct {
	Secret, URI string
}

// Issuer names Orion in the authenticator app.
const Issuer = "Orion"

// SetUpMFAHandler starts enrolments.
type SetUpMFAHandler struct{ pool MFAEnroller }

// NewSetUpMFAHandler builds the handler.
func NewSetUpMFAHandler(pool MFAEnroller) SetUpMFAHandler { return SetUpMFAHandler{pool: pool} }

// Handle signs in with the password, asks the provider for a new secret and revokes the sign-in's
// tokens: the enrolment hands out none. ErrMFAEnabled when the account has TOTP already.
func (h SetUpMFAHandler) Handle(ctx context.Context, cmd SetUpMFA) (MFASecret, error) {
	ctx = WithClientIP(ctx, cmd.ClientIP)
	email, s, err := enrolSignIn(ctx, h.pool, cmd.Email, cmd.Password)
	if err != nil {
		return MFASecret{}, err
	}
	secret, err := h.pool.AssociateTOTP(ctx, s.Tokens.AccessToken)
	if err = errors.Join(err, h.pool.Revoke(ctx, s.Tokens.RefreshToken)); err != nil {
		return MFASecret{}, err
	}
	return MFASecret{Secret: secret, URI: OTPAuthURI(email, secret)}, nil
}

// OTPAuthURI is the Key Uri Format authenticator apps read
// (github.com/google/google-authenticator/wiki/Key-Uri-Format).
func OTPAuthURI(account, secret string) string {
	v := url.Values{"secret": {secret}, "issuer": {Issuer}, "algorithm": {"SHA1"}, "digits": {"6"}, "period": {"30"}}
	return "otpauth://totp/" + url.PathEscape(Issuer+":"+account) + "?" + v.Encode()
}

// VerifyMFA completes an enrolment with the first code of the app.
type VerifyMFA struct {
	Email, Password, Code string
	ClientIP              string // the caller's IP, for the provider's risk checks only (client_ip.go)
}

// VerifyMFAHandler completes enrolments.
type VerifyMFAHandler struct{ pool MFAEnroller }

// NewVerifyMFAHandler builds the handler.
func NewVerifyMFAHandler(pool MFAEnroller) VerifyMFAHandler { return VerifyMFAHandler{pool: pool} }

// Handle checks the code against the secret of SetUpMFA and switches TOTP on; the sign-in's tokens are
// revoked, so the next login meets the challenge. customer.ErrBadCode for a wrong code.
func (h VerifyMFAHandler) Handle(ctx context.Context, cmd VerifyMFA) error {
	ctx = WithClientIP(ctx, cmd.ClientIP)
	if err := checkTOTP(cmd.Code); err != nil {
		return err
	}
	_, s, err := enrolSignIn(ctx, h.pool, cmd.Email, cmd.Password)
	if err != nil {
		return err
	}
	return errors.Join(h.pool.VerifyTOTP(ctx, s.Tokens.AccessToken, cmd.Code), h.pool.Revoke(ctx, s.Tokens.RefreshToken))
}

// enrolSignIn signs in for an enrolment: tokens when the account has no TOTP yet.
func enrolSignIn(ctx context.Context, pool Authenticator, rawEmail, password string) (string, SignIn, error) {
	email := signInName(rawEmail)
	if email == "" || password == "" {
		return "", SignIn{}, customer.ErrBadCredentials
	}
	s, err := pool.SignIn(ctx, email, password)
	switch {
	case err != nil:
		return "", SignIn{}, err
	case s.MFA != nil:
		return "", SignIn{}, ErrMFAEnabled
	}
	return email, s, nil
}
