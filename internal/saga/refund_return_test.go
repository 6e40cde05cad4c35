package saga_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/payment"
	"github.com/orion-oss/orion/internal/saga"
)

// An order's whole life after confirmation against the emulator: shipped and delivered through the
// commands over the real store, two units returned and received (back on sale once, however often the
// receipt is repeated), refunded once however often the refund step runs, and stock and money add up.
func TestReturnIsReceivedAndRefundedOnce(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.item("R-1", 10)
	in := w.place("R-1", 3, "tok_visa")
	w.confirm(in)
	id := order.ID(in.OrderID)
	partner := event.Actor{Sub: "partner.fulfilment", Role: event.RolePartner}

	if _, err := command.NewShipOrderHandler(w.store).Handle(ctx, command.ShipOrder{OrderID: id,
		Shipment: order.Shipment{Carrier: "DHL", TrackingNumber: "JD0001"}, Actor: partner, Key: "wh-1", Cause: cause}); err != nil {
		t.Fatal(err)
	}
	// The same partner event again: its key was recorded with the change.
	if _, err := command.NewShipOrderHandler(w.store).Handle(ctx, command.ShipOrder{OrderID: id,
		Shipment: order.Shipment{Carrier: "DHL", TrackingNumber: "JD0001"}, Actor: partner, Key: "wh-1", Cause: cause}); err != nil {
		t.Fatal(err)
	}
	// A saga step repeated after a quick warehouse shipped (its answer was lost, Step Functions retries)
	// finds a success, not an unexpected status that would send the run into compensation.
	for name, step := range map[string]saga.Step{"reserve": w.steps.Reserve, "authorize": w.steps.Authorize,
		"capture": w.steps.Capture, "confirm": w.steps.Confirm} {
		if r, err := step(ctx, in); err != nil || r.Status != "SHIPPED" {
			t.Fatalf("%s repeated on a shipped order: %+v, %v", name, r, err)
		}
	}
	if _, err := command.NewDeliverOrderHandler(w.store).Handle(ctx, command.DeliverOrder{OrderID: id, Actor: partner, Key: "wh-2", Cause: cause}); err != nil {
		t.Fatal(err)
	}
	// Before anything is received, a refund step has nothing to do, and stock is as sold.
	if _, _, err := command.NewRequestReturnHandler(w.store, 0).Handle(ctx, command.RequestReturn{OrderID: id, Caller: "cust-1", Cause: cause,
		Lines: []order.ReturnLine{{SKU: "R-1", Quantity: 2}}}); err != nil {
		t.Fatal(err)
	}
	refund := in
	refund.ReturnID = "R1"
	w.do("refund before receipt", w.steps.RefundReturn, refund)
	if a, _, s := w.stock("R-1", 10); a != 7 || s != 3 {
		t.Fatalf("before receipt: available %d sold %d; want 7 and 3", a, s)
	}
	if rt, _ := w.order(in).FindReturn("R1"); rt.Status != order.ReturnRequested {
		t.Fatalf("refund step moved a return not received: %+v", rt)
	}

	recv := command.NewReceiveReturnHandler(w.store)
	for range 2 {
		if _, err := recv.Handle(ctx, command.ReceiveReturn{OrderID: id, ReturnID: "R1", Actor: partner, Cause: cause}); err != nil {
			t.Fatal(err)
		}
	}
	if a, r, s := w.stock("R-1", 10); a != 9 || r != 0 || s != 1 {
		t.Fatalf("after receipt: available %d reserved %d sold %d; want 9, 0, 1", a, r, s)
	}
	w.do("refund", w.steps.RefundReturn, refund)
	o := w.order(in)
	rt, _ := o.FindReturn("R1")
	if rt.Status != order.ReturnRefunded || rt.RefundID == "" || rt.Amount.Amount() != 2500 {
		t.Fatalf("return = %+v; want REFUNDED 2500", rt)
	}
	if o.Status() != order.Delivered || o.Shipment() == nil || o.Shipment().TrackingNumber != "JD0001" || o.DeliveredAt().IsZero() {
		t.Fatalf("order = %s %+v delivered %s", o.Status(), o.Shipment(), o.DeliveredAt())
	}
	got := w.events(in)
	want := sorted("OrderPlaced", "InventoryReserved", "PaymentAuthorized", "PaymentCaptured", "InventoryCommitted", "OrderConfirmed",
		"OrderShipped", "OrderDelivered", "OrderReturnRequested", "OrderReturnReceived", "InventoryReturned", "PaymentRefunded")
	if len(got) != len(want) {
		t.Fatalf("events = %v; want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("events = %v; want %v", got, want)
		}
	}
	refunded := w.event(in, "PaymentRefunded")
	p, err := refunded.Payload()
	if err != nil {
		t.Fatal(err)
	}
	if e := p.(*event.PaymentRefunded); e.Amount.Amount() != 2500 || e.ReturnID != "R1" {
		t.Fatalf("PaymentRefunded = %+v", e)
	}
	// The last unit can still be returned; more cannot.
	if _, _, err := command.NewRequestReturnHandler(w.store, 0).Handle(ctx, command.RequestReturn{OrderID: id, Caller: "cust-1", Cause: cause,
		Lines: []order.ReturnLine{{SKU: "R-1", Quantity: 2}}}); err == nil {
		t.Fatal("returned more units than are left")
	}
	unknown := in
	unknown.ReturnID = "R5"
	if _, err := w.steps.RefundReturn(ctx, unknown); !errors.As(err, new(*saga.InvalidInput)) {
		t.Fatalf("refund of an unknown return: %v", err)
	}
}

