package ws_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orion-oss/orion/internal/platform/metrics"
	"github.com/orion-oss/orion/internal/projection"
	"github.com/orion-oss/orion/internal/ws"
)

// feed is the projections table's stream as the notifier's ChangeReader sees it: each record is one
// write of an order view, read as the change it made (the reader of the view's layout is
// internal/adapter/dynamo's, tested there against the emulator).
type feed struct {
	mu      sync.Mutex
	seq     int
	changes map[string]projection.ViewChange // by sequence number
	broken  map[string]bool                  // records that do not read
}

func newFeed() *feed {
	return &feed{changes: map[string]projection.ViewChange{}, broken: map[string]bool{}}
}

func (f *feed) read(r events.DynamoDBEventRecord) (projection.ViewChange, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.broken[r.Change.SequenceNumber] {
		return projection.ViewChange{}, errors.New("an entry that does not decode")
	}
	return f.changes[r.Change.SequenceNumber], nil
}

// batch appends the changes to the stream and returns them as one batch.
func (f *feed) batch(changes ...projection.ViewChange) events.DynamoDBEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ev events.DynamoDBEvent
	for _, c := range changes {
		f.seq++
		seq := fmt.Sprintf("%021d", f.seq)
		f.changes[seq] = c
		ev.Records = append(ev.Records, events.DynamoDBEventRecord{EventID: "rec-" + seq, EventName: "MODIFY",
			Change: events.DynamoDBStreamRecord{SequenceNumber: seq}})
	}
	return ev
}

func notice(status string, version int64) projection.Notice {
	return projection.Notice{OrderVersion: version, EventID: fmt.Sprintf("ev-%d", version), CorrelationID: "corr-1",
		OccurredAt: at, Status: status}
}

// viewChange is a write of the view of ownOrder (customer cust-1) that added the notices.
func viewChange(notices ...projection.Notice) projection.ViewChange {
	return projection.ViewChange{OrderID: ownOrder, CustomerID: "cust-1", Notices: notices}
}

// pushed decodes the pushes a connection received.
func pushed(t *testing.T, p *poster, conn string) []ws.Status {
	t.Helper()
	var out []ws.Status
	for _, m := range p.to(conn) {
		var msg ws.Status
		if err := json.Unmarshal([]byte(m), &msg); err != nil {
			t.Fatal(err)
		}
		out = append(out, msg)
	}
	return out
}

func statuses(msgs []ws.Status) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, fmt.Sprintf("%s@%d", m.Status, m.OrderVersion))
	}
	return out
}

// of keeps the pushes of one order.
func of(msgs []ws.Status, orderID string) []ws.Status {
	return slices.DeleteFunc(msgs, func(m ws.Status) bool { return m.OrderID != orderID })
}

func failures(resp events.DynamoDBEventResponse) []string {
	var out []string
	for _, f := range resp.BatchItemFailures {
		out = append(out, f.ItemIdentifier)
	}
	return out
}

