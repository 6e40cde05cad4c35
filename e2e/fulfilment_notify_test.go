package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/orion-oss/orion/infra/engine/eventbus"
	"github.com/orion-oss/orion/infra/engine/localaws"
	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/email"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/platform/awscfg"
)

// What a customer hears after confirmation: the shipped mail with its tracking link, the delivered
// mail, the WebSocket pushes of each step of a return, and the refund that refund-return makes of a
// received return, each once however often the bus repeats the events.
//
// The order is moved past CONFIRMED through the commands in-process, with the stack's own tables
// (the one code path the HTTP routes and the partner's events call too); the HTTP routes were not on
// main when these were written. The functions under test (send-email, notify-order-status,
// refund-return) see only the events, exactly as they would from the routes.

// afterConfirmation moves orders of the running stack through the commands.
type afterConfirmation struct {
	t     *testing.T
	store *dynamo.Saga
	admin event.Actor
}

func newAfterConfirmation(t *testing.T) afterConfirmation {
	t.Helper()
	cfg, err := awscfg.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tables := dynamo.Tables{Orders: output("OrdersTableName"), Inventory: output("InventoryTableName"),
		Reservations: output("ReservationsTableName"), Outbox: output("OutboxTableName")}
	return afterConfirmation{t: t, store: dynamo.NewSaga(dynamodb.NewFromConfig(cfg), tables),
		admin: event.Actor{Sub: "e2e-admin", Role: event.RoleAdmin}}
}

func (a afterConfirmation) cause() event.Cause {
	return event.Cause{CorrelationID: "e2e-" + a.t.Name()}
}

func (a afterConfirmation) ship(id string, s order.Shipment) {
	a.t.Helper()
	if _, err := command.NewShipOrderHandler(a.store).Handle(context.Background(), command.ShipOrder{OrderID: order.ID(id), Shipment: s,
		Actor: a.admin, Cause: a.cause()}); err != nil {
		a.t.Fatalf("ship %s: %v", id, err)
	}
}

func (a afterConfirmation) deliver(id string) {
	a.t.Helper()
	if _, err := command.NewDeliverOrderHandler(a.store).Handle(context.Background(), command.DeliverOrder{OrderID: order.ID(id),
		Actor: a.admin, Cause: a.cause()}); err != nil {
		a.t.Fatalf("deliver %s: %v", id, err)
	}
}

// askReturn requests a return of qty units of sku as the order's owner (the access token's subject)
// and returns its id.
func (a afterConfirmation) askReturn(id, owner, sku string, qty int64) string {
	a.t.Helper()
	_, r, err := command.NewRequestReturnHandler(a.store, 0).Handle(context.Background(), command.RequestReturn{OrderID: order.ID(id),
		Caller: customer.ID(subject(a.t, owner)), Lines: []order.ReturnLine{{SKU: inventory.SKU(sku), Quantity: inventory.Quantity(qty)}}, Cause: a.cause()})
	if err != nil {
		a.t.Fatalf("return of %s: %v", id, err)
	}
	return r.ID
}

func (a afterConfirmation) receive(id, returnID string) {
	a.t.Helper()
	if _, err := command.NewReceiveReturnHandler(a.store).Handle(context.Background(), command.ReceiveReturn{OrderID: order.ID(id),
		ReturnID: returnID, Actor: a.admin, Cause: a.cause()}); err != nil {
		a.t.Fatalf("receive %s of %s: %v", returnID, id, err)
	}
}

func (a afterConfirmation) stored(id string) *order.Order {
	a.t.Helper()
	o, err := a.store.Get(context.Background(), order.ID(id))
	if err != nil {
		a.t.Fatal(err)
	}
	return o
}

// nextPush waits for the next order.status push of the order, failing on a push of another order.
func (c *client) nextPush(t *testing.T, orderID string) map[string]any {
	t.Helper()
	m := c.next(t, slack(15*time.Second))
	if m["type"] != "order.status" || m["orderId"] != orderID {
		t.Fatalf("unexpected message %v while waiting for order %s", m, orderID)
	}
	return m
}

