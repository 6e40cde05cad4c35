package fulfilment_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/fulfilment"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/validation"
)

// handlers fakes the command handlers (the package's own ports): each answers err and records what it got.
type handlers struct {
	errs    []error // each call's answer, the last one repeated
	calls   int
	ship    []command.ShipOrder
	deliver []command.DeliverOrder
	receive []command.ReceiveReturn
	status  order.Status // the stored order's status, for OrderReader
}

type (
	shipFunc    func(context.Context, command.ShipOrder) (*order.Order, error)
	deliverFunc func(context.Context, command.DeliverOrder) (*order.Order, error)
	receiveFunc func(context.Context, command.ReceiveReturn) (*order.Order, error)
	getFunc     func(context.Context, order.ID) (*order.Order, error)
)

func (f shipFunc) Handle(ctx context.Context, c command.ShipOrder) (*order.Order, error) {
	return f(ctx, c)
}
func (f deliverFunc) Handle(ctx context.Context, c command.DeliverOrder) (*order.Order, error) {
	return f(ctx, c)
}
func (f receiveFunc) Handle(ctx context.Context, c command.ReceiveReturn) (*order.Order, error) {
	return f(ctx, c)
}
func (f getFunc) Get(ctx context.Context, id order.ID) (*order.Order, error) { return f(ctx, id) }

func (h *handlers) commands() fulfilment.Commands {
	return fulfilment.Commands{
		Ship: shipFunc(func(_ context.Context, c command.ShipOrder) (*order.Order, error) {
			h.ship = append(h.ship, c)
			return nil, h.next()
		}),
		Deliver: deliverFunc(func(_ context.Context, c command.DeliverOrder) (*order.Order, error) {
			h.deliver = append(h.deliver, c)
			return nil, h.next()
		}),
		Receive: receiveFunc(func(_ context.Context, c command.ReceiveReturn) (*order.Order, error) {
			h.receive = append(h.receive, c)
			return nil, h.next()
		}),
		Orders: getFunc(func(_ context.Context, id order.ID) (*order.Order, error) {
			return order.FromSnapshot(order.Snapshot{ID: id, CustomerID: "c1", Status: h.status, Version: 3,
				Lines: []order.Line{{SKU: "SKU-1", Quantity: 1}}})
		})}
}

func (h *handlers) next() error {
	if len(h.errs) == 0 {
		return nil
	}
	err := h.errs[min(h.calls, len(h.errs)-1)]
	h.calls++
	return err
}

