// Package money holds Money: an amount in integer minor units of an ISO 4217 currency.
// There are no floats anywhere in Orion's money path; every arithmetic step is overflow-checked
// because a silently wrapped int64 is a wrong invoice.
package money

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
)

var (
	// ErrCurrency means the currency code is not one Orion accepts.
	ErrCurrency = errors.New("money: unsupported currency")
	// ErrCurrencyMismatch means two amounts of different currencies were combined.
	ErrCurrencyMismatch = errors.New("money: currency mismatch")
	// ErrOverflow means the result does not fit in int64 minor units.
	ErrOverflow = errors.New("money: overflow")
	// ErrNegative means a negative amount was given where none is allowed.
	ErrNegative = errors.New("money: negative amount")
)

// Currency is an ISO 4217 alphabetic code.
type Currency string

// minorUnits is the ISO 4217 exponent of each accepted currency. Orion only accepts currencies it can
// format and charge correctly; extend this table (and its tests) to add one.
var minorUnits = map[Currency]int{
	"USD": 2, "EUR": 2, "GBP": 2, "CAD": 2, "AUD": 2, "CHF": 2, "SEK": 2, "NOK": 2, "DKK": 2,
	"PLN": 2, "BRL": 2, "MXN": 2, "INR": 2, "CNY": 2, "NZD": 2, "SGD": 2, "HKD": 2, "ZAR": 2,
	"JPY": 0, "KRW": 0, "CLP": 0, "ISK": 0,
	"KWD": 3, "BHD": 3, "JOD": 3, "TND": 3,
}

// ParseCurrency validates an ISO 4217 code.
func ParseCurrency(code string) (Currency, error) {
	c := Currency(code)
	if _, ok := minorUnits[c]; !ok {
		return "", fmt.Errorf("%w: %q", ErrCurrency, code)
	}
	return c, nil
}

// MinorUnits is the number of decimal places of the currency (2 for USD, 0 for JPY).
func (c Currency) MinorUnits() int { return minorUnits[c] }

// Money is an amount in minor units (cents for USD) of one currency. The zero value is invalid.
type Money struct {
	amount   int64
	currency Currency
}

// New builds Money from minor units; negative amounts are allowed (refunds, adjustments).
func New(amount int64, currency string) (Money, error) {
	c, err := ParseCurrency(currency)
	if err != nil {
		return Money{}, err
	}
	return Money{amount: amount, currency: c}, nil
}

// NewNonNegative is New for prices and totals, which are never below zero.
func NewNonNegative(amount int64, currency string) (Money, error) {
	if amount < 0 {
		return Money{}, fmt.Errorf("%w: %d", ErrNegative, amount)
	}
	return New(amount, currency)
}

// Zero is the zero amount of a currency.
func Zero(c Currency) Money { return Money{currency: c} }

// Amount is the value in minor units.
func (m Money) Amount() int64 { return m.amount }

// Currency is the ISO 4217 code.
func (m Money) Currency() Currency { return m.currency }

// IsZero reports whether this is the zero value (no currency) — not a zero amount of a currency.
func (m Money) IsZero() bool { return m.currency == "" }

// Add returns m + o; both must share a currency.
func (m Money) Add(o Money) (Money, error) {
	if m.currency != o.currency {
		return Money{}, fmt.Errorf("%w: %s + %s", ErrCurrencyMismatch, m.currency, o.currency)
	}
	s := m.amount + o.amount
	// Signed overflow happened iff both operands share a sign that the sum does not.
	if (m.amount >= 0) == (o.amount >= 0) && (s >= 0) != (m.amount >= 0) {
		return Money{}, fmt.Errorf("%w: %d + %d", ErrOverflow, m.amount, o.amount)
	}
	return Money{amount: s, currency: m.currency}, nil
}

// Sub returns m - o; both must share a currency.
func (m Money) Sub(o Money) (Money, error) {
	if o.amount == math.MinInt64 {
		return Money{}, fmt.Errorf("%w: -(%d)", ErrOverflow, o.amount)
	}
	return m.Add(Money{amount: -o.amount, currency: o.currency})
}

// Mul returns m × n, as for a line total (unit price × quantity).
func (m Money) Mul(n int64) (Money, error) {
	if m.amount == 0 || n == 0 {
		return Money{currency: m.currency}, nil
	}
	p := m.amount * n
	if p/n != m.amount || (m.amount == -1 && n == math.MinInt64) || (n == -1 && m.amount == math.MinInt64) {
		return Money{}, fmt.Errorf("%w: %d × %d", ErrOverflow, m.amount, n)
	}
	return Money{amount: p, currency: m.currency}, nil
}

// String renders "12.34 USD" for logs; customer-facing formatting lives with the email templates.
func (m Money) String() string {
	d := m.currency.MinorUnits()
	if d == 0 {
		return fmt.Sprintf("%d %s", m.amount, m.currency)
	}
	sign, a := "", m.amount
	if a < 0 {
		sign = "-"
	}
	u := uint64(a)
	if a < 0 {
		u = uint64(-(a + 1)) + 1 // safe for MinInt64
	}
	pow := uint64(math.Pow10(d))
	return fmt.Sprintf("%s%d.%0*d %s", sign, u/pow, d, u%pow, m.currency)
}

type wire struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// MarshalJSON writes {"amount": <minor units>, "currency": "USD"}, the shape of the API and the events.
func (m Money) MarshalJSON() ([]byte, error) {
	return json.Marshal(wire{Amount: m.amount, Currency: string(m.currency)})
}

// UnmarshalJSON accepts only the integer wire shape; "12.5" or a missing currency is an error.
func (m *Money) UnmarshalJSON(b []byte) error {
	var w wire
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("money: %w", err)
	}
	v, err := New(w.Amount, w.Currency)
	if err != nil {
		return err
	}
	*m = v
	return nil
}
