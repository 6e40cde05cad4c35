// Package customer holds the value objects that identify a customer, the ID (the Cognito user's sub) and
// a validated Email, and the rules of a customer's account: the password policy and the answers
// registration and sign-in give (mapped to HTTP statuses by package web).
package customer

import (
	"errors"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/orion-oss/orion/internal/validation"
)

// ID is the customer's identity: the `sub` claim of their Cognito token. It is opaque to Orion.
type ID string

// ParseID validates an ID taken from a token or from storage.
func ParseID(s string) (ID, error) {
	switch {
	case s == "":
		return "", validation.New("customerId", "is required")
	case len(s) > 128:
		return "", validation.New("customerId", "must be at most 128 bytes")
	case !utf8.ValidString(s) || strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) >= 0:
		return "", validation.New("customerId", "must not contain spaces or control characters")
	}
	return ID(s), nil
}

func (id ID) String() string { return string(id) }

// Email is a single mailbox address, normalised (trimmed, domain lower-cased).
type Email struct{ addr string }

// MaxEmailLength is RFC 5321's limit on a forward path.
const MaxEmailLength = 254

// ParseEmail validates an address as a customer types it: no display name ("Ann <a@b.c>"), a local part
// and a domain with a dot, at most 254 bytes.
func ParseEmail(s string) (Email, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Email{}, validation.New("email", "is required")
	}
	if len(s) > MaxEmailLength {
		return Email{}, validation.New("email", "must be at most %d characters", MaxEmailLength)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return Email{}, validation.New("email", "must be an email address like name@example.com")
	}
	at := strings.LastIndexByte(s, '@')
	local, domain := s[:at], strings.ToLower(s[at+1:])
	if local == "" || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") ||
		strings.HasPrefix(domain, "[") {
		return Email{}, validation.New("email", "must be an email address like name@example.com")
	}
	return Email{addr: local + "@" + domain}, nil
}

// String is the full address. Do not log it: use Masked.
func (e Email) String() string { return e.addr }

// IsZero reports whether the email is unset.
func (e Email) IsZero() bool { return e.addr == "" }

// Masked keeps the first character of the local part and the domain ("j***@example.com"), enough to
// follow a case in logs without writing personal data into them.
func (e Email) Masked() string {
	at := strings.LastIndexByte(e.addr, '@')
	if at <= 0 {
		return "***"
	}
	r, _ := utf8.DecodeRuneInString(e.addr)
	return string(r) + "***" + e.addr[at:]
}

// Errors of registration and sign-in, whatever the identity provider.
var (
	// ErrEmailTaken: an account exists for the address (409).
	ErrEmailTaken = errors.New("customer: an account with this email already exists")
	// ErrBadCredentials is one answer for every failed sign-in, whether or not the user exists (401).
	ErrBadCredentials = errors.New("customer: incorrect email or password")
	// ErrBadCode: the confirmation code is wrong or expired (400).
	ErrBadCode = errors.New("customer: invalid or expired confirmation code")
	// ErrTooManyAttempts: the identity provider refuses more attempts for now, or cannot answer (429
	// with Retry-After). Never a 5xx: an anonymous caller must not be able to produce one.
	ErrTooManyAttempts = errors.New("customer: too many attempts; try again later")
	// ErrUnavailable: the identity provider refuses the call because of Orion's own configuration or
	// the pool's (a missing app client, a refused role, a trigger). The client sees what it sees for
	// ErrTooManyAttempts (429, Retry-After), never a 5xx; the log says it is an operator's matter.
	ErrUnavailable = errors.New("customer: the identity provider cannot take this request now")
)

// ValidatePassword applies the pool's policy before Cognito does, so the client gets a field-level
// answer: 12-256 characters with a lower-case and an upper-case letter, a digit and a symbol.
func ValidatePassword(p string) error {
	var lower, upper, digit, symbol bool
	for _, r := range p {
		switch {
		case unicode.IsLower(r):
			lower = true
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsDigit(r):
			digit = true
		case unicode.IsPunct(r) || unicode.IsSymbol(r):
			symbol = true
		}
	}
	if n := utf8.RuneCountInString(p); n < 12 || n > 256 || !lower || !upper || !digit || !symbol {
		return validation.New("password", "must be 12-256 characters with a lower-case and an upper-case letter, a digit and a symbol")
	}
	return nil
}
