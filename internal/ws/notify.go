package ws

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orion-oss/orion/internal/platform/logging"
	"github.com/orion-oss/orion/internal/platform/metrics"
	"github.com/orion-oss/orion/internal/projection"
)

// Status is the message pushed for every status change.
type Status struct {
	Type         string    `json:"type"` // "order.status"
	OrderID      string    `json:"orderId"`
	Status       string    `json:"status"`
	Reason       string    `json:"reason,omitempty"`
	OccurredAt   time.Time `json:"occurredAt"`
	EventID      string    `json:"eventId"`
	OrderVersion int64     `json:"orderVersion"`
	// PaymentAction is set while the payment waits for the customer (PaymentActionRequired): its type
	// only; GET /orders/{orderId} shows the owner where to complete it (the URL never travels on the
	// bus: it can carry the payment's client secret).
	PaymentAction *PaymentAction `json:"paymentAction,omitempty"`
	// Shipment is set when the order shipped (OrderShipped): the carrier and its tracking.
	Shipment *Shipment `json:"shipment,omitempty"`
	// DeliveredAt is set when the order was delivered (OrderDelivered): the carrier's time, from which
	// the return window runs.
	DeliveredAt *time.Time `json:"deliveredAt,omitempty"`
	// Return is set when one of the order's returns moved: requested, received, refunded.
	Return *Return `json:"return,omitempty"`
}

// PaymentAction says the payment waits for the customer, and how (the provider's next-action type).
type PaymentAction struct {
	Type string `json:"type"`
}

// Watcher is a connection subscribed to a topic.
type Watcher struct {
	ConnectionID, Topic string
	// ExpiresAt is the watching connection's ExpiresAt (zero: unknown, never expired).
	ExpiresAt time.Time
}

// Recipient is a connection to push to, with the topics it was found through.
type Recipient struct {
	ConnectionID string
	Topics       []string
}

// NotifyStore is the connections table as the notifier uses it.
type NotifyStore interface {
	// OfUser lists a user's connections (ByUser index: eventually consistent, like every GSI).
	OfUser(ctx context.Context, userID string) ([]Connection, error)
	// Watchers lists the connections watching any of the topics.
	Watchers(ctx context.Context, topics ...string) ([]Watcher, error)
	// Claim records that version of the order goes to the connection, unless this or a newer version
	// already went (ok false). prev is the version it replaces, 0 if none.
	Claim(ctx context.Context, connID, orderID string, version int64) (prev int64, ok bool, err error)
	// Unclaim undoes a claim whose push failed, unless a newer one replaced it meanwhile.
	Unclaim(ctx context.Context, connID, orderID string, version, prev int64) error
	Delete(ctx context.Context, id string, topics ...string) error
}

// Poster posts to a connection (the Management API's PostToConnection); ErrGone when it is gone.
type Poster interface {
	Post(ctx context.Context, connID string, data []byte) error
}

// ChangeReader reads what one stream record of the projections table changed that an order's
// watchers are told about (internal/adapter/dynamo ViewChangeOf): nothing for a record of another
// item; an error for a record that cannot be read.
type ChangeReader func(events.DynamoDBEventRecord) (projection.ViewChange, error)

// Notifier pushes order status changes from the projections table's stream (docs/adr/0026): each
// record is a write of an order view, and the notices it added (a new status, a payment action, a
// return's step) go to the owner's connections and to the admin connections watching all orders or
// that one, after the view changed, so a client that reads after a push sees what it said.
//
// Delivery, see docs/websocket.md:
//   - Order comes from the stream: DynamoDB Streams deliver an item's changes in the order they were
//     made, and the event source mapping gives a shard one batch at a time (ParallelizationFactor 1),
//     so the records of an order reach one invocation after the other; within a batch an order's
//     notices are pushed one after the other, in version order (pending). Orders go side by side.
//   - Deduplication: before an order's posts of a batch to a connection, one conditional write records
//     the newest of their versions as pushed to it and answers the version it had; what is not newer
//     than that is skipped, and the write fails when the newest went, so a retried batch (the stream
//     and Lambda deliver at least once) posts nothing twice. One write per connection and batch, not
//     per status: an order's statuses usually reach one batch (the batching window, docs/adr/0026).
//   - A 410 deletes the connection. Any other failure gives back the record of the notices not posted
//     and reports the record that added the first of them, and every later record of the same order in
//     the batch, as failed (ReportBatchItemFailures): Lambda retries from the first failed record, whose
//     earlier pushes the claims skip, and the order's later changes are not pushed before it.
//   - A crash between the record and the posts loses the pushes not yet made (at most once there); the
//     client's subscribe answer carries the current status, which is what a reconnecting client relies on.
type Notifier struct {
	Store   NotifyStore
	Poster  Poster
	Changes ChangeReader
	Logger  *slog.Logger
	// Metrics receives WebSocketPushes and StaleConnections per batch (nil: none).
	Metrics     *metrics.Emitter
	Workers     int           // posts at a time; default 32
	PostTimeout time.Duration // default 3 s
	Now         func() time.Time
}

