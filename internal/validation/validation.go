// Package validation holds the error type every domain constructor returns for bad input: a list of
// problems, each with the field path the client sent (items[0].quantity), so the HTTP layer can answer
// RFC 9457 problem+json with every problem at once instead of one per round trip.
package validation

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalid is wrapped by every validation error, for errors.Is.
var ErrInvalid = errors.New("invalid input")

// Problem is one invalid field.
type Problem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Errors is a non-empty list of problems.
type Errors []Problem

func (e Errors) Error() string {
	parts := make([]string, len(e))
	for i, p := range e {
		parts[i] = p.Field + ": " + p.Message
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e Errors) Unwrap() error { return ErrInvalid }

// New is a single-problem error.
func New(field, format string, args ...any) error {
	return Errors{{Field: field, Message: fmt.Sprintf(format, args...)}}
}

// Collector accumulates problems under a path prefix.
type Collector struct {
	problems Errors
}

// Add records a problem.
func (c *Collector) Add(field, format string, args ...any) {
	c.problems = append(c.problems, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Merge records the problems of err under prefix (items[3] + .quantity), or err itself when it is not a
// validation error.
func (c *Collector) Merge(prefix string, err error) {
	if err == nil {
		return
	}
	var ve Errors
	if !errors.As(err, &ve) {
		c.Add(prefix, "%v", err)
		return
	}
	for _, p := range ve {
		c.problems = append(c.problems, Problem{Field: Join(prefix, p.Field), Message: p.Message})
	}
}

// Err returns the accumulated problems, or nil.
func (c *Collector) Err() error {
	if len(c.problems) == 0 {
		return nil
	}
	return c.problems
}

// Join builds a field path: Join("items[0]", "quantity") is "items[0].quantity".
func Join(prefix, field string) string {
	switch {
	case prefix == "":
		return field
	case field == "":
		return prefix
	case strings.HasPrefix(field, "["):
		return prefix + field
	default:
		return prefix + "." + field
	}
}

// Index builds "name[i]".
func Index(name string, i int) string { return fmt.Sprintf("%s[%d]", name, i) }

// UnsafeRune returns the first rune of s that a name or an address must not hold, and whether there is
// one: a control character (C0, DEL, C1: a line break in a label, an escape in a terminal or a log) or a
// bidirectional mark, embedding, override or isolate (U+200E, U+200F, U+061C, U+202A-U+202E,
// U+2066-U+2069), which make text display in another order than it is stored (a shipping label, the
// admin's view and the mail would show another address than the one kept).
func UnsafeRune(s string) (rune, bool) {
	for _, r := range s {
		switch {
		case r < 0x20, r >= 0x7f && r < 0xa0,
			r == 0x200e, r == 0x200f, r == 0x061c,
			r >= 0x202a && r <= 0x202e,
			r >= 0x2066 && r <= 0x2069:
			return r, true
		}
	}
	return 0, false
}

// PlainText is the problem of a name or address field with an UnsafeRune, or "" when it has none.
func PlainText(s string) string {
	if r, bad := UnsafeRune(s); bad {
		return fmt.Sprintf("must not contain control or bidirectional formatting characters (found U+%04X)", r)
	}
	return ""
}
