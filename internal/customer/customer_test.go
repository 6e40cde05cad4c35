package customer_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/validation"
)

func TestParseEmail(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"ann@example.com", "ann@example.com"},
		{"  Ann.Lee+orders@Example.COM ", "Ann.Lee+orders@example.com"},
		{"a@b.co", "a@b.co"},
	}
	for _, tt := range tests {
		e, err := customer.ParseEmail(tt.in)
		if err != nil || e.String() != tt.want {
			t.Errorf("ParseEmail(%q) = %q, %v; want %q", tt.in, e, err, tt.want)
		}
	}
	for _, bad := range []string{"", "ann", "ann@", "@example.com", "ann@localhost", "Ann <ann@example.com>", "ann@example.com.",
		"ann@[127.0.0.1]", "a b@example.com", strings.Repeat("a", 250) + "@example.com"} {
		if e, err := customer.ParseEmail(bad); !errors.Is(err, validation.ErrInvalid) {
			t.Errorf("ParseEmail(%q) = %q, %v; want a validation error", bad, e, err)
		}
	}
}

func TestMasked(t *testing.T) {
	e, _ := customer.ParseEmail("jane.doe@example.com")
	if got := e.Masked(); got != "j***@example.com" {
		t.Fatalf("Masked = %q", got)
	}
	if got := (customer.Email{}).Masked(); got != "***" {
		t.Fatalf("zero Masked = %q", got)
	}
}

func TestParseID(t *testing.T) {
	if _, err := customer.ParseID("6f1c-42"); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "a b", "x\n", strings.Repeat("x", 129)} {
		if _, err := customer.ParseID(bad); !errors.Is(err, validation.ErrInvalid) {
			t.Errorf("ParseID(%q) = %v", bad, err)
		}
	}
}

func FuzzParseEmail(f *testing.F) {
	f.Add("ann@example.com")
	f.Add("\"quoted\"@example.com")
	f.Fuzz(func(t *testing.T, s string) {
		e, err := customer.ParseEmail(s)
		if err != nil {
			return
		}
		again, err := customer.ParseEmail(e.String())
		if err != nil || again != e {
			t.Fatalf("normalised %q -> %q does not parse to itself: %v", s, e, err)
		}
		if m := e.Masked(); strings.Contains(m, e.String()) && len(e.String()) > 4 {
			t.Fatalf("Masked(%q) = %q reveals the address", e, m)
		}
	})
}

func TestValidatePassword(t *testing.T) {
	tests := []struct {
		name, password string
		ok             bool
	}{
		{"every class, 12 characters", "Abcdefgh1!xy", true},
		{"256 characters", "Aa1!" + strings.Repeat("x", 252), true},
		{"11 characters", "Abcdefg1!xy", false},
		{"257 characters", "Aa1!" + strings.Repeat("x", 253), false},
		{"no upper case", "abcdefgh1!xy", false},
		{"no lower case", "ABCDEFGH1!XY", false},
		{"no digit", "Abcdefghi!xy", false},
		{"no symbol", "Abcdefgh12xy", false},
		{"letters beyond ASCII count once each", "Ééééééé1!xyz", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := customer.ValidatePassword(tt.password)
			if tt.ok != (err == nil) {
				t.Fatalf("ValidatePassword(%q) = %v; want ok %v", tt.password, err, tt.ok)
			}
			var ve validation.Errors
			if err != nil && (!errors.As(err, &ve) || ve[0].Field != "password") {
				t.Fatalf("error %v does not name the password field", err)
			}
		})
	}
}