func handle(t *testing.T, n *ws.Notifier, ev events.DynamoDBEvent) events.DynamoDBEventResponse {
	t.Helper()
	resp, err := n.HandleStream(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestNotifierFansOutToTheRightConnections(t *testing.T) {
	s, p, f := notifyFixture(), &poster{}, newFeed()
	var emf bytes.Buffer
	n := &ws.Notifier{Store: s, Poster: p, Changes: f.read, Metrics: metrics.New(&emf)}
	rejected := notice("REJECTED", 3)
	rejected.Reason = "OUT_OF_STOCK"
	if resp := handle(t, n, f.batch(viewChange(rejected))); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures %v", failures(resp))
	}
	if !strings.Contains(emf.String(), `"WebSocketPushes":3`) || !strings.Contains(emf.String(), `"StaleConnections":0`) {
		t.Fatalf("metrics %q; want 3 pushes, no stale connection", emf.String())
	}
	for id, want := range map[string]int{"c1": 1, "c2": 1, "admin": 1, "muted": 0, "other": 0, "idle-admin": 0} {
		if got := len(p.to(id)); got != want {
			t.Fatalf("%s got %d pushes; want %d", id, got, want)
		}
	}
	var msg map[string]any
	json.Unmarshal([]byte(p.to("c1")[0]), &msg)
	want := map[string]any{"type": "order.status", "orderId": ownOrder, "status": "REJECTED", "reason": "OUT_OF_STOCK",
		"occurredAt": "2025-03-01T12:00:00Z", "eventId": "ev-3", "orderVersion": 3.0}
	if len(msg) != len(want) {
		t.Fatalf("message %v; want %v", msg, want)
	}
	for k, v := range want {
		if msg[k] != v {
			t.Fatalf("message %v; want %v", msg, want)
		}
	}
	// One conditional write per push and connection, nothing else written (no lease, no settle).
	if s.claims != 3 {
		t.Fatalf("%d claims for 3 pushes", s.claims)
	}
}

// Every status of an order, in order, exactly once, on every connection: the stream's order is the
// pushes' order, however the records fall into batches, and a batch the stream delivers again (at
// least once) pushes nothing twice.
func TestNotifierPushesEveryStatusInOrderOnce(t *testing.T) {
	s, p, f := notifyFixture(), &poster{}, newFeed()
	n := &ws.Notifier{Store: s, Poster: p, Changes: f.read}
	first := f.batch(viewChange(notice("PENDING", 1)), viewChange(notice("RESERVED", 2)), viewChange()) // the last: a write that added nothing
	second := f.batch(viewChange(notice("PAYMENT_AUTHORIZED", 3)), viewChange(notice("CONFIRMED", 5)))
	for _, ev := range []events.DynamoDBEvent{first, second, first, second} {
		if resp := handle(t, n, ev); len(resp.BatchItemFailures) != 0 {
			t.Fatalf("failures %v", failures(resp))
		}
	}
	want := []string{"PENDING@1", "RESERVED@2", "PAYMENT_AUTHORIZED@3", "CONFIRMED@5"}
	for _, id := range []string{"c1", "c2", "admin"} {
		if got := statuses(pushed(t, p, id)); !slices.Equal(got, want) {
			t.Fatalf("%s received %v; want %v", id, got, want)
		}
	}
	// One claim per connection and batch, whatever the batch's statuses: 3 connections, 4 batches.
	if s.claims != 12 {
		t.Fatalf("%d claims for 3 connections and 4 batches; want 12", s.claims)
	}
}

// Orders of one batch go side by side, each in its own order; the recipients are read once per batch
// (one ByUser query per customer, one ByWatch query), not twice per change.
func TestNotifierReadsRecipientsOncePerBatch(t *testing.T) {
	s, p, f := notifyFixture(), &poster{}, newFeed()
	n := &ws.Notifier{Store: s, Poster: p, Changes: f.read}
	other := func(status string, v int64) projection.ViewChange {
		return projection.ViewChange{OrderID: otherOrder, CustomerID: "cust-2", Notices: []projection.Notice{notice(status, v)}}
	}
	ev := f.batch(viewChange(notice("PENDING", 1)), other("PENDING", 1), viewChange(notice("RESERVED", 2)), other("RESERVED", 2),
		viewChange(notice("PAYMENT_AUTHORIZED", 3), notice("CONFIRMED", 4)))
	queries := &countingStore{store: s}
	n.Store = queries
	handle(t, n, ev)
	if queries.ofUser != 2 || queries.watchers != 1 {
		t.Fatalf("%d ByUser and %d ByWatch queries for a batch of 2 customers' orders; want 2 and 1", queries.ofUser, queries.watchers)
	}
	if got, want := statuses(pushed(t, p, "c1")), []string{"PENDING@1", "RESERVED@2", "PAYMENT_AUTHORIZED@3", "CONFIRMED@4"}; !slices.Equal(got, want) {
		t.Fatalf("c1 received %v; want %v", got, want)
	}
	if got, want := statuses(pushed(t, p, "other")), []string{"PENDING@1", "RESERVED@2"}; !slices.Equal(got, want) {
		t.Fatalf("other received %v; want %v", got, want)
	}
	// The admin watches all orders: both, each in its order.
	var mine, theirs []string
	for _, m := range pushed(t, p, "admin") {
		if m.OrderID == ownOrder {
			mine = append(mine, m.Status)
		} else {
			theirs = append(theirs, m.Status)
		}
	}
	if !slices.Equal(mine, []string{"PENDING", "RESERVED", "PAYMENT_AUTHORIZED", "CONFIRMED"}) || !slices.Equal(theirs, []string{"PENDING", "RESERVED"}) {
		t.Fatalf("admin received %v and %v", mine, theirs)
	}
	// A batch with nothing to push reads nothing.
	queries.ofUser, queries.watchers = 0, 0
	handle(t, n, f.batch(viewChange(), viewChange()))
	if queries.ofUser+queries.watchers != 0 {
		t.Fatalf("%d queries for a batch with no notices", queries.ofUser+queries.watchers)
	}
}

type countingStore struct {
	*store
	ofUser, watchers int
}

func (c *countingStore) OfUser(ctx context.Context, userID string) ([]ws.Connection, error) {
	c.ofUser++
	return c.store.OfUser(ctx, userID)
}

func (c *countingStore) Watchers(ctx context.Context, topics ...string) ([]ws.Watcher, error) {
	c.watchers++
	return c.store.Watchers(ctx, topics...)
}

// A failed post reports its record and every later record of the same order, none of another's:
// Lambda retries from the first failed record, so the order's later statuses wait for it, and the
// retry pushes only what did not go.
func TestNotifierReportsTheFailedRecordAndTheOrdersLaterOnes(t *testing.T) {
	s, f := notifyFixture(), newFeed()
	s.conns["other"] = ws.Connection{ID: "other", UserID: "cust-2"}
	failing := true
	p := &poster{fail: func(ctx context.Context, id string) error {
		if id == "c2" && failing && strings.Contains(ctx.Value(postKey{}).(string), `"RESERVED"`) {
			return errBoom
		}
		return nil
	}}
	n := &ws.Notifier{Store: s, Poster: &labelled{p}, Changes: f.read}
	other := projection.ViewChange{OrderID: otherOrder, CustomerID: "cust-2", Notices: []projection.Notice{notice("PENDING", 1)}}
	ev := f.batch(viewChange(notice("PENDING", 1)), viewChange(notice("RESERVED", 2)), other, viewChange(notice("PAYMENT_AUTHORIZED", 3)))
	resp := handle(t, n, ev)
	seq := func(i int) string { return ev.Records[i].Change.SequenceNumber }
	if got, want := failures(resp), []string{seq(1), seq(3)}; !slices.Equal(got, want) {
		t.Fatalf("failures %v; want the RESERVED record and the order's later one %v", got, want)
	}
	if got := statuses(pushed(t, p, "c2")); !slices.Equal(got, []string{"PENDING@1"}) {
		t.Fatalf("c2 received %v before the retry; the order's later status must wait", got)
	}
	if got := statuses(pushed(t, p, "other")); !slices.Equal(got, []string{"PENDING@1"}) {
		t.Fatalf("the other order's customer received %v", got)
	}
	// Lambda retries from the first failed record: the rest of the batch, the other order's record with it.
	failing = false
	retry := events.DynamoDBEvent{Records: ev.Records[1:]}
	if resp := handle(t, n, retry); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures on retry %v", failures(resp))
	}
	want := []string{"PENDING@1", "RESERVED@2", "PAYMENT_AUTHORIZED@3"}
	for _, id := range []string{"c1", "c2", "admin"} {
		if got := statuses(of(pushed(t, p, id), ownOrder)); !slices.Equal(got, want) {
			t.Fatalf("%s received %v; want %v, each once", id, got, want)
		}
	}
	if got := statuses(of(pushed(t, p, "admin"), otherOrder)); !slices.Equal(got, []string{"PENDING@1"}) {
		t.Fatalf("admin received %v of the other order; want its push once", got)
	}
	if got := statuses(pushed(t, p, "other")); !slices.Equal(got, []string{"PENDING@1"}) {
		t.Fatalf("the other order's customer received %v after the retry; want its push once", got)
	}
}

