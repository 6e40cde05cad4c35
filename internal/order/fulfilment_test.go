package order_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/validation"
)

func TestShipmentValidation(t *testing.T) {
	ok := shipment
	tests := []struct {
		name   string
		edit   func(s *order.Shipment)
		fields []string
	}{
		{"valid", func(*order.Shipment) {}, nil},
		{"no tracking page", func(s *order.Shipment) { s.TrackingURL = "" }, nil},
		{"no carrier", func(s *order.Shipment) { s.Carrier = "  " }, []string{"carrier"}},
		{"carrier too long", func(s *order.Shipment) { s.Carrier = strings.Repeat("c", 65) }, []string{"carrier"}},
		{"carrier with a bidi override", func(s *order.Shipment) { s.Carrier = "UPS\u202e" }, []string{"carrier"}},
		{"tracking number with spaces", func(s *order.Shipment) { s.TrackingNumber = "1Z 999" }, []string{"trackingNumber"}},
		{"tracking number too long", func(s *order.Shipment) { s.TrackingNumber = strings.Repeat("9", 65) }, []string{"trackingNumber"}},
		{"plain http tracking page", func(s *order.Shipment) { s.TrackingURL = "http://ups.example/t" }, []string{"trackingUrl"}},
		{"script tracking page", func(s *order.Shipment) { s.TrackingURL = "javascript:alert(1)" }, []string{"trackingUrl"}},
		{"tracking page with credentials", func(s *order.Shipment) { s.TrackingURL = "https://u:p@ups.example/t" }, []string{"trackingUrl"}},
		{"tracking page with a space", func(s *order.Shipment) { s.TrackingURL = "https://ups.example/x y" }, []string{"trackingUrl"}},
		{"tracking page with a line break", func(s *order.Shipment) { s.TrackingURL = "https://ups.example/x\nBcc: a@b" }, []string{"trackingUrl"}},
		{"tracking page with markup", func(s *order.Shipment) { s.TrackingURL = `https://ups.example/"><script>` }, []string{"trackingUrl"}},
		{"tracking page without a host", func(s *order.Shipment) { s.TrackingURL = "https:///path" }, []string{"trackingUrl"}},
		{"everything wrong", func(s *order.Shipment) { *s = order.Shipment{TrackingURL: "ftp://x"} }, []string{"carrier", "trackingNumber", "trackingUrl"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ok
			tt.edit(&s)
			o := inState(t, order.Confirmed)
			before := o.Version()
			_, err := o.Ship(s, t0.Add(time.Minute))
			if tt.fields == nil {
				if err != nil || o.Status() != order.Shipped {
					t.Fatalf("err = %v, status %s", err, o.Status())
				}
				return
			}
			var ve validation.Errors
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v; want validation", err)
			}
			var got []string
			for _, p := range ve {
				got = append(got, p.Field)
			}
			if strings.Join(got, ",") != strings.Join(tt.fields, ",") || o.Version() != before {
				t.Fatalf("fields = %v (want %v), version %d -> %d", got, tt.fields, before, o.Version())
			}
		})
	}
}

func TestShipAndDeliverTimes(t *testing.T) {
	now := t0.Add(time.Hour)
	o := inState(t, order.Confirmed)
	late := shipment
	late.ShippedAt = now.Add(order.ClockSkew + time.Second)
	if _, err := o.Ship(late, now); err == nil {
		t.Fatal("shipped in the future")
	}
	early := shipment
	early.ShippedAt = t0.Add(-time.Hour)
	if _, err := o.Ship(early, now); err == nil {
		t.Fatal("shipped before the order was placed")
	}
	at := shipment
	at.ShippedAt = now.Add(-10 * time.Minute)
	must(t)(o.Ship(at, now))
	if got := o.Shipment().ShippedAt; !got.Equal(at.ShippedAt) {
		t.Fatalf("shippedAt = %s; want the partner's %s", got, at.ShippedAt)
	}
	other := shipment
	other.TrackingNumber = "OTHER-1"
	if _, err := o.Ship(other, now); !errors.Is(err, order.ErrInvalidTransition) {
		t.Fatalf("a second, different shipment: %v", err)
	}
	if _, err := o.Deliver(at.ShippedAt.Add(-time.Second), now); err == nil {
		t.Fatal("delivered before it shipped")
	}
	if _, err := o.Deliver(now.Add(order.ClockSkew+time.Second), now); err == nil {
		t.Fatal("delivered in the future")
	}
	must(t)(o.Deliver(now.Add(-time.Minute), now))
	if !o.DeliveredAt().Equal(now.Add(-time.Minute)) || o.Status() != order.Delivered {
		t.Fatalf("delivered %s at %s", o.Status(), o.DeliveredAt())
	}
}

// A pending cancellation wins over the warehouse: the order must not leave; and once it has left, no
// cancellation is taken, from a customer or an admin.
func TestCancellationAndShippingExcludeEachOther(t *testing.T) {
	o := inState(t, order.Confirmed)
	must(t)(o.RequestCancellation(order.ByCustomer, t0.Add(time.Minute)))
	if _, err := o.Ship(shipment, t0.Add(time.Minute)); !errors.Is(err, order.ErrCancellationRequested) {
		t.Fatalf("ship with a cancellation pending: %v", err)
	}
	for _, by := range []order.Requester{order.ByCustomer, order.ByAdmin} {
		for _, st := range []order.Status{order.Shipped, order.Delivered} {
			o := inState(t, st)
			if _, err := o.RequestCancellation(by, t0.Add(time.Minute)); !errors.Is(err, order.ErrShipped) {
				t.Errorf("%s cancels a %s order: %v", by, st, err)
			}
		}
	}
}

func TestSnapshotKeepsFulfilmentAndReturns(t *testing.T) {
	o := delivered(t)
	if _, _, err := o.RequestReturn("", []order.ReturnLine{rl("SKU-2", 1)}, "broken", window, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	back, err := order.FromSnapshot(o.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	r, ok := back.FindReturn("R1")
	if !ok || r.Reason != "broken" || r.Lines[0].SKU != "SKU-2" || back.Shipment().TrackingNumber != shipment.TrackingNumber ||
		!back.DeliveredAt().Equal(o.DeliveredAt()) || back.Status() != order.Delivered {
		t.Fatalf("round trip lost fulfilment: %+v %+v", back.Snapshot(), r)
	}
	// The snapshot is a copy: changing it does not change the order.
	s := o.Snapshot()
	s.Returns[0].Lines[0].Quantity = 99
	if r, _ := o.FindReturn("R1"); r.Lines[0].Quantity != 1 {
		t.Fatal("a snapshot shares its returns with the order")
	}
}

func TestSoldStatuses(t *testing.T) {
	for _, s := range order.Statuses {
		want := s == order.Confirmed || s == order.Shipped || s == order.Delivered
		if s.IsSold() != want || (s.IsSold() && (s.IsOpen() || s.IsTerminal())) {
			t.Errorf("%s: IsSold %v, open %v, terminal %v", s, s.IsSold(), s.IsOpen(), s.IsTerminal())
		}
	}
}
