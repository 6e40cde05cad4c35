package saga_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/saga"
)

// receivedReturn takes an order through its life to a received return R1 of qty units, through the
// steps and the commands over the emulator, and returns the saga input of the order.
func (w *world) receivedReturn(sku string, bought, qty int64) saga.Input {
	w.t.Helper()
	ctx := context.Background()
	in := w.place(sku, bought, "tok_visa")
	for _, step := range []saga.Step{w.steps.Reserve, w.steps.Authorize, w.steps.Capture, w.steps.Confirm} {
		if _, err := step(ctx, in); err != nil {
			w.t.Fatal(err)
		}
	}
	id := order.ID(in.OrderID)
	admin := event.Actor{Sub: "admin-1", Role: event.RoleAdmin}
	if _, err := command.NewShipOrderHandler(w.store).Handle(ctx, command.ShipOrder{OrderID: id,
		Shipment: order.Shipment{Carrier: "UPS", TrackingNumber: "1Z999"}, Actor: admin, Cause: cause}); err != nil {
		w.t.Fatal(err)
	}
	if _, err := command.NewDeliverOrderHandler(w.store).Handle(ctx, command.DeliverOrder{OrderID: id, Actor: admin, Cause: cause}); err != nil {
		w.t.Fatal(err)
	}
	if _, _, err := command.NewRequestReturnHandler(w.store, 0).Handle(ctx, command.RequestReturn{OrderID: id, Caller: "cust-1", Cause: cause,
		Lines: []order.ReturnLine{{SKU: inventory.SKU(sku), Quantity: inventory.Quantity(qty)}}}); err != nil {
		w.t.Fatal(err)
	}
	if _, err := command.NewReceiveReturnHandler(w.store).Handle(ctx, command.ReceiveReturn{OrderID: id, ReturnID: "R1", Actor: admin, Cause: cause}); err != nil {
		w.t.Fatal(err)
	}
	return in
}

// ruleEvent is what EventBridge hands the function for an outbox envelope: the envelope as the detail.
func ruleEvent(t *testing.T, env event.Envelope) events.EventBridgeEvent {
	t.Helper()
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return events.EventBridgeEvent{ID: "eb-" + env.ID, Source: env.Source, DetailType: env.Type, Detail: b}
}

// OrderReturnReceived delivered three times (the rule and Lambda deliver at least once) refunds the
// return's amount once; the refund names the event as its cause.
func TestReturnRefunderRefundsOncePerReturn(t *testing.T) {
	w := newWorld(t)
	w.item("RR-1", 10)
	in := w.receivedReturn("RR-1", 3, 2)
	received := w.event(in, event.TypeOrderReturnReceived)
	h := saga.ReturnRefunder{Steps: w.steps, Log: slog.New(slog.NewJSONHandler(new(bytes.Buffer), nil))}
	for range 3 {
		if err := h.Handle(context.Background(), ruleEvent(t, received)); err != nil {
			t.Fatal(err)
		}
	}
	if n := slices.Index(w.events(in), event.TypePaymentRefunded); n < 0 {
		t.Fatalf("no PaymentRefunded in %v", w.events(in))
	}
	refunded := w.event(in, event.TypePaymentRefunded) // fails unless exactly one
	p, err := refunded.Payload()
	if err != nil {
		t.Fatal(err)
	}
	e := p.(*event.PaymentRefunded)
	if e.ReturnID != "R1" || e.Amount.Amount() != 2500 || refunded.CausationID != received.ID || refunded.CorrelationID != "corr-1" {
		t.Fatalf("PaymentRefunded %+v caused by %q correlated %q; want R1, 2500, caused by %s", e, refunded.CausationID, refunded.CorrelationID, received.ID)
	}
	if r, _ := w.order(in).FindReturn("R1"); r.Status != order.ReturnRefunded {
		t.Fatalf("return %+v; want REFUNDED", r)
	}
	if a, _, s := w.stock("RR-1", 10); a != 9 || s != 1 {
		t.Fatalf("stock available %d sold %d; want 9 and 1", a, s)
	}
}

// What cannot be refunded is an error (Lambda's retries, then the DLQ and its alarm), never dropped:
// a detail that is no envelope, another event type, a return the order does not have.
func TestReturnRefunderFailsWhatItCannotRefund(t *testing.T) {
	w := newWorld(t)
	w.item("RR-2", 10)
	in := w.receivedReturn("RR-2", 2, 1)
	received := w.event(in, event.TypeOrderReturnReceived)
	unknown := received
	unknown.ID = "evt-unknown-return"
	unknown.Data = bytes.Replace(received.Data, []byte(`"returnId":"R1"`), []byte(`"returnId":"R7"`), 1)
	if bytes.Equal(unknown.Data, received.Data) {
		t.Fatalf("fixture: no returnId R1 in %s", received.Data)
	}
	h := saga.ReturnRefunder{Steps: w.steps, Log: slog.New(slog.NewJSONHandler(new(bytes.Buffer), nil))}
	tests := []struct {
		name string
		ev   events.EventBridgeEvent
	}{
		{"not an envelope", events.EventBridgeEvent{ID: "eb-1", DetailType: event.TypeOrderReturnReceived, Detail: json.RawMessage(`{"orderId":"x"}`)}},
		{"another event", ruleEvent(t, w.event(in, event.TypeOrderDelivered))},
		{"unknown return", ruleEvent(t, unknown)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := h.Handle(context.Background(), tt.ev)
			var invalid *saga.InvalidInput
			if !errors.As(err, &invalid) {
				t.Fatalf("err = %v; want an InvalidInput", err)
			}
		})
	}
	if slices.Contains(w.events(in), event.TypePaymentRefunded) {
		t.Fatalf("refunded on a bad event: %v", w.events(in))
	}
}