func parsed(t *testing.T, detailType, detail string) fulfilment.Event {
	t.Helper()
	e, err := fulfilment.Parse(body(partner, detailType, detail), partner, now)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// Each event goes to its command as the partner, with the dedupe key and the event as its cause.
func TestApplyRunsTheCommandAsThePartner(t *testing.T) {
	h := &handlers{}
	c := h.commands()
	ctx := context.Background()
	if err := c.Apply(ctx, parsed(t, "ShipmentDispatched", `{"eventId":"e1","orderId":"`+orderID+`","carrier":"DHL","trackingNumber":"JD1","trackingUrl":"https://dhl.com/JD1","dispatchedAt":"2026-12-03T11:00:00Z"}`)); err != nil {
		t.Fatal(err)
	}
	if err := c.Apply(ctx, parsed(t, "ShipmentDelivered", `{"eventId":"e2","orderId":"`+orderID+`","deliveredAt":"2026-12-03T11:30:00Z"}`)); err != nil {
		t.Fatal(err)
	}
	if err := c.Apply(ctx, parsed(t, "ReturnReceived", `{"eventId":"e3","orderId":"`+orderID+`","returnId":"R2","receivedAt":"2026-12-03T11:40:00Z"}`)); err != nil {
		t.Fatal(err)
	}
	partnerActor := event.Actor{Sub: partner, Role: event.RolePartner}
	s := h.ship[0]
	if s.OrderID != orderID || s.Actor != partnerActor || s.Key != "fulfilment:partner.fulfilment:e1" ||
		s.Cause != (event.Cause{CorrelationID: orderID, CausationID: "e1"}) ||
		s.Shipment != (order.Shipment{Carrier: "DHL", TrackingNumber: "JD1", TrackingURL: "https://dhl.com/JD1", ShippedAt: time.Date(2026, 12, 3, 11, 0, 0, 0, time.UTC)}) {
		t.Errorf("ship %+v", s)
	}
	d := h.deliver[0]
	if d.Actor != partnerActor || d.Key != "fulfilment:partner.fulfilment:e2" || !d.DeliveredAt.Equal(time.Date(2026, 12, 3, 11, 30, 0, 0, time.UTC)) || d.Cause.CorrelationID == "" {
		t.Errorf("deliver %+v", d)
	}
	if r := h.receive[0]; r.Actor != partnerActor || r.ReturnID != "R2" || r.Cause.CausationID != "e3" || r.Cause.CorrelationID == "" {
		t.Errorf("receive %+v", r)
	}
}

// The command's errors are sorted into never (a Rejection with its reason) and not yet (retried).
func TestApplySortsTheErrors(t *testing.T) {
	delivered := `{"eventId":"e2","orderId":"` + orderID + `","deliveredAt":"2026-12-03T11:30:00Z"}`
	dispatchedDetail := `{"eventId":"e1","orderId":"` + orderID + `","carrier":"DHL","trackingNumber":"JD1","dispatchedAt":"2026-12-03T11:00:00Z"}`
	transition := fmt.Errorf("wrapped: %w", order.ErrInvalidTransition)
	for _, tc := range []struct {
		name, detailType, detail string
		errs                     []error
		status                   order.Status
		reason                   fulfilment.Reason // "" means retried
		applied                  bool
	}{
		{"delivered before dispatch", "ShipmentDelivered", delivered, []error{transition}, order.Confirmed, "", false},
		{"delivered before payment", "ShipmentDelivered", delivered, []error{transition}, order.PaymentAuthorized, "", false},
		{"delivered, order cancelled", "ShipmentDelivered", delivered, []error{transition}, order.Cancelled, fulfilment.ReasonRefused, false},
		// Two batches at once: refused while CONFIRMED, the dispatch applied meanwhile, tried again now.
		{"delivered, dispatched meanwhile", "ShipmentDelivered", delivered, []error{transition, nil}, order.Shipped, "", true},
		{"dispatched before confirmation", "ShipmentDispatched", dispatchedDetail, []error{transition}, order.Reserved, "", false},
		{"dispatched, shipped already otherwise", "ShipmentDispatched", dispatchedDetail, []error{transition}, order.Shipped, fulfilment.ReasonRefused, false},
		{"dispatched, ended order", "ShipmentDispatched", dispatchedDetail, []error{fmt.Errorf("x: %w", order.ErrTerminal)}, order.Rejected, fulfilment.ReasonRefused, false},
		{"dispatched, cancellation pending", "ShipmentDispatched", dispatchedDetail, []error{order.ErrCancellationRequested}, order.Confirmed, fulfilment.ReasonRefused, false},
		{"dispatched, bad shipment", "ShipmentDispatched", dispatchedDetail, []error{validation.New("shippedAt", "must not be before the order was placed")}, order.Confirmed, fulfilment.ReasonRefused, false},
		{"no such order", "ShipmentDelivered", delivered, []error{fmt.Errorf("command: %w", order.ErrNotFound)}, "", fulfilment.ReasonOrderNotFound, false},
		{"no such return", "ReturnReceived", `{"eventId":"e3","orderId":"` + orderID + `","returnId":"R9","receivedAt":"2026-12-03T11:40:00Z"}`, []error{order.ErrReturnNotFound}, order.Delivered, fulfilment.ReasonRefused, false},
		{"a conflict", "ShipmentDelivered", delivered, []error{errors.New("dynamo: conflict")}, order.Shipped, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &handlers{errs: tc.errs, status: tc.status}
			err := h.commands().Apply(context.Background(), parsed(t, tc.detailType, tc.detail))
			r, rejected := fulfilment.AsRejection(err)
			switch {
			case tc.applied:
				if err != nil {
					t.Fatalf("err = %v; want it applied", err)
				}
			case err == nil:
				t.Fatal("no error")
			case tc.reason == "" && rejected:
				t.Fatalf("rejected (%v); want it retried", err)
			case tc.reason != "" && (!rejected || r.Reason != tc.reason):
				t.Fatalf("err = %v; want a %s rejection", err, tc.reason)
			}
		})
	}
}