// ErrPushFailed: some connections could not be served; the record is retried.
var ErrPushFailed = errors.New("ws: pushes failed")

// orderRecords are the records of one order in a batch, in stream order.
type orderRecords struct {
	orderID, customerID string
	records             []int // indexes in the batch
	changes             []projection.ViewChange
}

// HandleStream is the Lambda entry point of the projections table's stream (FunctionResponseTypes
// ReportBatchItemFailures). It returns the records to retry; it never fails the whole batch, so that
// what was pushed is not pushed again before the records that failed.
func (n *Notifier) HandleStream(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	log := logger(n.Logger)
	failed := make([]bool, len(ev.Records))
	var byOrder []*orderRecords
	index := map[string]*orderRecords{}
	for i, r := range ev.Records {
		change, err := n.Changes(r)
		if err != nil {
			// Its order is unknown: this record and all after it are retried, so no order's later
			// change overtakes it. The writer and the reader of the view disagree, which retries will
			// not mend: the batch ends in the dead-letter queue, where it can be inspected.
			log.ErrorContext(ctx, "ws: stream record not read", "eventId", r.EventID, "sequenceNumber", r.Change.SequenceNumber, "error", err)
			for j := i; j < len(failed); j++ {
				failed[j] = true
			}
			break
		}
		if len(change.Notices) == 0 {
			continue
		}
		o := index[change.OrderID]
		if o == nil {
			o = &orderRecords{orderID: change.OrderID, customerID: change.CustomerID}
			index[change.OrderID] = o
			byOrder = append(byOrder, o)
		}
		o.records = append(o.records, i)
		o.changes = append(o.changes, change)
	}

	recipients, err := n.recipients(ctx, byOrder)
	var (
		mu                  sync.Mutex
		sent, gone, skipped int
		wg                  sync.WaitGroup
		sem                 = make(chan struct{}, cmp.Or(n.Workers, 32))
	)
	for _, o := range byOrder {
		rs, ok := recipients[o.orderID]
		if err != nil || !ok {
			log.ErrorContext(ctx, "ws: recipients not read", "orderId", o.orderID, "error", err)
			markFrom(failed, o.records, 0)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ns := o.pending()
			if len(ns) == 0 {
				return
			}
			s, g, sk, at, err := n.pushOrder(ctx, sem, o.orderID, ns, rs)
			mu.Lock()
			defer mu.Unlock()
			sent, gone, skipped = sent+s, gone+g, skipped+sk
			if err != nil {
				// The notices from the at-th on did not reach every recipient: the retry starts at the first
				// record that added one of them, so that it reads them all again, in order; the claims skip
				// what went.
				first := ns[at].record
				for _, q := range ns[at:] {
					first = min(first, q.record)
				}
				log.WarnContext(ctx, "ws: push failed, the order's records from here are retried", "orderId", o.orderID,
					"orderVersion", ns[at].notice.OrderVersion, "error", err)
				markFrom(failed, o.records, first)
			}
		}()
	}
	wg.Wait()

	var resp events.DynamoDBEventResponse
	for i, f := range failed {
		if f {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: ev.Records[i].Change.SequenceNumber})
		}
	}
	log.InfoContext(ctx, "ws: stream batch pushed", "records", len(ev.Records), "orders", len(byOrder), "sent", sent, "skipped", skipped,
		"gone", gone, "retried", len(resp.BatchItemFailures))
	n.Metrics.Emit(nil, metrics.Metric{Name: "WebSocketPushes", Unit: metrics.Count, Value: float64(sent)},
		metrics.Metric{Name: "StaleConnections", Unit: metrics.Count, Value: float64(gone)})
	return resp, nil
}

// pendingNotice is a notice to push and the record (its index among the order's) that added it.
type pendingNotice struct {
	notice projection.Notice
	record int
}

