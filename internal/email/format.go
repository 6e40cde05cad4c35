package email

import (
	"strconv"
	"strings"

	"github.com/orion-oss/orion/internal/money"
)

// symbols are the English (CLDR "en") symbols of the currencies Orion accepts; a currency without one
// is written with its ISO code ("CHF 12.50"), which is what the symbol-less ones read as in English.
var symbols = map[money.Currency]string{
	"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "KRW": "₩", "CNY": "CN¥",
	"CAD": "CA$", "AUD": "A$", "NZD": "NZ$", "HKD": "HK$", "MXN": "MX$", "BRL": "R$",
}

// FormatMoney writes an amount for a customer: the currency's symbol, thousands grouped with commas and
// exactly the currency's minor-unit digits ("$1,234.50", "€12.50", "¥1,250", "KWD 1.250"). It works on
// the integer minor units only: a float would misprint large amounts.
func FormatMoney(m money.Money) string {
	a := m.Amount()
	sign := ""
	u := uint64(a)
	if a < 0 {
		sign = "-"
		u = uint64(-(a + 1)) + 1 // |MinInt64| does not fit in int64
	}
	d := m.Currency().MinorUnits()
	pow := uint64(1)
	for range d {
		pow *= 10
	}
	s := group(strconv.FormatUint(u/pow, 10))
	if d > 0 {
		frac := strconv.FormatUint(u%pow, 10)
		s += "." + strings.Repeat("0", d-len(frac)) + frac
	}
	if sym, ok := symbols[m.Currency()]; ok {
		return sign + sym + s
	}
	if m.Currency() == "" {
		return sign + s
	}
	return sign + string(m.Currency()) + " " + s
}

// group inserts a comma every three digits from the right.
func group(digits string) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	first := len(digits) % 3
	if first > 0 {
		b.WriteString(digits[:first])
	}
	for i := first; i < len(digits); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}