// mailNamed is the one mail of the subject: the email function runs each event on its own, so mails of
// consecutive events may arrive in either order.
func mailNamed(t *testing.T, mails []localaws.SentEmail, subject string) localaws.SentEmail {
	t.Helper()
	var found []localaws.SentEmail
	for _, m := range mails {
		if m.Subject == subject {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d mails %q among %d", len(found), subject, len(mails))
	}
	return found[0]
}

// countOnBus is how many events of a type of the order the bus routed (duplicates put again included).
func countOnBus(id, typ string) int {
	n := 0
	for _, got := range bus.types(id) {
		if got == typ {
			n++
		}
	}
	return n
}

// The whole life of one order as its customer hears it, with every event of it delivered twice more.
func TestFulfilmentNotifyMailPushAndRefund(t *testing.T) {
	emulatorOnly(t, "reads the mail from the emulator's SES; SES on AWS keeps no mailbox to read")
	t.Parallel()
	addr, tok := customerWithAddress(t)
	c := connect(t, tok)
	s := stockItem(t, 10)
	id := order1(t, tok, s, 3, "tok_visa")
	settle(t, tok, id, "CONFIRMED")
	c.statuses(t, id) // up to CONFIRMED
	a := newAfterConfirmation(t)

	// Shipped: a push with the tracking, a mail with the link (its query's & escaped in the HTML).
	const tracking = "https://track.example.com/p?id=JD0146&lang=en"
	a.ship(id, order.Shipment{Carrier: "DHL", TrackingNumber: "JD0146", TrackingURL: tracking})
	m := c.nextPush(t, id)
	sh, _ := m["shipment"].(map[string]any)
	if m["status"] != "SHIPPED" || sh["carrier"] != "DHL" || sh["trackingNumber"] != "JD0146" || sh["trackingUrl"] != tracking {
		t.Fatalf("shipped push %v", m)
	}
	shipped := mailNamed(t, expectMail(t, addr, 2), "Order "+email.ShortID(id)+" has shipped") // and the confirmation's
	if !strings.Contains(shipped.Body, `href="https://track.example.com/p?id=JD0146&amp;lang=en"`) || !strings.Contains(shipped.Body, "JD0146") {
		t.Fatalf("shipped mail %q:\n%s", shipped.Subject, shipped.Body)
	}

	a.deliver(id)
	if m := c.nextPush(t, id); m["status"] != "DELIVERED" || m["deliveredAt"] == nil {
		t.Fatalf("delivered push %v", m)
	}
	mailNamed(t, expectMail(t, addr, 3), "Order "+email.ShortID(id)+" was delivered")

	rid := a.askReturn(id, tok, s, 2)
	if m := c.nextPush(t, id); m["status"] != "DELIVERED" || fmt.Sprint(m["return"]) != fmt.Sprintf("map[id:%s status:REQUESTED]", rid) {
		t.Fatalf("return requested push %v", m)
	}
	if a, r, so := conserved(t, s, 10); a != 7 || r != 0 || so != 3 {
		t.Fatalf("before receipt: available %d reserved %d sold %d; want 7, 0, 3", a, r, so)
	}

	// Received: the units are back on sale, and refund-return refunds the return on its own. The bus
	// brings the receipt and the refund to the projector side by side: when the view takes the refund
	// (a later version) first, the receipt is not told after it, and only the refund comes.
	a.receive(id, rid)
	for {
		m := c.nextPush(t, id)
		ret, _ := m["return"].(map[string]any)
		if m["status"] != "DELIVERED" || ret["id"] != rid || (ret["status"] != "RECEIVED" && ret["status"] != "REFUNDED") {
			t.Fatalf("return push %v", m)
		}
		if ret["status"] == "REFUNDED" {
			break
		}
	}
	if a, r, so := conserved(t, s, 10); a != 9 || r != 0 || so != 1 {
		t.Fatalf("after receipt: available %d reserved %d sold %d; want 9, 0, 1", a, r, so)
	}
	o := a.stored(id)
	if r, _ := o.FindReturn(rid); r.Status != order.ReturnRefunded || r.RefundID == "" || r.Amount.Amount() != 2500 {
		t.Fatalf("return %+v; want REFUNDED 2500", r)
	}
	refunded := mailNamed(t, expectMail(t, addr, 4), "Refund for order "+email.ShortID(id))
	if !strings.Contains(refunded.Body, "$25.00") {
		t.Fatalf("refund mail %q:\n%s", refunded.Subject, refunded.Body)
	}

	// At least once: every event after confirmation delivered twice more sends, pushes and refunds
	// nothing more.
	var again []eventbus.Event
	for _, typ := range []string{"OrderShipped", "OrderDelivered", "OrderReturnRequested", "OrderReturnReceived", "PaymentRefunded"} {
		ev, ok := bus.first(id, typ)
		if !ok {
			t.Fatalf("no %s on the bus: %v", typ, bus.types(id))
		}
		again = append(again, ev, ev)
	}
	for _, ev := range again {
		putAgain(t, ev)
	}
	eventually(t, "the duplicates on the bus", func() bool {
		return countOnBus(id, "OrderReturnReceived") == 3 && countOnBus(id, "PaymentRefunded") == 3
	})
	expectMail(t, addr, 4)
	c.quiet(t, time.Second)
	if got := a.stored(id); got.Version() != o.Version() {
		t.Fatalf("the repeated events changed the order: version %d -> %d", o.Version(), got.Version())
	}
	if a, r, so := conserved(t, s, 10); a != 9 || r != 0 || so != 1 {
		t.Fatalf("after the duplicates: available %d reserved %d sold %d; want 9, 0, 1", a, r, so)
	}
}

// A return refund-return cannot refund (here: a receipt of a return the order does not have, as a
// bug or a forged event would bring) is retried, then kept in the refund DLQ with its event, and
// refunds nothing.
func TestFulfilmentNotifyRefundFailureLandsInItsDLQ(t *testing.T) {
	inProcessOnly(t, "waits out Lambda's asynchronous retries, 50 ms apart in the in-process runtime (minutes on AWS)")
	t.Parallel()
	tok := customerToken(t)
	s := stockItem(t, 10)
	id := order1(t, tok, s, 1, "tok_visa")
	settle(t, tok, id, "CONFIRMED")
	a := newAfterConfirmation(t)
	a.ship(id, order.Shipment{Carrier: "UPS", TrackingNumber: "1Z999"})
	a.deliver(id)
	delivered := a.stored(id)

	env, err := event.Wrap(event.OrderReturnReceived{OrderRef: event.OrderRef{OrderID: id, CustomerID: string(delivered.CustomerID()),
		Status: "DELIVERED", OrderVersion: delivered.Version() + 1}, ReturnID: "R9", Lines: []event.ReturnLine{{SKU: s, Quantity: 1}},
		Amount: delivered.Total()}, event.Meta{ID: "e2e-forged-" + id, OccurredAt: time.Now(), CorrelationID: "e2e-forged"})
	if err != nil {
		t.Fatal(err)
	}
	detail, _ := json.Marshal(env)
	putAgain(t, eventbus.Event{Source: env.Source, DetailType: env.Type, Detail: detail})

	cfg, err := awscfg.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	q := sqs.NewFromConfig(cfg)
	queue := output("RefundDeadLetterQueueUrl")
	var record struct {
		RequestContext struct {
			Condition              string `json:"condition"`
			ApproximateInvokeCount int    `json:"approximateInvokeCount"`
		} `json:"requestContext"`
	}
	eventually(t, "the failed receipt in the refund DLQ", func() bool {
		out, err := q.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: &queue, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, m := range out.Messages {
			if strings.Contains(aws.ToString(m.Body), env.ID) && json.Unmarshal([]byte(aws.ToString(m.Body)), &record) == nil {
				found = true
				q.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: &queue, ReceiptHandle: m.ReceiptHandle})
				continue
			}
			q.ChangeMessageVisibility(context.Background(), &sqs.ChangeMessageVisibilityInput{QueueUrl: &queue, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0})
		}
		return found
	})
	if record.RequestContext.Condition != "RetriesExhausted" || record.RequestContext.ApproximateInvokeCount != 3 {
		t.Fatalf("DLQ record context %+v; want RetriesExhausted after 3 attempts", record.RequestContext)
	}
	if got := a.stored(id); got.Version() != delivered.Version() || len(got.Returns()) != 0 || got.Payment().RefundID != "" {
		t.Fatalf("the forged receipt changed the order: version %d -> %d, returns %v", delivered.Version(), got.Version(), got.Returns())
	}
	if n := countOnBus(id, "PaymentRefunded"); n != 0 {
		t.Fatalf("%d PaymentRefunded for a return the order does not have", n)
	}
}
