package ws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/platform/logging"
	"github.com/orion-oss/orion/internal/platform/metrics"
)

// StatusEvents are the events whose OrderRef.status is a status the order just entered; the notifier's
// EventBridge rule (template.yaml) lists the same.
// PaymentActionRequired keeps the status (RESERVED) but tells the owner what to do next: complete the
// payment at the provider (3-D Secure), where the saga waits for it.
// After confirmation: shipped and delivered (with the shipment's tracking, when delivered), and a
// return's steps, which keep the status (DELIVERED) and say which return moved (see fulfilment.go);
// PaymentRefunded counts only with a returnId, as the rule's pattern says.
var StatusEvents = []string{event.TypeOrderPlaced, event.TypeInventoryReserved, event.TypePaymentActionRequired, event.TypePaymentAuthorized,
	event.TypeOrderConfirmed, event.TypeOrderRejected, event.TypeOrderCancelled, event.TypeOrderFailed,
	event.TypeOrderShipped, event.TypeOrderDelivered, event.TypeOrderReturnRequested, event.TypeOrderReturnReceived, event.TypePaymentRefunded}

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
	// Settle ends a claim's hold once its post is done, so the next version need not wait for the lease.
	Settle(ctx context.Context, connID, orderID string, version int64) error
	Delete(ctx context.Context, id string, topics ...string) error
}

// Poster posts to a connection (the Management API's PostToConnection); ErrGone when it is gone.
type Poster interface {
	Post(ctx context.Context, connID string, data []byte) error
}

// Notifier pushes order status changes. For each event it finds the owner's connections and the admin
// connections watching all orders or this one, and posts to each, concurrently, at most Workers at a
// time, each post bounded by PostTimeout, so a slow or dead client costs one worker at most that long
// and never holds up the others.
//
// Delivery per (event, connection), see docs/websocket.md:
//   - Before posting, a conditional write records the order version as pushed to the connection. It
//     succeeds only if the connection has had no equal or newer version of the order, so a duplicate
//     delivery of the event (EventBridge and Lambda deliver at least once), a retry of this invocation,
//     and a late older event all post nothing: never a duplicate, never an older status after a newer one.
//   - A 410 deletes the connection. Any other failure undoes the record and fails the invocation, so
//     Lambda retries it; connections already served skip, the failed ones get it again.
//   - A crash between the record and the post loses that one push (at most once there); the client's
//     subscribe answer carries the current status, which is what a reconnecting client relies on.
type Notifier struct {
	Store  NotifyStore
	Poster Poster
	Logger *slog.Logger
	// Metrics receives WebSocketPushes and StaleConnections per event (nil: none).
	Metrics     *metrics.Emitter
	Workers     int           // default 32
	PostTimeout time.Duration // default 3 s
	Now         func() time.Time
}

// Errors of Handle.
var (
	// ErrNotStatusEvent: the event is not one of StatusEvents or carries no usable order reference.
	ErrNotStatusEvent = errors.New("ws: not an order status event")
	// ErrPushFailed: some connections could not be served; the invocation should be retried.
	ErrPushFailed = errors.New("ws: pushes failed")
)

// HandleEvent is the Lambda entry point for the EventBridge rule. A malformed event is an error too:
// Lambda's retries then put it in the function's dead-letter queue, where it can be inspected.
func (n *Notifier) HandleEvent(ctx context.Context, ev events.EventBridgeEvent) error {
	env, err := event.Decode(ev.Detail)
	if err != nil {
		logger(n.Logger).ErrorContext(ctx, "ws: event not decoded", "eventId", ev.ID, "detailType", ev.DetailType, "error", err)
		return err
	}
	return n.Handle(ctx, env)
}

// Handle pushes one event to every recipient.
func (n *Notifier) Handle(ctx context.Context, env event.Envelope) error {
	ctx = logging.With(ctx, env.CorrelationID, env.OrderID())
	log := logger(n.Logger).With("eventId", env.ID, "eventType", env.Type)
	msg, ref, err := statusMessage(env)
	if err != nil {
		log.ErrorContext(ctx, "ws: event not pushed", "error", err)
		return err
	}
	recipients, err := n.recipients(ctx, ref)
	if err != nil {
		log.ErrorContext(ctx, "ws: recipients not read", "error", err)
		return fmt.Errorf("ws: recipients of %s: %w", env.ID, err)
	}
	data, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("ws: encode %s: %w", env.ID, err)
	}

	var (
		mu                   sync.Mutex
		sent, skipped, gone  int
		failed               int
		firstErr             error
		work                 = make(chan Recipient)
		wg                   sync.WaitGroup
		workers, postTimeout = n.Workers, n.PostTimeout
	)
	if workers <= 0 {
		workers = 32
	}
	if postTimeout <= 0 {
		postTimeout = 3 * time.Second
	}
	for range min(workers, len(recipients)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range work {
				outcome, err := n.push(ctx, r, ref, data, postTimeout)
				mu.Lock()
				switch {
				case err != nil:
					failed++
					if firstErr == nil {
						firstErr = err
					}
					log.WarnContext(ctx, "ws: push failed", "connectionId", r.ConnectionID, "error", err)
				case outcome == pushSent:
					sent++
				case outcome == pushGone:
					gone++
				default:
					skipped++
				}
				mu.Unlock()
			}
		}()
	}
	for _, r := range recipients {
		work <- r
	}
	close(work)
	wg.Wait()

	log.InfoContext(ctx, "ws: status pushed", "status", ref.Status, "orderVersion", ref.OrderVersion,
		"recipients", len(recipients), "sent", sent, "skipped", skipped, "gone", gone, "failed", failed)
	n.Metrics.Emit(nil, metrics.Metric{Name: "WebSocketPushes", Unit: metrics.Count, Value: float64(sent)},
		metrics.Metric{Name: "StaleConnections", Unit: metrics.Count, Value: float64(gone)})
	if failed > 0 {
		return fmt.Errorf("%w: %d of %d connections (first: %w)", ErrPushFailed, failed, len(recipients), firstErr)
	}
	return nil
}