// pending are the notices of an order's records in a batch to push, in version order: those newer than
// what the view showed before the batch's first write of it. The projector may apply two events of an
// order that the bus brought together in either order; when both writes are in one batch, the older
// status still goes first (docs/adr/0026). A notice not newer than that was applied after a newer one
// that an earlier batch pushed: it is not pushed (never an older status after a newer one).
func (o *orderRecords) pending() []pendingNotice {
	base := o.changes[0].Shown
	var out []pendingNotice
	seen := map[int64]bool{}
	for k, c := range o.changes {
		for _, n := range c.Notices {
			if n.OrderVersion > base && !seen[n.OrderVersion] {
				seen[n.OrderVersion] = true
				out = append(out, pendingNotice{notice: n, record: k})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].notice.OrderVersion < out[j].notice.OrderVersion })
	return out
}

// traced is ctx with the order's id and the correlation id of its first change in the batch.
func (o *orderRecords) traced(ctx context.Context) context.Context {
	return logging.With(ctx, o.changes[0].Notices[0].CorrelationID, o.orderID)
}

// markFrom marks the records of an order from its k-th on as failed.
func markFrom(failed []bool, records []int, k int) {
	for _, i := range records[k:] {
		failed[i] = true
	}
}

// pushOrder posts an order's notices of a batch to every recipient, recipients side by side (at most
// Workers at a time in the whole batch), each recipient's in version order. It returns how many posts
// were sent and skipped, how many connections were gone, and on failure the index of the first notice
// some recipient did not get.
func (n *Notifier) pushOrder(ctx context.Context, sem chan struct{}, orderID string, ns []pendingNotice, rs []Recipient) (sent, gone, skipped, failedAt int, err error) {
	ctx = logging.With(ctx, ns[0].notice.CorrelationID, orderID)
	data := make([][]byte, len(ns))
	for i, p := range ns {
		if data[i], err = json.Marshal(statusOf(orderID, p.notice)); err != nil {
			return 0, 0, 0, i, fmt.Errorf("ws: encode %s v%d: %w", orderID, p.notice.OrderVersion, err)
		}
	}
	timeout := cmp.Or(n.PostTimeout, 3*time.Second)
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		failures []error
	)
	failedAt = len(ns)
	for _, r := range rs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			run := n.pushRun(ctx, r, orderID, ns, data, timeout)
			mu.Lock()
			defer mu.Unlock()
			sent, skipped = sent+run.sent, skipped+run.skipped
			if run.gone {
				gone++
			}
			if run.err != nil {
				failures = append(failures, fmt.Errorf("%s: %w", r.ConnectionID, run.err))
				failedAt = min(failedAt, run.failedAt)
			}
		}()
	}
	wg.Wait()
	if len(failures) > 0 {
		return sent, gone, skipped, failedAt, fmt.Errorf("%w: %d of %d connections: %w", ErrPushFailed, len(failures), len(rs), errors.Join(failures...))
	}
	return sent, gone, skipped, 0, nil
}

// runOutcome is what became of an order's notices of a batch for one connection.
type runOutcome struct {
	sent, skipped int
	gone          bool
	failedAt      int // with err: the first notice not posted
	err           error
}

// pushRun posts an order's notices of a batch to one connection, oldest first. One conditional write
// claims them all up to the newest (docs/adr/0026): the claim answers which version the connection got
// last, so a redelivered batch posts only what is newer than that, and none when it got the newest. A
// post that fails gives back the claim of the notices not posted, so the retry posts them.
func (n *Notifier) pushRun(ctx context.Context, r Recipient, orderID string, ns []pendingNotice, data [][]byte, timeout time.Duration) runOutcome {
	newest := ns[len(ns)-1].notice.OrderVersion
	prev, ok, err := n.Store.Claim(ctx, r.ConnectionID, orderID, newest)
	if err != nil {
		return runOutcome{err: fmt.Errorf("claim: %w", err)}
	}
	if !ok {
		return runOutcome{skipped: len(ns)} // the newest, and so every one, went already
	}
	var out runOutcome
	got := prev // the newest version the connection has
	for i, p := range ns {
		if p.notice.OrderVersion <= prev {
			out.skipped++
			continue
		}
		postCtx, cancel := context.WithTimeout(ctx, timeout)
		err := n.Poster.Post(postCtx, r.ConnectionID, data[i])
		cancel()
		switch {
		case err == nil:
			out.sent++
			got = p.notice.OrderVersion
			continue
		case errors.Is(err, ErrGone):
			// The client is gone for good: forget the connection. If that fails the row stays until the
			// next push finds it gone again, or TTL; not worth a retry of the record.
			if derr := n.Store.Delete(ctx, r.ConnectionID, r.Topics...); derr != nil {
				logger(n.Logger).WarnContext(ctx, "ws: gone connection not deleted", "connectionId", r.ConnectionID, "error", derr)
			}
			out.gone = true
			return out
		}
		// Not pushed: give back the claim of this notice and those after it, so the retry posts them.
		out.failedAt = i
		if uerr := n.Store.Unclaim(context.WithoutCancel(ctx), r.ConnectionID, orderID, newest, got); uerr != nil {
			out.err = fmt.Errorf("post: %w (and the claim was not undone: %w)", err, uerr)
			return out
		}
		out.err = fmt.Errorf("post: %w", err)
		return out
	}
	return out
}

