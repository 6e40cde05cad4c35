package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/order"
)

// The fulfilment partner's events (internal/fulfilment): put on the stack's bus with the real SDK, as
// the partner would, and checked in the orders table and the dead-letter queues.

// partnerEvent is one PutEvents entry.
type partnerEvent struct {
	source, detailType string
	detail             map[string]any
}

func dispatched(eventID, orderID, tracking string) partnerEvent {
	return partnerEvent{output("FulfilmentSource"), "ShipmentDispatched", map[string]any{"eventId": eventID, "orderId": orderID,
		"carrier": "DHL Express", "trackingNumber": tracking, "trackingUrl": "https://www.dhl.com/track?id=" + tracking,
		"dispatchedAt": time.Now().UTC().Format(time.RFC3339Nano)}}
}

func deliveredEvent(eventID, orderID string) partnerEvent {
	return partnerEvent{output("FulfilmentSource"), "ShipmentDelivered", map[string]any{"eventId": eventID, "orderId": orderID,
		"deliveredAt": time.Now().UTC().Format(time.RFC3339Nano)}}
}

// putEvents puts the entries in one PutEvents call, in their order.
func putEvents(t *testing.T, evs ...partnerEvent) {
	t.Helper()
	var entries []ebtypes.PutEventsRequestEntry
	for _, e := range evs {
		b, err := json.Marshal(e.detail)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, ebtypes.PutEventsRequestEntry{EventBusName: aws.String(output("EventBusName")),
			Source: aws.String(e.source), DetailType: aws.String(e.detailType), Detail: aws.String(string(b))})
	}
	out, err := eventsClient(t).PutEvents(context.Background(), &eventbridge.PutEventsInput{Entries: entries})
	if err != nil || out.FailedEntryCount != 0 {
		t.Fatalf("PutEvents: %v %+v", err, out)
	}
}

// confirmedForPartner places an order of one unit and waits for the saga to confirm it.
func confirmedForPartner(t *testing.T) string {
	t.Helper()
	tok := customerToken(t)
	id := order1(t, tok, stockItem(t, 5), 1, "tok_visa")
	settleWithin(t, slack(20*time.Second), tok, id, "CONFIRMED")
	return id
}