// unreadable is a connections table whose index does not answer.
type unreadable struct{ *store }

func (unreadable) OfUser(context.Context, string) ([]ws.Connection, error) { return nil, errBoom }

// postKey carries the message into the fake poster's fail function.
type postKey struct{}

type labelled struct{ *poster }

func (l *labelled) Post(ctx context.Context, id string, data []byte) error {
	return l.poster.Post(context.WithValue(ctx, postKey{}, string(data)), id, data)
}

func TestNotifierFailures(t *testing.T) {
	t.Run("gone connection is deleted, the others are served", func(t *testing.T) {
		s, f := notifyFixture(), newFeed()
		p := &poster{fail: func(ctx context.Context, id string) error {
			if id == "admin" {
				return fmt.Errorf("%w: %s", ws.ErrGone, id)
			}
			return nil
		}}
		if resp := handle(t, &ws.Notifier{Store: s, Poster: p, Changes: f.read}, f.batch(viewChange(notice("PENDING", 1)))); len(resp.BatchItemFailures) != 0 {
			t.Fatalf("failures %v", failures(resp))
		}
		if _, err := s.Get(context.Background(), "admin"); !errors.Is(err, ws.ErrNoConnection) {
			t.Fatal("the gone connection is still stored")
		}
		if !slices.Contains(s.calls, "delete admin [all order:"+ownOrder+"]") {
			t.Fatalf("its watches were not deleted with it: %v", s.calls)
		}
		if len(p.to("c1")) != 1 || len(p.to("c2")) != 1 {
			t.Fatal("the others were not served")
		}
	})
	t.Run("a client that does not answer costs one post timeout, not the others' pushes", func(t *testing.T) {
		s, f := notifyFixture(), newFeed()
		p := &poster{fail: func(ctx context.Context, id string) error {
			if id == "c1" {
				<-ctx.Done() // never answers
				return ctx.Err()
			}
			return nil
		}}
		n := &ws.Notifier{Store: s, Poster: p, Changes: f.read, PostTimeout: 20 * time.Millisecond, Workers: 2}
		ev := f.batch(viewChange(notice("PENDING", 1)))
		if got := failures(handle(t, n, ev)); !slices.Equal(got, []string{ev.Records[0].Change.SequenceNumber}) {
			t.Fatalf("failures %v; want the record", got)
		}
		if len(p.to("c2")) != 1 || len(p.to("admin")) != 1 {
			t.Fatal("the others were not served")
		}
	})
	t.Run("recipients not read: the batch's records are retried, nothing pushed", func(t *testing.T) {
		s, p, f := notifyFixture(), &poster{}, newFeed()
		ev := f.batch(viewChange(notice("PENDING", 1)), viewChange(notice("RESERVED", 2)))
		if got := failures(handle(t, &ws.Notifier{Store: unreadable{s}, Poster: p, Changes: f.read}, ev)); len(got) != 2 || len(p.posts) != 0 {
			t.Fatalf("failures %v, posts %v", got, p.posts)
		}
	})
	t.Run("a record that does not read: it and every later record are retried", func(t *testing.T) {
		s, p, f := notifyFixture(), &poster{}, newFeed()
		ev := f.batch(viewChange(notice("PENDING", 1)), viewChange(notice("RESERVED", 2)), viewChange(notice("CONFIRMED", 3)))
		f.broken[ev.Records[1].Change.SequenceNumber] = true
		got := failures(handle(t, &ws.Notifier{Store: s, Poster: p, Changes: f.read}, ev))
		if want := []string{ev.Records[1].Change.SequenceNumber, ev.Records[2].Change.SequenceNumber}; !slices.Equal(got, want) {
			t.Fatalf("failures %v; want %v", got, want)
		}
		if got := statuses(pushed(t, p, "c1")); !slices.Equal(got, []string{"PENDING@1"}) {
			t.Fatalf("c1 received %v", got)
		}
	})
}

