package stripe

import (
	"errors"
	"math"
	"testing"

	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/payment"
)

func mustMoney(t *testing.T, amount int64, currency string) money.Money {
	t.Helper()
	m, err := money.New(amount, currency)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Orion's amounts are ISO 4217 minor units; Stripe's follow https://docs.stripe.com/currencies.
func TestToStripe(t *testing.T) {
	for _, c := range []struct {
		name     string
		amount   int64 // Orion's minor units
		currency string
		want     int64  // Stripe's amount
		lower    string // Stripe's currency
		decline  string // a *payment.DeclinedError's code, or ""
	}{
		{"two-decimal: 10.00 USD is 1000 cents", 1000, "USD", 1000, "usd", ""},
		{"two-decimal: 0.99 EUR", 99, "EUR", 99, "eur", ""},
		{"zero-decimal: 500 JPY is 500", 500, "JPY", 500, "jpy", ""},
		{"zero-decimal: 1 KRW", 1, "KRW", 1, "krw", ""},
		{"zero-decimal: CLP", 15000, "CLP", 15000, "clp", ""},
		{"special case: 5 ISK is 500", 5, "ISK", 500, "isk", ""},
		{"three-decimal: 5.120 KWD is 5120", 5120, "KWD", 5120, "kwd", ""},
		{"three-decimal: 1.000 BHD", 1000, "BHD", 1000, "bhd", ""},
		{"three-decimal: the last digit must be 0 (5.124 KWD)", 5124, "KWD", 0, "", CodeAmountNotSupported},
		{"three-decimal: JOD 0.005", 5, "JOD", 0, "", CodeAmountNotSupported},
		{"zero amount goes to Stripe, which declines it as amount_too_small", 0, "USD", 0, "usd", ""},
		{"ISK that overflows once scaled", math.MaxInt64 / 10, "ISK", 0, "", CodeAmountTooLarge},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, cur, err := toStripe(mustMoney(t, c.amount, c.currency))
			var declined *payment.DeclinedError
			switch {
			case c.decline != "":
				if !errors.As(err, &declined) || declined.Code != c.decline {
					t.Fatalf("got %d %s, %v; want a decline %s", got, cur, err, c.decline)
				}
			case err != nil || got != c.want || cur != c.lower:
				t.Fatalf("got %d %s, %v; want %d %s", got, cur, err, c.want, c.lower)
			}
		})
	}
}

func TestToStripeRefusesWhatIsNotACharge(t *testing.T) {
	for name, m := range map[string]money.Money{"zero value": {}, "negative": mustMoney(t, -100, "USD")} {
		if _, _, err := toStripe(m); !errors.Is(err, payment.ErrMisconfigured) {
			t.Errorf("%s: %v; want ErrMisconfigured", name, err)
		}
	}
}

// Every currency Orion accepts has a Stripe unit, so none is charged in a guessed one: a currency added
// to internal/money fails here until currency.go places it. Orion's table is not exported, so the test
// asks money.ParseCurrency about every three-letter code.
func TestEveryOrionCurrencyHasAStripeUnit(t *testing.T) {
	accepted := 0
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			for c := 'A'; c <= 'Z'; c++ {
				code := string([]rune{a, b, c})
				cur, err := money.ParseCurrency(code)
				if err != nil {
					continue
				}
				accepted++
				if _, _, ok := stripeDecimals(cur); !ok {
					t.Errorf("Orion accepts %s (%d decimals) but currency.go has no Stripe unit for it", code, cur.MinorUnits())
					continue
				}
				// One whole unit survives the round trip through Stripe's amount.
				one := mustMoney(t, pow10(cur.MinorUnits()), code)
				if threeDecimal[cur] {
					one = mustMoney(t, 1000, code)
				}
				amt, lower, err := toStripe(one)
				if err != nil {
					t.Errorf("%s: %v", code, err)
					continue
				}
				back, err := fromStripe(amt, lower)
				if err != nil || back != one {
					t.Errorf("%s: %v -> %d %s -> %v, %v", code, one, amt, lower, back, err)
				}
			}
		}
	}
	if accepted < 20 {
		t.Fatalf("only %d currencies accepted: the enumeration is broken", accepted)
	}
}

// A currency whose ISO exponent is not 2 and that Stripe's tables do not name is refused, not guessed.
func TestStripeDecimalsRefusesAnUnplacedCurrency(t *testing.T) {
	// "XTS" (ISO's test code) is not accepted by Orion, so it has no exponent of 2: MinorUnits is 0.
	if _, _, ok := stripeDecimals("XTS"); ok {
		t.Fatal("an unknown zero-exponent currency was placed")
	}
}

func TestFromStripe(t *testing.T) {
	for _, c := range []struct {
		amount   int64
		currency string
		want     money.Money
		ok       bool
	}{
		{1000, "usd", mustMoney(t, 1000, "USD"), true},
		{500, "jpy", mustMoney(t, 500, "JPY"), true},
		{500, "isk", mustMoney(t, 5, "ISK"), true},
		{550, "isk", money.Money{}, false}, // not whole krónur
		{5120, "kwd", mustMoney(t, 5120, "KWD"), true},
		{100, "huf", money.Money{}, false}, // a currency Orion does not take
	} {
		got, err := fromStripe(c.amount, c.currency)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("fromStripe(%d, %s) = %v, %v; want %v (ok %v)", c.amount, c.currency, got, err, c.want, c.ok)
		}
	}
}