// recipients finds, for each order of a batch, the owner's connections that did not unsubscribe from
// it and the connections watching all orders or this one, each once: one query per customer of the
// batch (ByUser) and one for the watchers of all its orders (ByWatch), not two per change.
func (n *Notifier) recipients(ctx context.Context, byOrder []*orderRecords) (map[string][]Recipient, error) {
	if len(byOrder) == 0 {
		return nil, nil
	}
	owners := map[string][]Connection{}
	topics := []string{topicAll}
	for _, o := range byOrder {
		topics = append(topics, orderTopic(o.orderID))
		if _, ok := owners[o.customerID]; ok || o.customerID == "" {
			continue
		}
		conns, err := n.Store.OfUser(o.traced(ctx), o.customerID)
		if err != nil {
			return nil, err
		}
		owners[o.customerID] = conns
	}
	// A query made for one order carries its ids (logs, trace annotations); one for several, none.
	wctx := ctx
	if len(byOrder) == 1 {
		wctx = byOrder[0].traced(ctx)
	}
	watchers, err := n.Store.Watchers(wctx, topics...)
	if err != nil {
		return nil, err
	}
	now := now(n.Now)
	out := map[string][]Recipient{}
	for _, o := range byOrder {
		var rs []Recipient
		index := map[string]int{}
		add := func(id, topic string) {
			i, ok := index[id]
			if !ok {
				index[id] = len(rs)
				rs = append(rs, Recipient{ConnectionID: id})
				i = len(rs) - 1
			}
			if topic != "" {
				rs[i].Topics = append(rs[i].Topics, topic)
			}
		}
		for _, c := range owners[o.customerID] {
			// A connection past its token's expiry gets nothing more; the sweeper is about to end it.
			if !c.Expired(now) && !c.Mutes(o.orderID) {
				add(c.ID, "")
			}
		}
		for _, w := range watchers {
			// Likewise an admin's expired connection, whatever it watches: its watch rows stay until the
			// sweeper deletes them with the connection (TTL only collects them hours later).
			if (w.Topic == topicAll || w.Topic == orderTopic(o.orderID)) && (w.ExpiresAt.IsZero() || w.ExpiresAt.After(now)) {
				add(w.ConnectionID, w.Topic)
			}
		}
		out[o.orderID] = rs
	}
	return out, nil
}

// statusOf is the message of a notice.
func statusOf(orderID string, n projection.Notice) Status {
	msg := Status{Type: "order.status", OrderID: orderID, Status: n.Status, Reason: n.Reason, OccurredAt: n.OccurredAt.UTC(),
		EventID: n.EventID, OrderVersion: n.OrderVersion}
	if msg.EventID == "" {
		// An entry the projector wrote before it kept the event's id (the release of docs/adr/0026):
		// still unique per change.
		msg.EventID = fmt.Sprintf("%s-v%d", orderID, n.OrderVersion)
	}
	if n.PaymentAction != "" {
		msg.PaymentAction = &PaymentAction{Type: n.PaymentAction}
	}
	if sh := n.Shipment; sh != nil {
		msg.Shipment = &Shipment{Carrier: sh.Carrier, TrackingNumber: sh.TrackingNumber, TrackingURL: sh.TrackingURL}
	}
	if !n.DeliveredAt.IsZero() {
		at := n.DeliveredAt.UTC()
		msg.DeliveredAt = &at
	}
	if n.ReturnID != "" {
		msg.Return = &Return{ID: n.ReturnID, Status: n.ReturnStatus}
	}
	return msg
}
