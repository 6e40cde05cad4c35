package order_test

import (
	"errors"
	"testing"

	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/validation"
)

// FuzzNew builds orders from arbitrary quantities and prices: it must never panic, and an accepted
// order's total must be the exact sum of its line totals, each exactly unit price × quantity.
func FuzzNew(f *testing.F) {
	f.Add(int64(1), int64(100), int64(2), int64(250), "tok_visa")
	f.Add(int64(1000), int64(9_223_372_036_854_775), int64(1000), int64(1), "t")
	f.Add(int64(0), int64(-1), int64(1001), int64(0), "")
	f.Fuzz(func(t *testing.T, q1, p1, q2, p2 int64, token string) {
		m1, err1 := money.New(p1, "USD")
		m2, err2 := money.New(p2, "USD")
		if err1 != nil || err2 != nil {
			t.Skip()
		}
		var lines []order.Line
		for i, lp := range []struct {
			q int64
			p money.Money
		}{{q1, m1}, {q2, m2}} {
			l, err := order.NewLine(inventory.SKU([]string{"A", "B"}[i]), "x", lp.q, lp.p)
			if err != nil {
				if !errors.Is(err, validation.ErrInvalid) {
					t.Fatalf("NewLine error is not a validation error: %v", err)
				}
				continue
			}
			if l.LineTotal.Amount() != l.UnitPrice.Amount()*l.Quantity.Int64() || l.Quantity < 1 || l.Quantity > order.MaxLineQuantity {
				t.Fatalf("bad line %+v", l)
			}
			lines = append(lines, l)
		}
		id, _ := order.NewID(t0, nil)
		o, evs, err := order.New(id, "c", lines, token, nil, t0)
		if err != nil {
			if !errors.Is(err, validation.ErrInvalid) || o != nil || evs != nil {
				t.Fatalf("New failed badly: %v", err)
			}
			return
		}
		var sum int64
		for _, l := range o.Lines() {
			sum += l.LineTotal.Amount()
		}
		if o.Total().Amount() != sum || o.Total().Amount() < 0 {
			t.Fatalf("total %d != sum of lines %d", o.Total().Amount(), sum)
		}
	})
}

func FuzzParseID(f *testing.F) {
	f.Add("01ARZ3NDEKTSV4RRFFQ69G5FAV")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := order.ParseID(s)
		if err == nil {
			if again, err := order.ParseID(string(id)); err != nil || again != id {
				t.Fatalf("ParseID not stable for %q", s)
			}
		}
	})
}
