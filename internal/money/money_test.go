package money_test

import (
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"testing"

	"github.com/orion-oss/orion/internal/money"
)

func m(t testing.TB, a int64, c string) money.Money {
	t.Helper()
	v, err := money.New(a, c)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestArithmetic(t *testing.T) {
	tests := []struct {
		name    string
		op      func() (money.Money, error)
		want    int64
		wantErr error
	}{
		{"add", func() (money.Money, error) { return m(t, 150, "USD").Add(m(t, 250, "USD")) }, 400, nil},
		{"add mismatch", func() (money.Money, error) { return m(t, 1, "USD").Add(m(t, 1, "EUR")) }, 0, money.ErrCurrencyMismatch},
		{"add overflow", func() (money.Money, error) { return m(t, math.MaxInt64, "USD").Add(m(t, 1, "USD")) }, 0, money.ErrOverflow},
		{"add negative overflow", func() (money.Money, error) { return m(t, math.MinInt64, "USD").Add(m(t, -1, "USD")) }, 0, money.ErrOverflow},
		{"sub", func() (money.Money, error) { return m(t, 100, "USD").Sub(m(t, 250, "USD")) }, -150, nil},
		{"sub min", func() (money.Money, error) { return m(t, 0, "USD").Sub(m(t, math.MinInt64, "USD")) }, 0, money.ErrOverflow},
		{"mul", func() (money.Money, error) { return m(t, 1999, "USD").Mul(3) }, 5997, nil},
		{"mul zero", func() (money.Money, error) { return m(t, 1999, "USD").Mul(0) }, 0, nil},
		{"mul overflow", func() (money.Money, error) { return m(t, math.MaxInt64/2+1, "USD").Mul(2) }, 0, money.ErrOverflow},
		{"mul min by -1", func() (money.Money, error) { return m(t, math.MinInt64, "USD").Mul(-1) }, 0, money.ErrOverflow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.op()
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v; want %v", err, tt.wantErr)
			}
			if err == nil && got.Amount() != tt.want {
				t.Fatalf("= %d; want %d", got.Amount(), tt.want)
			}
		})
	}
}

func TestConstructorsAndString(t *testing.T) {
	if _, err := money.New(1, "usd"); !errors.Is(err, money.ErrCurrency) {
		t.Errorf("lowercase currency: %v", err)
	}
	if _, err := money.New(1, "XXX"); !errors.Is(err, money.ErrCurrency) {
		t.Errorf("unknown currency: %v", err)
	}
	if _, err := money.NewNonNegative(-1, "USD"); !errors.Is(err, money.ErrNegative) {
		t.Errorf("negative price: %v", err)
	}
	for _, tt := range []struct {
		m    money.Money
		want string
	}{
		{m(t, 1234, "USD"), "12.34 USD"}, {m(t, 5, "USD"), "0.05 USD"}, {m(t, -5, "USD"), "-0.05 USD"},
		{m(t, 1500, "JPY"), "1500 JPY"}, {m(t, 1234, "KWD"), "1.234 KWD"},
		{m(t, math.MinInt64, "USD"), "-92233720368547758.08 USD"},
	} {
		if got := tt.m.String(); got != tt.want {
			t.Errorf("String = %q; want %q", got, tt.want)
		}
	}
}

func TestJSON(t *testing.T) {
	b, err := json.Marshal(m(t, 1999, "EUR"))
	if err != nil || string(b) != `{"amount":1999,"currency":"EUR"}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var back money.Money
	if err := json.Unmarshal(b, &back); err != nil || back != m(t, 1999, "EUR") {
		t.Fatalf("round trip = %v, %v", back, err)
	}
	for _, bad := range []string{`{"amount":12.5,"currency":"USD"}`, `{"amount":"12","currency":"USD"}`, `{"amount":1}`,
		`{"amount":1,"currency":"usd"}`, `12`, `null`, `{"amount":1e3,"currency":"USD"}`} {
		var v money.Money
		if err := json.Unmarshal([]byte(bad), &v); err == nil {
			t.Errorf("Unmarshal(%s) accepted as %v", bad, v)
		}
	}
}

// FuzzArithmetic checks every result against arbitrary-precision arithmetic: either the exact answer,
// or ErrOverflow exactly when the exact answer does not fit in int64.
func FuzzArithmetic(f *testing.F) {
	f.Add(int64(1), int64(2))
	f.Add(int64(math.MaxInt64), int64(1))
	f.Add(int64(math.MinInt64), int64(-1))
	f.Fuzz(func(t *testing.T, a, b int64) {
		x, y := m(t, a, "USD"), m(t, b, "USD")
		check := func(name string, got money.Money, err error, exact *big.Int) {
			fits := exact.IsInt64()
			if fits != (err == nil) {
				t.Fatalf("%s(%d, %d): err = %v but exact result %s fits=%v", name, a, b, err, exact, fits)
			}
			if err != nil && !errors.Is(err, money.ErrOverflow) {
				t.Fatalf("%s: unexpected error %v", name, err)
			}
			if err == nil && got.Amount() != exact.Int64() {
				t.Fatalf("%s(%d, %d) = %d; want %s", name, a, b, got.Amount(), exact)
			}
		}
		s, err := x.Add(y)
		check("Add", s, err, new(big.Int).Add(big.NewInt(a), big.NewInt(b)))
		d, err := x.Sub(y)
		exactSub := new(big.Int).Sub(big.NewInt(a), big.NewInt(b))
		if b == math.MinInt64 && exactSub.IsInt64() {
			// Sub negates its operand first; -MinInt64 does not fit, so it reports overflow early.
			if !errors.Is(err, money.ErrOverflow) {
				t.Fatalf("Sub(%d, MinInt64) = %v, %v", a, d, err)
			}
		} else {
			check("Sub", d, err, exactSub)
		}
		p, err := x.Mul(b)
		check("Mul", p, err, new(big.Int).Mul(big.NewInt(a), big.NewInt(b)))
		_ = x.String()
	})
}

func FuzzUnmarshal(f *testing.F) {
	f.Add([]byte(`{"amount":1,"currency":"USD"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var v money.Money
		if err := json.Unmarshal(b, &v); err != nil {
			return
		}
		again, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var w money.Money
		if err := json.Unmarshal(again, &w); err != nil || w != v {
			t.Fatalf("round trip of %s: %v %v", b, w, err)
		}
	})
}