// storedOrder reads the order from the orders table, as the commands see it.
func storedOrder(t *testing.T, id string) *order.Order {
	t.Helper()
	repo := dynamo.NewOrderRepository(dynamodb.NewFromConfig(awsConfig(t)), dynamo.Tables{Orders: output("OrdersTableName")})
	o, err := repo.Get(context.Background(), order.ID(id))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// waitOrder polls the stored order until ok holds.
func waitOrder(t *testing.T, id, what string, ok func(*order.Order) bool) *order.Order {
	t.Helper()
	return waitOrderWithin(t, 20*time.Second, id, what, ok)
}

func waitOrderWithin(t *testing.T, within time.Duration, id, what string, ok func(*order.Order) bool) *order.Order {
	t.Helper()
	deadline := time.Now().Add(slack(within))
	for {
		o := storedOrder(t, id)
		if ok(o) {
			return o
		}
		if time.Now().After(deadline) {
			t.Fatalf("order %s is %s: not %s", id, o.Status(), what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func count(types []string, typ string) int {
	n := 0
	for _, x := range types {
		if x == typ {
			n++
		}
	}
	return n
}

// asideSeen holds the messages the tests took from the fulfilment dead-letter queues, by queue output
// and eventId: each test waits for its own, and whichever test receives a message keeps it here for
// the one it belongs to (a received message is invisible to the others for the queue's timeout).
var asideSeen = struct {
	sync.Mutex
	byQueue map[string]map[string]map[string]string
}{byQueue: map[string]map[string]map[string]string{}}

// setAside waits for the message of a partner's event in one of the fulfilment dead-letter queues
// (by its eventId attribute) and returns its attributes (and its body as "body").
func setAside(t *testing.T, queueOutput, eventID string, within time.Duration) map[string]string {
	t.Helper()
	q := sqs.NewFromConfig(awsConfig(t))
	url := output(queueOutput)
	deadline := time.Now().Add(slack(within))
	for {
		asideSeen.Lock()
		if asideSeen.byQueue[queueOutput] == nil {
			asideSeen.byQueue[queueOutput] = map[string]map[string]string{}
		}
		attrs, ok := asideSeen.byQueue[queueOutput][eventID]
		asideSeen.Unlock()
		if ok {
			return attrs
		}
		if time.Now().After(deadline) {
			t.Fatalf("event %s is not in %s after %v", eventID, queueOutput, within)
		}
		out, err := q.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10,
			WaitTimeSeconds: 1, MessageAttributeNames: []string{"All"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			attrs := map[string]string{"body": aws.ToString(m.Body)}
			for k, v := range m.MessageAttributes {
				attrs[k] = aws.ToString(v.StringValue)
			}
			asideSeen.Lock()
			asideSeen.byQueue[queueOutput][attrs["eventId"]] = attrs
			asideSeen.Unlock()
			if _, err := q.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// A dispatch ships the order and a delivery delivers it, each once: the same event delivered again,
// and another event reporting the same shipment, change nothing more.
func TestFulfilmentEventsShipAndDeliverOnce(t *testing.T) {
	t.Parallel()
	id := confirmedForPartner(t)
	evID := awstest.Name(t, "dispatch")
	putEvents(t, dispatched(evID, id, "JD0001"))
	o := waitOrder(t, id, "SHIPPED", func(o *order.Order) bool { return o.Status() == order.Shipped })
	if s := o.Shipment(); s == nil || s.Carrier != "DHL Express" || s.TrackingNumber != "JD0001" || s.TrackingURL != "https://www.dhl.com/track?id=JD0001" {
		t.Fatalf("shipment %+v", o.Shipment())
	}
	version := o.Version()
	// The same event again (EventBridge and SQS deliver at least once; the partner may resend), then
	// a new event of the same shipment; the delivery goes last, so when it has applied both are done.
	putEvents(t, dispatched(evID, id, "JD0001"), dispatched(awstest.Name(t, "again"), id, "JD0001"))
	putEvents(t, deliveredEvent(awstest.Name(t, "delivered"), id))
	o = waitOrder(t, id, "DELIVERED", func(o *order.Order) bool { return o.Status() == order.Delivered })
	if o.Version() != version+1 {
		t.Errorf("version %d after the repeats and the delivery; want %d (the repeats changed nothing)", o.Version(), version+1)
	}
	expectEventsEventually(t, id, "OrderShipped", "OrderDelivered")
	ev, _ := bus.first(id, "OrderShipped")
	var d struct {
		Data struct {
			Actor map[string]string `json:"actor"`
		} `json:"data"`
		CausationID string `json:"causationId"`
	}
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		t.Fatal(err)
	}
	if d.Data.Actor["sub"] != output("FulfilmentSource") || d.Data.Actor["role"] != "partner" || d.CausationID != evID {
		t.Errorf("OrderShipped actor %v, causation %q; want the partner and the event %s", d.Data.Actor, d.CausationID, evID)
	}
}

// expectEventsEventually waits until each of want has been routed once for the order, and no more.
func expectEventsEventually(t *testing.T, id string, want ...string) {
	t.Helper()
	if !sys.emulated || sys.external {
		return // the bus recorder is the in-process runtime's
	}
	deadline := time.Now().Add(slack(5 * time.Second))
	for {
		types := bus.types(id)
		done := true
		for _, w := range want {
			if count(types, w) != 1 {
				done = false
			}
		}
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("events of %s: %v; want each of %v once", id, types, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A delivery reported before its dispatch waits for it: refused by the order's status, it is retried
// until the dispatch has applied, and the order ends DELIVERED. The dispatch is sent to the queue as
// EventBridge writes it, held back 2 s (DelaySeconds), so the delivery is surely tried first. (Its
// retry comes after the queue's 30 s visibility timeout on AWS and `make dev`, 2 s in-process.)
func TestFulfilmentDeliveryBeforeDispatchWaitsForIt(t *testing.T) {
	t.Parallel()
	id := confirmedForPartner(t)
	dispatch := dispatched(awstest.Name(t, "dispatch"), id, "JD0002") // dispatched before it was delivered
	putEvents(t, deliveredEvent(awstest.Name(t, "delivered"), id))
	sendToQueue(t, dispatch, 2)
	o := waitOrderWithin(t, 40*time.Second, id, "DELIVERED", func(o *order.Order) bool { return o.Status() == order.Delivered })
	if o.Shipment() == nil || o.Shipment().TrackingNumber != "JD0002" {
		t.Errorf("shipment %+v", o.Shipment())
	}
	expectEventsEventually(t, id, "OrderShipped", "OrderDelivered")
	if types := bus.types(id); sys.stack != nil && slices.Index(types, "OrderDelivered") < slices.Index(types, "OrderShipped") {
		t.Errorf("events %v: delivered before shipped", types)
	}
}

// sendToQueue writes a partner's event to the fulfilment queue as the rule's target receives it (the
// EventBridge event as the body), delayed by delay seconds.
func sendToQueue(t *testing.T, e partnerEvent, delay int32) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"version": "0", "id": awstest.Name(t, "bus-id"), "detail-type": e.detailType, "source": e.source,
		"account": "123456789012", "time": time.Now().UTC().Format(time.RFC3339), "region": "us-east-1", "resources": []string{},
		"detail": e.detail})
	if err != nil {
		t.Fatal(err)
	}
	q := sqs.NewFromConfig(awsConfig(t))
	if _, err := q.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(output("FulfilmentQueueUrl")),
		MessageBody: aws.String(string(body)), DelaySeconds: delay}); err != nil {
		t.Fatal(err)
	}
}

// A delivery whose dispatch never comes is retried FulfilmentMaxReceives times, then set aside in the
// dead-letter queue with its reason; the order stays CONFIRMED.
func TestFulfilmentDeliveryWithoutDispatchIsSetAside(t *testing.T) {
	// Five receives 30 s apart take over two minutes on AWS and on `make dev`; the in-process runtime
	// shortens a failed message's visibility with its RetryBase (infra/engine/queues), to about 10 s.
	inProcessOnly(t, "waits out the queue's five receives, which only the in-process runtime shortens")
	t.Parallel()
	id := confirmedForPartner(t)
	evID := awstest.Name(t, "orphan")
	putEvents(t, deliveredEvent(evID, id))
	attrs := setAside(t, "FulfilmentDeadLetterQueueUrl", evID, 60*time.Second)
	if attrs["reason"] != "retries-exhausted" || attrs["orderId"] != id || attrs["detailType"] != "ShipmentDelivered" || attrs["receiveCount"] != "5" {
		t.Errorf("dead letter %v; want reason retries-exhausted after 5 receives", attrs)
	}
	if o := storedOrder(t, id); o.Status() != order.Confirmed {
		t.Errorf("order %s", o.Status())
	}
}

// Only the partner's source moves an order: the same ShipmentDispatched put with Orion's own source or
// another partner's is not routed to the consumer, and one forged straight into the queue is rejected
// by the consumer's own check of the source. The partner's own event, put after them, is what ships.
func TestFulfilmentOnlyThePartnerMovesOrders(t *testing.T) {
	t.Parallel()
	id := confirmedForPartner(t)
	for _, src := range []string{"orion.orders", "evil.partner"} {
		e := dispatched(awstest.Name(t, "forged"), id, "EVIL01")
		e.source = src
		putEvents(t, e)
	}
	forgedID := awstest.Name(t, "queue-forged")
	forged := dispatched(forgedID, id, "EVIL02")
	forged.source = "evil.partner"
	sendToQueue(t, forged, 0)
	attrs := setAside(t, "FulfilmentRejectedQueueUrl", forgedID, 20*time.Second)
	if attrs["reason"] != "unauthorized-source" {
		t.Errorf("forged message set aside with %v; want reason unauthorized-source", attrs)
	}
	putEvents(t, dispatched(awstest.Name(t, "real"), id, "JD0003"))
	o := waitOrder(t, id, "SHIPPED", func(o *order.Order) bool { return o.Status() == order.Shipped })
	if o.Shipment().TrackingNumber != "JD0003" {
		t.Errorf("shipped with %s; want the partner's JD0003", o.Shipment().TrackingNumber)
	}
	expectEventsEventually(t, id, "OrderShipped")
}

// Events that can never apply are set aside in the rejected queue with their reason, at once, and
// change nothing: a detail against its schema, an unknown detail-type, an order Orion does not have,
// and a change the order refuses (a second shipment with another tracking number).
func TestFulfilmentBadEventsAreRejectedWithTheirReason(t *testing.T) {
	t.Parallel()
	id := confirmedForPartner(t)
	unknownOrder := "01JDQ7Z3M6X9V0YB2C4D5E6F7G"
	invalid := dispatched(awstest.Name(t, "invalid"), id, "JD0004")
	delete(invalid.detail, "carrier")
	invalid.detail["trackingUrl"] = "javascript:alert(1)"
	unknown := partnerEvent{output("FulfilmentSource"), "ShipmentLost", map[string]any{"eventId": awstest.Name(t, "lost"), "orderId": id}}
	cases := []struct {
		ev     partnerEvent
		reason string
	}{
		{invalid, "invalid-detail"},
		{unknown, "unknown-detail-type"},
		{dispatched(awstest.Name(t, "nobody"), unknownOrder, "JD0005"), "order-not-found"},
	}
	for _, c := range cases {
		putEvents(t, c.ev)
	}
	for _, c := range cases {
		attrs := setAside(t, "FulfilmentRejectedQueueUrl", c.ev.detail["eventId"].(string), 20*time.Second)
		if attrs["reason"] != c.reason || attrs["reasonDetail"] == "" || attrs["receiveCount"] != "1" {
			t.Errorf("%s set aside with %v; want reason %s on the first receive", c.ev.detailType, attrs, c.reason)
		}
	}
	if o := storedOrder(t, id); o.Status() != order.Confirmed {
		t.Fatalf("order %s after rejected events", o.Status())
	}
	// Shipped once, a second shipment with another tracking number is refused by the order.
	putEvents(t, dispatched(awstest.Name(t, "first"), id, "JD0006"))
	waitOrder(t, id, "SHIPPED", func(o *order.Order) bool { return o.Status() == order.Shipped })
	other := awstest.Name(t, "other")
	putEvents(t, dispatched(other, id, "JD0007"))
	attrs := setAside(t, "FulfilmentRejectedQueueUrl", other, 20*time.Second)
	if attrs["reason"] != "refused-by-order" {
		t.Errorf("second shipment set aside with %v; want refused-by-order", attrs)
	}
	if o := storedOrder(t, id); o.Shipment().TrackingNumber != "JD0006" {
		t.Errorf("tracking %s; want the first shipment's", o.Shipment().TrackingNumber)
	}
}

// requestReturn asks for a return of one unit of the order's line as its owner, through the API.
func requestReturn(t *testing.T, tok, id, sku string) string {
	t.Helper()
	r := do(t, "POST", "/orders/"+id+"/returns", tok, fmt.Sprintf(`{"lines":[{"sku":%q,"quantity":1}],"reason":"Too small"}`, sku))
	if r.status != 201 {
		t.Fatalf("request a return: %d %s", r.status, r.body)
	}
	return r.json(t)["returnId"].(string)
}

// A ReturnReceived puts the return's unit back on sale and marks it RECEIVED, once: the same event
// again and another event of the same return change nothing more (one unit back, one of each event); a
// return the order does not have is rejected with its reason.
func TestFulfilmentReturnReceivedRestocksOnce(t *testing.T) {
	t.Parallel()
	tok := customerToken(t)
	s := stockItem(t, 5)
	id := order1(t, tok, s, 1, "tok_visa")
	settleWithin(t, slack(20*time.Second), tok, id, "CONFIRMED")
	putEvents(t, dispatched(awstest.Name(t, "dispatch"), id, "JD0008"))
	waitOrder(t, id, "SHIPPED", func(o *order.Order) bool { return o.Status() == order.Shipped })
	putEvents(t, deliveredEvent(awstest.Name(t, "delivered"), id))
	waitOrder(t, id, "DELIVERED", func(o *order.Order) bool { return o.Status() == order.Delivered })
	returnID := requestReturn(t, tok, id, s)
	if a, _, sold := conserved(t, s, 5); a != 4 || sold != 1 {
		t.Fatalf("before receipt: available %d sold %d; want 4 and 1 (a requested return moves no stock)", a, sold)
	}
	received := func(eventID, returnID string) partnerEvent {
		return partnerEvent{output("FulfilmentSource"), "ReturnReceived", map[string]any{"eventId": eventID, "orderId": id,
			"returnId": returnID, "receivedAt": time.Now().UTC().Format(time.RFC3339Nano)}}
	}
	evID := awstest.Name(t, "received")
	putEvents(t, received(evID, returnID), received(evID, returnID), received(awstest.Name(t, "again"), returnID))
	// Received, the return is refunded next (refund-return, on OrderReturnReceived).
	waitOrder(t, id, "with its return RECEIVED", func(o *order.Order) bool {
		r, ok := o.FindReturn(returnID)
		return ok && (r.Status == order.ReturnReceived || r.Status == order.ReturnRefunded)
	})
	// The unknown return goes last: once it is rejected, the three deliveries before it are done.
	unknown := awstest.Name(t, "unknown")
	putEvents(t, received(unknown, "R99"))
	if attrs := setAside(t, "FulfilmentRejectedQueueUrl", unknown, 20*time.Second); attrs["reason"] != "refused-by-order" {
		t.Errorf("unknown return set aside with %v; want refused-by-order", attrs)
	}
	if a, _, sold := conserved(t, s, 5); a != 5 || sold != 0 {
		t.Errorf("after receipt: available %d sold %d; want 5 and 0 (the unit back on sale once)", a, sold)
	}
	// Once: one OrderReturnReceived and one InventoryReturned, whatever the repeats.
	expectEventsEventually(t, id, "OrderReturnReceived", "InventoryReturned")
}
