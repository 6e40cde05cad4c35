package story_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/story"
)

const id = order.ID("01JDQ7Z3M6X9V0YB2C4D5E6F7G")

var t0 = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

// Small fakes of the story's ports.
type orders map[order.ID][]order.HistoryEntry

func (f orders) Get(_ context.Context, id order.ID) (*order.Order, error) {
	h, ok := f[id]
	if !ok {
		return nil, fmt.Errorf("%w: %s", order.ErrNotFound, id)
	}
	return order.FromSnapshot(order.Snapshot{ID: id, CustomerID: "c1", Lines: []order.Line{{SKU: "SKU-1", Quantity: 1}},
		Status: h[len(h)-1].Status, Version: int64(len(h)), History: h})
}

type events []event.Envelope

func (f events) OfOrder(_ context.Context, _ order.ID, limit int) ([]event.Envelope, error) {
	return f[:min(limit, len(f))], nil
}

type runs struct {
	steps []story.Entry
	err   error
}

func (f runs) Steps(_ context.Context, _ order.ID, limit int) ([]story.Entry, error) {
	return f.steps[:min(limit, len(f.steps))], f.err
}

type emails struct {
	by   map[string]story.Email
	asks *[][]string
}

func (f emails) Of(_ context.Context, ids []string) ([]story.Email, error) {
	if f.asks != nil {
		*f.asks = append(*f.asks, ids)
	}
	var out []story.Email
	for _, id := range ids {
		if m, ok := f.by[id]; ok {
			out = append(out, m)
		}
	}
	return out, nil
}

func env(id, typ string, ms int) event.Envelope {
	return event.Envelope{ID: id, Type: typ, OccurredAt: at(ms)}
}

func TestTellOrdersEverySourceInTime(t *testing.T) {
	teller := story.Teller{
		Orders: orders{id: {{Status: order.Pending, At: at(0)}, {Status: order.Confirmed, At: at(30)}}},
		Events: events{env("E1", "OrderPlaced", 0), env("E2", "OrderConfirmed", 30)},
		Runs:   runs{steps: []story.Entry{{At: at(10), Source: "saga", What: "ReserveStock"}, {At: at(40), Source: "saga", What: "ExecutionSucceeded"}}},
		Emails: emails{by: map[string]story.Email{"E2": {EventID: "E2", Outcome: "SENT:m-1", At: at(50)}}},
	}
	got, err := teller.Tell(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	want := []story.Entry{
		{At: at(0), Source: "order", What: "PENDING"},
		{At: at(0), Source: "event", What: "OrderPlaced E1"},
		{At: at(10), Source: "saga", What: "ReserveStock"},
		{At: at(30), Source: "order", What: "CONFIRMED"},
		{At: at(30), Source: "event", What: "OrderConfirmed E2"},
		{At: at(40), Source: "saga", What: "ExecutionSucceeded"},
		{At: at(50), Source: "email", What: "SENT:m-1 for OrderConfirmed E2"},
	}
	if got.OrderID != id || got.Truncated || fmt.Sprint(got.Entries) != fmt.Sprint(want) {
		t.Fatalf("story %+v\nwant %v", got, want)
	}
}

func TestTell(t *testing.T) {
	many := make(events, story.MaxEntries+5)
	for i := range many {
		many[i] = env(fmt.Sprintf("E%04d", i), "PaymentRetried", i+1)
	}
	manySteps := make([]story.Entry, story.MaxEntries+5)
	for i := range manySteps {
		manySteps[i] = story.Entry{At: at(2 * (i + 1)), Source: "saga", What: "AuthorizePayment"}
	}
	placed := orders{id: {{Status: order.Pending, At: at(0)}}}
	broken := errors.New("throttled")
	for _, c := range []struct {
		name      string
		teller    story.Teller
		id        order.ID
		entries   int
		truncated bool
		err       error
		noMailAsk bool
		last      time.Time
	}{
		{name: "unknown order", teller: story.Teller{Orders: orders{}}, id: "01JDQ7Z3M6X9V0YB2C4D5E6F7H", err: order.ErrNotFound},
		{name: "no events: no email lookup", teller: story.Teller{Orders: placed, Events: events{}, Runs: runs{}}, id: id, entries: 1, noMailAsk: true},
		{name: "too many events: capped and said so", teller: story.Teller{Orders: placed, Events: many, Runs: runs{}}, id: id,
			entries: story.MaxEntries, truncated: true},
		{name: "too many steps: capped", teller: story.Teller{Orders: placed, Events: events{}, Runs: runs{steps: manySteps}}, id: id,
			entries: story.MaxEntries, truncated: true},
		// 501 events read of 505, 1 ms apart, and one step after them all: the story is the earliest
		// 500 entries, without the step (it has an end, no gap).
		{name: "the earliest entries are kept", teller: story.Teller{Orders: placed, Events: many,
			Runs: runs{steps: []story.Entry{{At: at(10_000), Source: "saga", What: "ExecutionSucceeded"}}}}, id: id,
			entries: story.MaxEntries, truncated: true, last: at(story.MaxEntries - 1)},
		{name: "a source fails", teller: story.Teller{Orders: placed, Events: events{}, Runs: runs{err: broken}}, id: id, err: broken},
	} {
		t.Run(c.name, func(t *testing.T) {
			var asks [][]string
			c.teller.Emails = emails{asks: &asks}
			got, err := c.teller.Tell(context.Background(), c.id)
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("error %v; want %v", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Entries) != c.entries || got.Truncated != c.truncated {
				t.Fatalf("%d entries, truncated %v; want %d, %v", len(got.Entries), got.Truncated, c.entries, c.truncated)
			}
			for i := 1; i < len(got.Entries); i++ {
				if got.Entries[i].At.Before(got.Entries[i-1].At) {
					t.Fatalf("entry %d (%v) before entry %d (%v)", i, got.Entries[i], i-1, got.Entries[i-1])
				}
			}
			if !c.last.IsZero() && !got.Entries[len(got.Entries)-1].At.Equal(c.last) {
				t.Fatalf("the story ends with %v; want it to end at %v", got.Entries[len(got.Entries)-1], c.last)
			}
			if c.noMailAsk && len(asks) != 0 {
				t.Fatalf("asked for the emails of %v", asks)
			}
		})
	}
}