// A cancellation and a shipment of the same confirmed order racing each other: exactly one wins,
// whichever writes first, and the other is refused (ADR 0018). Both are conditional on the version.
func TestShipAndCancelExcludeEachOther(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.item("RACE-1", 50)
	admin := event.Actor{Sub: "root", Role: event.RoleAdmin}
	for i := range 6 {
		in := w.place("RACE-1", 1, "tok_visa")
		w.confirm(in)
		id := order.ID(in.OrderID)
		var shipErr, cancelErr error
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, shipErr = command.NewShipOrderHandler(w.store).Handle(ctx, command.ShipOrder{OrderID: id, Actor: admin, Cause: cause,
				Shipment: order.Shipment{Carrier: "DHL", TrackingNumber: "RACE1"}})
		}()
		_, cancelErr = command.NewCancelOrderHandler(w.orders).Handle(ctx, command.CancelOrder{OrderID: id, Caller: "cust-1", Cause: cause})
		<-done
		o := w.order(in)
		switch {
		case shipErr == nil && errors.Is(cancelErr, order.ErrShipped):
			if o.Status() != order.Shipped || o.Cancellation() != nil {
				t.Fatalf("round %d: shipment won but the order is %s, cancellation %+v", i, o.Status(), o.Cancellation())
			}
		case cancelErr == nil && errors.Is(shipErr, order.ErrCancellationRequested):
			if o.Status() != order.Confirmed || o.Cancellation() == nil || o.Shipment() != nil {
				t.Fatalf("round %d: cancellation won but the order is %s, shipment %+v", i, o.Status(), o.Shipment())
			}
		default:
			t.Fatalf("round %d: ship %v, cancel %v: want exactly one refused", i, shipErr, cancelErr)
		}
	}
}

