package fulfilment_test

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orion-oss/orion/internal/fulfilment"
)

// applier is a fake of the consumer's own port: it answers per event id.
type applier struct {
	answers map[string]error
	applied []string
}

func (a *applier) Apply(_ context.Context, e fulfilment.Event) error {
	id := e.Reference().EventID
	if err := a.answers[id]; err != nil {
		return err
	}
	a.applied = append(a.applied, id)
	return nil
}

type sent struct {
	body  string
	attrs map[string]string
}

type queue struct {
	sent []sent
	err  error
}

func (q *queue) Send(_ context.Context, body string, attrs map[string]string) error {
	if q.err != nil {
		return q.err
	}
	q.sent = append(q.sent, sent{body, attrs})
	return nil
}

func message(id string, receives int, b []byte) events.SQSMessage {
	return events.SQSMessage{MessageId: id, Body: string(b), Attributes: map[string]string{"ApproximateReceiveCount": strconv.Itoa(receives)}}
}

func delivered(eventID string) []byte {
	return body(partner, "ShipmentDelivered", `{"eventId":"`+eventID+`","orderId":"`+orderID+`","deliveredAt":"2026-12-03T11:00:00Z"}`)
}

func consumer(a *applier, rejected, dead *queue) *fulfilment.Consumer {
	return &fulfilment.Consumer{Source: partner, Applier: a, Rejected: rejected, DeadLetters: dead, MaxReceives: 3,
		Now: func() time.Time { return now }, Log: slog.New(slog.DiscardHandler)}
}

func failedIDs(r events.SQSEventResponse) []string {
	var ids []string
	for _, f := range r.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return ids
}

func TestConsumer(t *testing.T) {
	notYet := errors.New("order: invalid status transition")
	refused := &fulfilment.Rejection{Reason: fulfilment.ReasonRefused, Detail: "the order is CANCELLED"}
	for _, tc := range []struct {
		name        string
		msg         events.SQSMessage
		answer      error
		rejectedErr error
		failed      bool
		rejected    fulfilment.Reason // set aside in the rejected queue with this reason
		dead        fulfilment.Reason // set aside in the dead-letter queue with this reason
	}{
		{name: "applied", msg: message("m", 1, delivered("e1"))},
		{name: "not applicable yet: retried", msg: message("m", 1, delivered("e1")), answer: notYet, failed: true},
		{name: "not applicable yet, second to last receive: retried", msg: message("m", 2, delivered("e1")), answer: notYet, failed: true},
		{name: "not applicable on the last receive: dead letter with the reason", msg: message("m", 3, delivered("e1")), answer: notYet, dead: fulfilment.ReasonRetriesExhausted},
		{name: "refused by the order: rejected at once", msg: message("m", 1, delivered("e1")), answer: refused, rejected: fulfilment.ReasonRefused},
		{name: "invalid: rejected at once", msg: message("m", 1, body(partner, "ShipmentDelivered", `{"eventId":"e1"}`)), rejected: fulfilment.ReasonInvalidDetail},
		{name: "foreign source: rejected", msg: message("m", 1, body("evil.partner", "ShipmentDelivered", `{"eventId":"e1"}`)), rejected: fulfilment.ReasonUnauthorizedSource},
		{name: "unknown type: rejected", msg: message("m", 1, body(partner, "ParcelLost", `{"eventId":"e1"}`)), rejected: fulfilment.ReasonUnknownType},
		{name: "rejected queue down: retried", msg: message("m", 1, body(partner, "ParcelLost", `{"eventId":"e1"}`)), rejectedErr: errors.New("throttled"), failed: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := &applier{answers: map[string]error{"e1": tc.answer}}
			rejected, dead := &queue{err: tc.rejectedErr}, &queue{}
			resp, err := consumer(a, rejected, dead).Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{tc.msg}})
			if err != nil {
				t.Fatal(err)
			}
			if got := len(resp.BatchItemFailures) == 1; got != tc.failed {
				t.Errorf("batch item failures %v; want the message failed: %v", failedIDs(resp), tc.failed)
			}
			check := func(name string, q *queue, want fulfilment.Reason) {
				if want == "" {
					if len(q.sent) != 0 {
						t.Errorf("%s queue got %+v", name, q.sent)
					}
					return
				}
				if len(q.sent) != 1 || q.sent[0].attrs["reason"] != string(want) || q.sent[0].body != tc.msg.Body || q.sent[0].attrs["reasonDetail"] == "" ||
					q.sent[0].attrs["eventId"] != "e1" {
					t.Fatalf("%s queue got %+v; want the message with reason %s", name, q.sent, want)
				}
			}
			check("rejected", rejected, tc.rejected)
			check("dead-letter", dead, tc.dead)
		})
	}
}

// In a batch, the messages that applied are done with and only the others come back; a later event
// of the same order in the batch is still tried after an earlier one failed.
func TestConsumerReportsOnlyTheFailedMessages(t *testing.T) {
	a := &applier{answers: map[string]error{"e2": errors.New("not yet")}}
	rejected, dead := &queue{}, &queue{}
	resp, err := consumer(a, rejected, dead).Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{
		message("m1", 1, delivered("e1")), message("m2", 1, delivered("e2")), message("m3", 1, delivered("e3")),
		message("m4", 1, []byte("garbage"))}})
	if err != nil {
		t.Fatal(err)
	}
	if ids := failedIDs(resp); len(ids) != 1 || ids[0] != "m2" {
		t.Errorf("failed %v; want [m2]", ids)
	}
	if len(a.applied) != 2 || a.applied[0] != "e1" || a.applied[1] != "e3" {
		t.Errorf("applied %v; want [e1 e3]", a.applied)
	}
	if len(rejected.sent) != 1 || rejected.sent[0].attrs["reason"] != string(fulfilment.ReasonInvalidEnvelope) {
		t.Errorf("rejected %+v", rejected.sent)
	}
}

// A rejected event's ids and reason go into message attributes, which SQS refuses whole for one
// character outside its allowed set: they are made acceptable (and cut on a character boundary), so
// the event reaches the rejected queue with its reason instead of being retried into the redrive.
func TestSetAsideAttributesAreWhatSQSAccepts(t *testing.T) {
	long := ""
	for len(long) < 1100 {
		long += "é"
	}
	msg := message("m", 1, body(partner, "ShipmentDelivered", `{"eventId":"bad\u0001id\uffff","orderId":"`+long+`"}`))
	rejected := &queue{}
	resp, err := consumer(&applier{}, rejected, &queue{}).Handle(context.Background(), events.SQSEvent{Records: []events.SQSMessage{msg}})
	if err != nil || len(resp.BatchItemFailures) != 0 || len(rejected.sent) != 1 {
		t.Fatalf("err %v, failures %v, rejected %d; want set aside once", err, failedIDs(resp), len(rejected.sent))
	}
	for k, v := range rejected.sent[0].attrs {
		if !utf8.ValidString(v) || len(v) > 1024 {
			t.Errorf("attribute %s: %d bytes, valid UTF-8 %v", k, len(v), utf8.ValidString(v))
		}
		for _, r := range v {
			if !(r == 0x9 || r == 0xA || r == 0xD || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000) {
				t.Errorf("attribute %s holds %U, which SQS refuses", k, r)
			}
		}
	}
	if got := rejected.sent[0].attrs["eventId"]; got != "bad\uFFFDid\uFFFD" {
		t.Errorf("eventId attribute = %q", got)
	}
}
