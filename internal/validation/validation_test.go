package validation_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/orion-oss/orion/internal/validation"
)

func TestCollectorPaths(t *testing.T) {
	var c validation.Collector
	c.Add("paymentToken", "is required")
	c.Merge("items[0]", validation.New("quantity", "must be between %d and %d", 1, 1000))
	c.Merge(validation.Index("items", 2), validation.Errors{{Field: "sku", Message: "bad"}, {Field: "[0]", Message: "x"}})
	c.Merge("shippingAddress", errors.New("plain"))
	c.Merge("ignored", nil)
	err := c.Err()
	var ve validation.Errors
	if !errors.As(err, &ve) || !errors.Is(err, validation.ErrInvalid) {
		t.Fatalf("err = %v", err)
	}
	want := "[{paymentToken is required} {items[0].quantity must be between 1 and 1000} {items[2].sku bad} {items[2][0] x} {shippingAddress plain}]"
	if got := fmt.Sprint([]validation.Problem(ve)); got != want {
		t.Fatalf("problems = %s\nwant       %s", got, want)
	}
	var empty validation.Collector
	if empty.Err() != nil {
		t.Fatal("an empty collector is an error")
	}
}

func TestUnsafeRune(t *testing.T) {
	tests := []struct {
		s    string
		bad  bool
		rune rune
	}{
		{"Zoë Ågren", false, 0},
		{"東京 100-0001", false, 0},
		{"O'Brien-Smith, Jr.", false, 0},
		{"שלום", false, 0},     // right-to-left letters are text, not formatting
		{"a\u200db", false, 0}, // zero-width joiner: needed by some scripts
		{"a\nb", true, '\n'},
		{"a\tb", true, '\t'},
		{"\x00", true, 0},
		{"\x7f", true, 0x7f},
		{"\u0085", true, 0x85},
		{"\u200e", true, 0x200e},
		{"\u200f", true, 0x200f},
		{"\u061c", true, 0x061c},
		{"\u202a", true, 0x202a},
		{"\u202b", true, 0x202b},
		{"\u202c", true, 0x202c},
		{"\u202d", true, 0x202d},
		{"x\u202ey", true, 0x202e},
		{"\u2066", true, 0x2066},
		{"\u2067", true, 0x2067},
		{"\u2068", true, 0x2068},
		{"\u2069", true, 0x2069},
	}
	for _, tt := range tests {
		r, bad := validation.UnsafeRune(tt.s)
		if bad != tt.bad || r != tt.rune {
			t.Errorf("UnsafeRune(%q) = %U, %t; want %U, %t", tt.s, r, bad, tt.rune, tt.bad)
		}
		if (validation.PlainText(tt.s) != "") != tt.bad {
			t.Errorf("PlainText(%q) = %q", tt.s, validation.PlainText(tt.s))
		}
	}
}