// receivedReturn takes an order of 3 R-1 through capture, shipment and delivery to a return R1 of 2
// units (25.00) received at the warehouse, through the commands over the real store.
func receivedReturn(t *testing.T, w *world) saga.Input {
	t.Helper()
	ctx := context.Background()
	w.item("R-1", 10)
	in := w.place("R-1", 3, "tok_visa")
	w.confirm(in)
	id := order.ID(in.OrderID)
	partner := event.Actor{Sub: "partner.fulfilment", Role: event.RolePartner}
	if _, err := command.NewShipOrderHandler(w.store).Handle(ctx, command.ShipOrder{OrderID: id,
		Shipment: order.Shipment{Carrier: "DHL", TrackingNumber: "JD0002"}, Actor: partner, Key: "wh-1", Cause: cause}); err != nil {
		t.Fatal(err)
	}
	if _, err := command.NewDeliverOrderHandler(w.store).Handle(ctx, command.DeliverOrder{OrderID: id, Actor: partner, Key: "wh-2", Cause: cause}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := command.NewRequestReturnHandler(w.store, 0).Handle(ctx, command.RequestReturn{OrderID: id, Caller: "cust-1", Cause: cause,
		Lines: []order.ReturnLine{{SKU: "R-1", Quantity: 2}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := command.NewReceiveReturnHandler(w.store).Handle(ctx, command.ReceiveReturn{OrderID: id, ReturnID: "R1", Actor: partner, Cause: cause}); err != nil {
		t.Fatal(err)
	}
	in.ReturnID = "R1"
	return in
}

// refunds is the payment port, recording the refunds asked for and answering each with err, or with
// the sandbox's refund when err is nil: a fake of Orion's own port (the Stripe side is the adapter's
// tests, against stripe-mock and Stripe's documented answers).
type refunds struct {
	payment.Sandbox
	err   error
	asked []payment.RefundRequest
}

func (p *refunds) Refund(ctx context.Context, r payment.RefundRequest) (string, error) {
	p.asked = append(p.asked, r)
	if p.err != nil {
		return "", p.err
	}
	return p.Sandbox.Refund(ctx, r)
}

// A return's refund the provider refuses as more than the payment has left (refunded in its dashboard
// meanwhile) records nothing: the return stays RECEIVED without PaymentRefunded and the error keeps
// its kind, so that the event ends in refund-dlq for an operator rather than passing as refunded. Once
// the provider refunds (the operator settled it, the redrive runs), the return is REFUNDED with that
// refund. Every request names the return, its amount and its own key.
func TestRefusedReturnRefundIsNotRecorded(t *testing.T) {
	w := newWorld(t)
	in := receivedReturn(t, w)
	p := &refunds{err: fmt.Errorf("%w: stripe: HTTP 400 invalid_request_error on amount", payment.ErrRefundExceedsRemaining)}
	steps := saga.NewSteps(w.store, p)

	_, err := steps.RefundReturn(context.Background(), in)
	if !errors.Is(err, payment.ErrRefundExceedsRemaining) || errors.As(err, new(*saga.InvalidInput)) || errors.Is(err, payment.ErrDeclined) {
		t.Fatalf("refused refund: %v; want ErrRefundExceedsRemaining, neither a decline nor invalid input", err)
	}
	if rt, _ := w.order(in).FindReturn("R1"); rt.Status != order.ReturnReceived || rt.RefundID != "" {
		t.Fatalf("after a refused refund: %+v; want RECEIVED without a refund", rt)
	}
	if slices.Contains(w.events(in), "PaymentRefunded") {
		t.Fatalf("a refused refund wrote PaymentRefunded: %v", w.events(in))
	}

	p.err = nil
	if _, err := steps.RefundReturn(context.Background(), in); err != nil {
		t.Fatalf("redriven: %v", err)
	}
	if rt, _ := w.order(in).FindReturn("R1"); rt.Status != order.ReturnRefunded || rt.RefundID == "" {
		t.Fatalf("after the redrive: %+v; want REFUNDED", rt)
	}
	key := payment.Key(in.OrderID, payment.ReturnRefund("R1"))
	if len(p.asked) != 2 {
		t.Fatalf("%d refunds asked; want 2", len(p.asked))
	}
	for _, r := range p.asked {
		if r.ReturnID != "R1" || r.IdempotencyKey != key || r.Amount.Amount() != 2500 || r.OrderID != in.OrderID || r.AuthorizationID == "" {
			t.Fatalf("asked %+v; want return R1's 2500 under %s", r, key)
		}
	}
}

// A received return of an order whose payment was never captured must not pass for refunded, nor for
// done: the step fails as invalid input without asking the provider, the return stays RECEIVED and no
// PaymentRefunded is written. The aggregate cannot reach that state (RequestReturn refuses such
// orders), so the order item is changed in the emulator as a bug or an older version would have
// stored it.
func TestReceivedReturnWithoutCaptureFails(t *testing.T) {
	w := newWorld(t)
	in := receivedReturn(t, w)
	if _, err := w.db.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{TableName: aws.String(w.tables.Orders),
		Key: map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: "ORDER#" + in.OrderID},
			"sk": &ddbtypes.AttributeValueMemberS{Value: "ORDER"}},
		UpdateExpression: aws.String("REMOVE captureId"), ConditionExpression: aws.String("attribute_exists(captureId)")}); err != nil {
		t.Fatal(err)
	}
	if w.order(in).Payment().CaptureID != "" {
		t.Fatal("the capture is still stored")
	}
	p := &refunds{}
	_, err := saga.NewSteps(w.store, p).RefundReturn(context.Background(), in)
	if !errors.As(err, new(*saga.InvalidInput)) {
		t.Fatalf("refund of a return without a capture: %v; want InvalidInput", err)
	}
	if len(p.asked) != 0 {
		t.Fatalf("asked the provider %+v", p.asked)
	}
	if rt, _ := w.order(in).FindReturn("R1"); rt.Status != order.ReturnReceived {
		t.Fatalf("return %+v; want RECEIVED", rt)
	}
	if slices.Contains(w.events(in), "PaymentRefunded") {
		t.Fatalf("events %v", w.events(in))
	}
}

// confirm takes a placed order through the saga's forward steps, each run twice (do), to CONFIRMED.
func (w *world) confirm(in saga.Input) {
	w.t.Helper()
	w.do("reserve", w.steps.Reserve, in)
	w.do("authorize", w.steps.Authorize, in)
	w.do("capture", w.steps.Capture, in)
	w.do("confirm", w.steps.Confirm, in)
}