// What a push says beyond the status: the payment action (its type only), the shipment, the delivery
// time, a return's step; nothing of the payment provider's ids.
func TestNotifierPushesWhatTheViewSays(t *testing.T) {
	s, p, f := notifyFixture(), &poster{}, newFeed()
	n := &ws.Notifier{Store: s, Poster: p, Changes: f.read}
	action := notice("RESERVED", 3)
	action.PaymentAction = "redirect_to_url"
	shipped := notice("SHIPPED", 6)
	shipped.Shipment = &projection.Shipment{Carrier: "DHL", TrackingNumber: "JD1", TrackingURL: "https://track.example.com/JD1"}
	delivered := notice("DELIVERED", 7)
	delivered.DeliveredAt = at.Add(48 * time.Hour)
	ret := func(v int64, status string) projection.Notice {
		n := notice("DELIVERED", v)
		n.ReturnID, n.ReturnStatus = "R1", status
		return n
	}
	handle(t, n, f.batch(viewChange(action), viewChange(shipped), viewChange(delivered), viewChange(ret(8, "REQUESTED")),
		viewChange(ret(9, "RECEIVED"), ret(10, "REFUNDED"))))
	for _, id := range []string{"c1", "c2", "admin"} {
		msgs := pushed(t, p, id)
		if len(msgs) != 6 {
			t.Fatalf("%s received %v", id, statuses(msgs))
		}
		if m := msgs[0]; m.Status != "RESERVED" || m.PaymentAction == nil || m.PaymentAction.Type != "redirect_to_url" {
			t.Fatalf("%s: action push %+v", id, m)
		}
		if sh := msgs[1].Shipment; msgs[1].Status != "SHIPPED" || sh == nil || sh.Carrier != "DHL" || sh.TrackingNumber != "JD1" ||
			sh.TrackingURL != "https://track.example.com/JD1" || msgs[1].Return != nil {
			t.Fatalf("%s: shipped push %+v", id, msgs[1])
		}
		if d := msgs[2].DeliveredAt; msgs[2].Status != "DELIVERED" || d == nil || !d.Equal(delivered.DeliveredAt) {
			t.Fatalf("%s: delivered push %+v", id, msgs[2])
		}
		for i, want := range []string{"REQUESTED", "RECEIVED", "REFUNDED"} {
			m := msgs[3+i]
			if m.Status != "DELIVERED" || m.Return == nil || m.Return.ID != "R1" || m.Return.Status != want || m.OrderVersion != int64(8+i) ||
				m.Shipment != nil || m.DeliveredAt != nil {
				t.Fatalf("%s: push %d %+v; want return R1 %s at version %d", id, 3+i, m, want, 8+i)
			}
		}
	}
	// An entry written before the view kept event ids still gets an id unique to the change.
	handle(t, n, f.batch(viewChange(projection.Notice{OrderVersion: 11, OccurredAt: at, Status: "DELIVERED", ReturnID: "R2", ReturnStatus: "REQUESTED"})))
	if msgs := pushed(t, p, "c1"); msgs[len(msgs)-1].EventID != ownOrder+"-v11" {
		t.Fatalf("event id %q", msgs[len(msgs)-1].EventID)
	}
}

