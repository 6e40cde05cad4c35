package order_test

import (
	"errors"
	"testing"
	"time"

	"github.com/orion-oss/orion/internal/order"
)

// The hold an order counts against its customer ends exactly when the order leaves PENDING, RESERVED and
// PAYMENT_AUTHORIZED, whichever transition takes it out (confirm, reject, decline, cancel, fail) and
// however often that transition is repeated: storage subtracts the difference of Hold before and after
// each write, so this is what makes the customer's sum change once per order.
func TestHoldEndsWhenTheOrderLeavesTheOpenStatuses(t *testing.T) {
	open := order.Hold{Orders: 1, Units: 3} // placed(): 2 of SKU-1 and 1 of SKU-2
	at := t0.Add(2 * time.Second)
	for _, from := range order.Statuses {
		for _, a := range actions {
			t.Run(string(from)+"/"+a.name, func(t *testing.T) {
				o := inState(t, from)
				before := o.Hold()
				if want := map[bool]order.Hold{true: open}[from.IsOpen()]; before != want {
					t.Fatalf("hold in %s = %+v; want %+v", from, before, want)
				}
				if _, err := a.do(o, at); err != nil {
					if o.Hold() != before {
						t.Fatalf("refused %s changed the hold %+v -> %+v", a.name, before, o.Hold())
					}
					return
				}
				want := map[bool]order.Hold{true: open}[o.Status().IsOpen()]
				if o.Hold() != want {
					t.Fatalf("%s -> %s: hold %+v; want %+v", from, o.Status(), o.Hold(), want)
				}
				if _, err := a.do(o, at); err == nil && o.Hold() != want {
					t.Fatalf("repeated %s changed the hold to %+v", a.name, o.Hold())
				}
			})
		}
	}
}

func TestOpenStatuses(t *testing.T) {
	for _, s := range order.Statuses {
		want := s == order.Pending || s == order.Reserved || s == order.PaymentAuthorized
		if s.IsOpen() != want {
			t.Errorf("%s.IsOpen() = %v; want %v", s, s.IsOpen(), want)
		}
		if s.IsOpen() && s.IsTerminal() {
			t.Errorf("%s is open and terminal", s)
		}
	}
}

// An order stored before the limits existed was never added to its customer's sum: its end must not
// subtract from it (or the customer would get one more order than the limit, for good).
func TestOrdersPlacedBeforeTheLimitsHoldNothing(t *testing.T) {
	s := placed(t).Snapshot()
	if !s.Counted {
		t.Fatal("a new order is not counted")
	}
	s.Counted = false
	legacy, err := order.FromSnapshot(s)
	if err != nil {
		t.Fatal(err)
	}
	if h := legacy.Hold(); !h.IsZero() {
		t.Fatalf("legacy order holds %+v", h)
	}
}

func TestLimitsAdmit(t *testing.T) {
	l := order.Limits{MaxOpenOrders: 2, MaxHeldUnits: 10}
	tests := []struct {
		name string
		h    order.Hold
		want error
	}{
		{"fits", order.Hold{Orders: 1, Units: 10}, nil},
		{"too many units for any customer", order.Hold{Orders: 1, Units: 11}, order.ErrOverLimit},
	}
	for _, tt := range tests {
		if err := l.Admits(tt.h); !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("%s: Admits(%+v) = %v; want %v", tt.name, tt.h, err, tt.want)
		}
	}
	if err := (order.Limits{}).Admits(order.Hold{Orders: 1, Units: 1 << 40}); err != nil {
		t.Errorf("no limits refused: %v", err)
	}
	if err := l.Refuse(order.Hold{Orders: 1, Units: 3}); !errors.Is(err, order.ErrLimitReached) || errors.Is(err, order.ErrOverLimit) {
		t.Errorf("Refuse = %v; want ErrLimitReached", err)
	}
}

func TestParseLimits(t *testing.T) {
	tests := []struct {
		orders, units string
		want          order.Limits
		ok            bool
	}{
		{"", "", order.DefaultLimits, true},
		{"3", "40", order.Limits{MaxOpenOrders: 3, MaxHeldUnits: 40}, true},
		{"0", "40", order.Limits{}, false},
		{"3", "lots", order.Limits{}, false},
		{"-1", "", order.Limits{}, false},
	}
	for _, tt := range tests {
		got, err := order.ParseLimits(tt.orders, tt.units)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseLimits(%q, %q) = %+v, %v; want %+v (ok %v)", tt.orders, tt.units, got, err, tt.want, tt.ok)
		}
	}
}
