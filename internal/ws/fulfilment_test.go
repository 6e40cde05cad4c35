package ws_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/ws"
)

func payload(t *testing.T, id, typ, source string, p any) event.Envelope {
	t.Helper()
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return event.Envelope{ID: id, Type: typ, Version: 1, Source: source, OccurredAt: at, CorrelationID: "corr-1", Data: data}
}

// After confirmation the owner (and watching admins) see the order ship with its tracking, arrive,
// and each step of a return, in order; duplicates and late older events push nothing, as before.
func TestNotifierPushesFulfilmentAndReturns(t *testing.T) {
	s, p := notifyFixture(), &poster{}
	n := &ws.Notifier{Store: s, Poster: p}
	usd, _ := money.New(2500, "USD")
	delivered := at.Add(48 * time.Hour)
	lines := []event.ReturnLine{{SKU: "SKU-1", Quantity: 2}}
	evs := []event.Envelope{
		payload(t, "ev-5", event.TypeOrderShipped, "orion.orders", event.OrderShipped{OrderRef: ref("SHIPPED", 5), Carrier: "DHL",
			TrackingNumber: "JD1", TrackingURL: "https://track.example.com/JD1", ShippedAt: at}),
		payload(t, "ev-6", event.TypeOrderDelivered, "orion.orders", event.OrderDelivered{OrderRef: ref("DELIVERED", 6), DeliveredAt: delivered}),
		payload(t, "ev-7", event.TypeOrderReturnRequested, "orion.orders", event.OrderReturnRequested{OrderRef: ref("DELIVERED", 7), ReturnID: "R1",
			Lines: lines, Amount: usd}),
		payload(t, "ev-8", event.TypeOrderReturnReceived, "orion.orders", event.OrderReturnReceived{OrderRef: ref("DELIVERED", 8), ReturnID: "R1",
			Lines: lines, Amount: usd}),
		payload(t, "ev-8", event.TypeOrderReturnReceived, "orion.orders", event.OrderReturnReceived{OrderRef: ref("DELIVERED", 8), ReturnID: "R1",
			Lines: lines, Amount: usd}), // a duplicate delivery
		payload(t, "ev-9", event.TypePaymentRefunded, "orion.payments", event.PaymentRefunded{OrderRef: ref("DELIVERED", 9), AuthorizationID: "pi_1",
			RefundID: "re_1", Amount: usd, ReturnID: "R1"}),
		payload(t, "ev-7", event.TypeOrderReturnRequested, "orion.orders", event.OrderReturnRequested{OrderRef: ref("DELIVERED", 7), ReturnID: "R1",
			Lines: lines, Amount: usd}), // late and older
	}
	for _, ev := range evs {
		if err := n.Handle(context.Background(), ev); err != nil {
			t.Fatalf("%s: %v", ev.Type, err)
		}
	}
	for _, id := range []string{"c1", "c2", "admin"} {
		got := p.to(id)
		if len(got) != 5 {
			t.Fatalf("%s received %d pushes %q; want 5", id, len(got), got)
		}
		var msgs []ws.Status
		for _, m := range got {
			var msg ws.Status
			if err := json.Unmarshal([]byte(m), &msg); err != nil {
				t.Fatal(err)
			}
			msgs = append(msgs, msg)
		}
		if sh := msgs[0].Shipment; msgs[0].Status != "SHIPPED" || sh == nil || sh.Carrier != "DHL" || sh.TrackingNumber != "JD1" ||
			sh.TrackingURL != "https://track.example.com/JD1" || msgs[0].Return != nil {
			t.Fatalf("%s: shipped push %s", id, got[0])
		}
		if d := msgs[1].DeliveredAt; msgs[1].Status != "DELIVERED" || d == nil || !d.Equal(delivered) {
			t.Fatalf("%s: delivered push %s", id, got[1])
		}
		for i, want := range []string{"REQUESTED", "RECEIVED", "REFUNDED"} {
			m := msgs[2+i]
			if m.Status != "DELIVERED" || m.Return == nil || m.Return.ID != "R1" || m.Return.Status != want || m.OrderVersion != int64(7+i) {
				t.Fatalf("%s: push %d %s; want return R1 %s at version %d", id, 2+i, got[2+i], want, 7+i)
			}
		}
	}
	// Nothing of the payment's provider ids or the amount travels to the browser.
	for _, m := range p.to("c1") {
		for _, secret := range []string{"pi_1", "re_1"} {
			if strings.Contains(m, secret) {
				t.Fatalf("push carries %s: %s", secret, m)
			}
		}
	}
}

// A refund of a whole order (compensation, cancellation) is not a return's step: its CANCELLED or
// FAILED push says it. A return event without its return id, a shipment without its tracking, a
// delivery without its time: refused, nothing pushed.
func TestNotifierRefusesIncompleteFulfilmentEvents(t *testing.T) {
	usd, _ := money.New(2500, "USD")
	tests := []struct {
		name string
		env  event.Envelope
	}{
		{"whole-order refund", payload(t, "ev-1", event.TypePaymentRefunded, "orion.payments", event.PaymentRefunded{OrderRef: ref("CANCELLED", 9),
			AuthorizationID: "pi_1", RefundID: "re_1", Amount: usd})},
		{"return without id", payload(t, "ev-1", event.TypeOrderReturnReceived, "orion.orders", event.OrderReturnReceived{OrderRef: ref("DELIVERED", 8), Amount: usd})},
		{"shipped without tracking", payload(t, "ev-1", event.TypeOrderShipped, "orion.orders", event.OrderShipped{OrderRef: ref("SHIPPED", 5), Carrier: "DHL"})},
		{"delivered without time", payload(t, "ev-1", event.TypeOrderDelivered, "orion.orders", event.OrderDelivered{OrderRef: ref("DELIVERED", 6)})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, p := notifyFixture(), &poster{}
			err := (&ws.Notifier{Store: s, Poster: p}).Handle(context.Background(), tt.env)
			if !errors.Is(err, ws.ErrNotStatusEvent) || len(p.posts) != 0 || len(s.calls) != 0 {
				t.Fatalf("err %v, posts %v, store calls %v", err, p.posts, s.calls)
			}
		})
	}
}
