package stripe

import (
	"fmt"
	"math"
	"strings"

	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/payment"
)

// Stripe's amounts are integers in "the currency's minor unit", but Stripe's minor unit is not always
// ISO 4217's, which is what Orion's money holds (money.Currency.MinorUnits). The tables below are
// Stripe's, from https://docs.stripe.com/currencies#zero-decimal, #three-decimal and #special-cases.
var (
	// Zero-decimal: the amount is whole units (500 JPY is 500).
	zeroDecimal = set("BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "VND", "VUV", "XAF", "XOF", "XPF")
	// Three-decimal: the amount is thousandths, but Stripe's acquirers need the last digit to be 0
	// ("round amounts to the nearest ten": 5.124 KWD cannot be charged as such).
	threeDecimal = set("BHD", "JOD", "KWD", "OMR", "TND")
	// Zero-decimal in ISO 4217 and in practice, but sent as two-decimal amounts ending in 00 for
	// backwards compatibility: 5 ISK is 500, and Stripe refuses an amount not divisible by 100
	// (invalid_charge_amount_no_decimal_compatible; ISK since 2023-04-14:
	// https://support.stripe.com/questions/deprecation-of-fractional-isk-charges-and-refunds). UGX is
	// also in Stripe's zero-decimal list, yet its special case wins: integrations that sent UGX
	// unscaled charged a hundredth of the price.
	wholeUnitsInHundredths = set("ISK", "UGX")
)

// HUF and TWD are Stripe's other special cases: two-decimal for charges, whole units only for
// payouts. Orion charges, so they follow the two-decimal default like ISO 4217.

func set(codes ...string) map[money.Currency]bool {
	m := make(map[money.Currency]bool, len(codes))
	for _, c := range codes {
		m[money.Currency(c)] = true
	}
	return m
}

// stripeDecimals is how many decimals Stripe's amount has for c, and the multiple the amount must be
// of. ok is false for a currency whose ISO 4217 exponent is not two and which Stripe's tables do not
// name: Stripe would read it as two-decimal ("unless otherwise specified") and charge 100 times, or a
// hundredth of, the price, so it is refused rather than guessed.
func stripeDecimals(c money.Currency) (decimals int, multiple int64, ok bool) {
	switch {
	case wholeUnitsInHundredths[c]:
		return 2, 100, true
	case zeroDecimal[c]:
		return 0, 1, true
	case threeDecimal[c]:
		return 3, 10, true
	case c.MinorUnits() == 2:
		return 2, 1, true
	}
	return 0, 0, false
}

// Codes of the declines the adapter decides itself, before asking Stripe.
const (
	// CodeAmountNotSupported: Stripe cannot charge this exact amount (a three-decimal amount whose
	// last digit is not 0).
	CodeAmountNotSupported = "amount_not_supported"
	// CodeAmountTooLarge is Stripe's own code, used here for an amount that overflows once scaled.
	CodeAmountTooLarge = "amount_too_large"
)

// toStripe converts m to Stripe's amount and lowercase currency code. A currency the tables cannot
// place is payment.ErrMisconfigured: Orion accepts a currency this adapter does not know how to
// charge, which no retry or other card fixes. An amount Stripe cannot represent is a decline: it is
// this order's total, and another order in the same currency goes through.
func toStripe(m money.Money) (amount int64, currency string, err error) {
	if m.IsZero() || m.Amount() < 0 {
		return 0, "", fmt.Errorf("%w: stripe: amount %v is not a charge", payment.ErrMisconfigured, m)
	}
	c := m.Currency()
	decimals, multiple, ok := stripeDecimals(c)
	if !ok {
		return 0, "", fmt.Errorf("%w: stripe: no Stripe unit known for %s (add it to currency.go)", payment.ErrMisconfigured, c)
	}
	amount = m.Amount()
	switch iso := c.MinorUnits(); {
	case decimals > iso:
		scale := pow10(decimals - iso)
		if amount > math.MaxInt64/scale {
			return 0, "", &payment.DeclinedError{Code: CodeAmountTooLarge}
		}
		amount *= scale
	case decimals < iso:
		scale := pow10(iso - decimals)
		if amount%scale != 0 {
			return 0, "", &payment.DeclinedError{Code: CodeAmountNotSupported}
		}
		amount /= scale
	}
	if amount%multiple != 0 {
		return 0, "", &payment.DeclinedError{Code: CodeAmountNotSupported}
	}
	return amount, strings.ToLower(string(c)), nil
}

// fromStripe converts an amount Stripe reports (events, refunds) back to Orion's money.
func fromStripe(amount int64, currency string) (money.Money, error) {
	c, err := money.ParseCurrency(strings.ToUpper(currency))
	if err != nil {
		return money.Money{}, err
	}
	decimals, _, ok := stripeDecimals(c)
	if !ok {
		return money.Money{}, fmt.Errorf("stripe: no Stripe unit known for %s", c)
	}
	switch iso := c.MinorUnits(); {
	case decimals > iso:
		scale := pow10(decimals - iso)
		if amount%scale != 0 {
			return money.Money{}, fmt.Errorf("stripe: %d %s is not a whole number of ISO minor units", amount, currency)
		}
		amount /= scale
	case decimals < iso:
		scale := pow10(iso - decimals)
		if amount > math.MaxInt64/scale || amount < math.MinInt64/scale {
			return money.Money{}, fmt.Errorf("stripe: %d %s overflows", amount, currency)
		}
		amount *= scale
	}
	return money.New(amount, string(c))
}

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}