// A connection past its token's expiry receives no pushes, even before the sweeper ends it: neither an
// owner's nor an admin's watching all orders.
func TestNotifierSkipsExpiredConnections(t *testing.T) {
	s, p, f := newStore(), &poster{}, newFeed()
	s.conns["live"] = ws.Connection{ID: "live", UserID: "cust-1", ExpiresAt: at.Add(time.Second)}
	s.conns["expired"] = ws.Connection{ID: "expired", UserID: "cust-1", ExpiresAt: at}
	s.conns["admin-live"] = ws.Connection{ID: "admin-live", UserID: "adm-1", Admin: true, ExpiresAt: at.Add(time.Second)}
	s.conns["admin-expired"] = ws.Connection{ID: "admin-expired", UserID: "adm-1", Admin: true, ExpiresAt: at}
	s.watches["all"] = map[string]bool{"admin-live": true, "admin-expired": true}
	n := &ws.Notifier{Store: s, Poster: p, Changes: f.read, Now: func() time.Time { return at }}
	handle(t, n, f.batch(viewChange(notice("PENDING", 1))))
	for id, want := range map[string]int{"live": 1, "expired": 0, "admin-live": 1, "admin-expired": 0} {
		if got := len(p.to(id)); got != want {
			t.Fatalf("%d pushes to %s; want %d", got, id, want)
		}
	}
}

