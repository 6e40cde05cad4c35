package fulfilment

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// Applier applies a checked event to its order, once per event id. An error that is a *Rejection can
// never succeed (the order refuses the change); any other error may clear (the order has not reached
// the status the event needs yet, a throttled write) and is retried.
type Applier interface {
	Apply(ctx context.Context, e Event) error
}

// Queue is where the consumer sets a message aside, with its reason as message attributes.
type Queue interface {
	Send(ctx context.Context, body string, attrs map[string]string) error
}

// Consumer is the queue's consumer: an SQS event source with ReportBatchItemFailures.
type Consumer struct {
	// Source is the fulfilment partner's EventBridge source (the FulfilmentSource parameter).
	Source  string
	Applier Applier
	// Rejected receives the events that can never apply; DeadLetters the ones whose retries ran out.
	Rejected, DeadLetters Queue
	// MaxReceives is the queue's redrive maxReceiveCount: on the last receive it allows, a failing
	// event is set aside here with its reason instead of failing once more and being moved by SQS
	// without one. A crash on that receive still leaves it to the redrive policy.
	MaxReceives int
	Now         func() time.Time
	Log         *slog.Logger
}

// Handle consumes one batch. Messages are applied one after the other, in the batch's order; each one
// that should be tried again is reported as a batch item failure, so the others are not redelivered.
func (c *Consumer) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, m := range ev.Records {
		if !c.handle(ctx, m) {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
	}
	return resp, nil
}

// handle applies or sets aside one message and says whether it is done with.
func (c *Consumer) handle(ctx context.Context, m events.SQSMessage) bool {
	log := c.Log.With("messageId", m.MessageId)
	e, err := Parse([]byte(m.Body), c.Source, c.Now())
	if err == nil {
		ref := e.Reference()
		log = log.With("eventId", ref.EventID, "orderId", string(ref.OrderID), "detailType", ref.DetailType)
		if err = c.Applier.Apply(ctx, e); err == nil {
			log.Info("fulfilment: event applied")
			return true
		}
	}
	ref := Peek([]byte(m.Body))
	if e != nil {
		ref = e.Reference()
	}
	receives, _ := strconv.Atoi(m.Attributes["ApproximateReceiveCount"])
	if r, ok := AsRejection(err); ok {
		return c.setAside(ctx, log, c.Rejected, m, ref, r, receives)
	}
	if c.MaxReceives > 0 && receives >= c.MaxReceives {
		return c.setAside(ctx, log, c.DeadLetters, m, ref, &Rejection{Reason: ReasonRetriesExhausted, Detail: err.Error()}, receives)
	}
	log.Warn("fulfilment: event not applied yet; retrying", "receives", receives, "error", err)
	return false
}

// maxAttribute keeps a reason's detail well within SQS's message size.
const maxAttribute = 1024

// attribute makes a value from the message (anything a sender wrote) a string SQS accepts as a message
// attribute: SQS refuses the whole SendMessage for one character outside #x9 | #xA | #xD | #x20-#xD7FF |
// #xE000-#xFFFD | #x10000-#x10FFFF (docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/
// API_SendMessage.html), and the event would then be retried until the redrive took it, without its
// reason. Such characters (and invalid UTF-8) become U+FFFD; the value is cut to maxAttribute bytes on
// a character boundary.
func attribute(s string) string {
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if !(r == 0x9 || r == 0xA || r == 0xD || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF) {
			r = '\uFFFD'
		}
		if b.Len()+utf8.RuneLen(r) > maxAttribute {
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (c *Consumer) setAside(ctx context.Context, log *slog.Logger, q Queue, m events.SQSMessage, ref Ref, r *Rejection, receives int) bool {
	detail := attribute(r.Detail)
	attrs := map[string]string{"reason": string(r.Reason), "reasonDetail": detail, "eventId": attribute(ref.EventID),
		"orderId": attribute(string(ref.OrderID)), "detailType": attribute(ref.DetailType), "source": attribute(ref.Source),
		"receiveCount": strconv.Itoa(receives)}
	if err := q.Send(ctx, m.Body, attrs); err != nil {
		// Not set aside: it stays in the queue and comes back (then, at worst, SQS's redrive moves it).
		log.Error("fulfilment: event could not be set aside", "reason", r.Reason, "error", err)
		return false
	}
	log.Warn("fulfilment: event set aside", "reason", r.Reason, "detail", detail, "receives", receives)
	return true
}