type pushOutcome int

const (
	pushSkipped pushOutcome = iota // this or a newer version already went to the connection
	pushSent
	pushGone
)

func (n *Notifier) push(ctx context.Context, r Recipient, ref event.OrderRef, data []byte, timeout time.Duration) (pushOutcome, error) {
	prev, ok, err := n.Store.Claim(ctx, r.ConnectionID, ref.OrderID, ref.OrderVersion)
	if err != nil {
		return 0, fmt.Errorf("claim: %w", err)
	}
	if !ok {
		return pushSkipped, nil
	}
	postCtx, cancel := context.WithTimeout(ctx, timeout)
	err = n.Poster.Post(postCtx, r.ConnectionID, data)
	cancel()
	switch {
	case err == nil:
		if serr := n.Store.Settle(context.WithoutCancel(ctx), r.ConnectionID, ref.OrderID, ref.OrderVersion); serr != nil {
			// The hold lapses by itself; the next version of this order to this connection waits for it.
			logger(n.Logger).WarnContext(ctx, "ws: push not settled", "connectionId", r.ConnectionID, "error", serr)
		}
		return pushSent, nil
	case errors.Is(err, ErrGone):
		// The client is gone for good: forget the connection. If that fails the row stays until the
		// next push finds it gone again, or TTL; not worth a retry of the whole event.
		if derr := n.Store.Delete(ctx, r.ConnectionID, r.Topics...); derr != nil {
			logger(n.Logger).WarnContext(ctx, "ws: gone connection not deleted", "connectionId", r.ConnectionID, "error", derr)
		}
		return pushGone, nil
	}
	// Not pushed: let the retry of the invocation push it again.
	if uerr := n.Store.Unclaim(context.WithoutCancel(ctx), r.ConnectionID, ref.OrderID, ref.OrderVersion, prev); uerr != nil {
		return 0, fmt.Errorf("post: %w (and the claim was not undone: %w)", err, uerr)
	}
	return 0, fmt.Errorf("post: %w", err)
}

// recipients are the owner's connections that did not unsubscribe from the order, and the connections
// watching all orders or this one, each once.
func (n *Notifier) recipients(ctx context.Context, ref event.OrderRef) ([]Recipient, error) {
	owners, err := n.Store.OfUser(ctx, ref.CustomerID)
	if err != nil {
		return nil, err
	}
	var out []Recipient
	index := map[string]int{}
	add := func(id, topic string) {
		i, ok := index[id]
		if !ok {
			index[id] = len(out)
			out = append(out, Recipient{ConnectionID: id})
			i = len(out) - 1
		}
		if topic != "" {
			out[i].Topics = append(out[i].Topics, topic)
		}
	}
	now := now(n.Now)
	for _, c := range owners {
		// A connection past its token's expiry gets nothing more; the sweeper is about to end it.
		if !c.Expired(now) && !c.Mutes(ref.OrderID) {
			add(c.ID, "")
		}
	}
	watchers, err := n.Store.Watchers(ctx, topicAll, orderTopic(ref.OrderID))
	if err != nil {
		return nil, err
	}
	for _, w := range watchers {
		// Likewise an admin's expired connection, whatever it watches: its watch rows stay until the
		// sweeper deletes them with the connection (TTL only collects them hours later).
		if w.ExpiresAt.IsZero() || w.ExpiresAt.After(now) {
			add(w.ConnectionID, w.Topic)
		}
	}
	return out, nil
}

// statusMessage reads the order reference of a status event.
func statusMessage(env event.Envelope) (Status, event.OrderRef, error) {
	known := false
	for _, t := range StatusEvents {
		known = known || t == env.Type
	}
	if !known {
		return Status{}, event.OrderRef{}, fmt.Errorf("%w: %s", ErrNotStatusEvent, env.Type)
	}
	var ref event.OrderRef
	if err := json.Unmarshal(env.Data, &ref); err != nil {
		return Status{}, ref, fmt.Errorf("%w: %s data: %w", ErrNotStatusEvent, env.Type, err)
	}
	if ref.OrderID == "" || ref.CustomerID == "" || ref.Status == "" || ref.OrderVersion <= 0 {
		return Status{}, ref, fmt.Errorf("%w: %s lacks orderId, customerId, status or orderVersion", ErrNotStatusEvent, env.Type)
	}
	msg := Status{Type: "order.status", OrderID: ref.OrderID, Status: ref.Status, Reason: ref.Reason,
		OccurredAt: env.OccurredAt.UTC(), EventID: env.ID, OrderVersion: ref.OrderVersion}
	if env.Type == event.TypePaymentActionRequired {
		var a event.PaymentActionRequired
		if err := json.Unmarshal(env.Data, &a); err != nil || a.ActionType == "" {
			return Status{}, ref, fmt.Errorf("%w: %s without its action", ErrNotStatusEvent, env.Type)
		}
		msg.PaymentAction = &PaymentAction{Type: a.ActionType}
	}
	if err := fulfilment(env, &msg); err != nil {
		return Status{}, ref, err
	}
	return msg, ref, nil
}