// The projector may apply two events of an order that the bus brought together in either order: the
// view then takes CONFIRMED (v4) before PAYMENT_AUTHORIZED (v3). In one batch, both go, in version
// order; across batches, the late older status is not pushed after the newer one. A failed push in the
// reordered batch is retried from the first record that added a notice not yet pushed, so that the
// retry reads them all again.
func TestNotifierPushesAnOrdersBatchInVersionOrder(t *testing.T) {
	shown := func(c projection.ViewChange, v int64) projection.ViewChange { c.Shown = v; return c }
	t.Run("in one batch", func(t *testing.T) {
		s, p, f := notifyFixture(), &poster{}, newFeed()
		n := &ws.Notifier{Store: s, Poster: p, Changes: f.read}
		handle(t, n, f.batch(viewChange(notice("PENDING", 1)), shown(viewChange(notice("CONFIRMED", 4)), 1),
			shown(viewChange(notice("PAYMENT_AUTHORIZED", 3)), 4)))
		if got, want := statuses(pushed(t, p, "c1")), []string{"PENDING@1", "PAYMENT_AUTHORIZED@3", "CONFIRMED@4"}; !slices.Equal(got, want) {
			t.Fatalf("c1 received %v; want %v", got, want)
		}
	})
	t.Run("across batches", func(t *testing.T) {
		s, p, f := notifyFixture(), &poster{}, newFeed()
		n := &ws.Notifier{Store: s, Poster: p, Changes: f.read}
		handle(t, n, f.batch(viewChange(notice("PENDING", 1)), shown(viewChange(notice("CONFIRMED", 4)), 1)))
		handle(t, n, f.batch(shown(viewChange(notice("PAYMENT_AUTHORIZED", 3)), 4)))
		if got, want := statuses(pushed(t, p, "c1")), []string{"PENDING@1", "CONFIRMED@4"}; !slices.Equal(got, want) {
			t.Fatalf("c1 received %v; want %v", got, want)
		}
	})
	t.Run("a failure in a reordered batch", func(t *testing.T) {
		s, f := notifyFixture(), newFeed()
		failing := true
		p := &poster{fail: func(ctx context.Context, id string) error {
			if id == "c2" && failing && strings.Contains(ctx.Value(postKey{}).(string), `"PAYMENT_AUTHORIZED"`) {
				return errBoom
			}
			return nil
		}}
		n := &ws.Notifier{Store: s, Poster: &labelled{p}, Changes: f.read}
		ev := f.batch(viewChange(notice("PENDING", 1)), shown(viewChange(notice("CONFIRMED", 4)), 1), shown(viewChange(notice("PAYMENT_AUTHORIZED", 3)), 4))
		resp := handle(t, n, ev)
		// PAYMENT_AUTHORIZED (record 2) failed; CONFIRMED (record 1) was not pushed yet: retry from record 1.
		if got, want := failures(resp), []string{ev.Records[1].Change.SequenceNumber, ev.Records[2].Change.SequenceNumber}; !slices.Equal(got, want) {
			t.Fatalf("failures %v; want %v", got, want)
		}
		failing = false
		handle(t, n, events.DynamoDBEvent{Records: ev.Records[1:]})
		want := []string{"PENDING@1", "PAYMENT_AUTHORIZED@3", "CONFIRMED@4"}
		for _, id := range []string{"c1", "c2", "admin"} {
			if got := statuses(pushed(t, p, id)); !slices.Equal(got, want) {
				t.Fatalf("%s received %v; want %v", id, got, want)
			}
		}
	})
}
