// Package story tells one order's story for its admins, in time order: its statuses, the domain events
// it caused, the steps of its saga runs and the emails sent about it. It is what `make timeline` prints
// (infra/orion/timeline), read from what Orion records on AWS, for the console's picture of an order
// (GET /orders/{orderId}/story, docs/console.md).
package story

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/order"
)

// Sources of the entries, as the API names them.
const (
	SourceOrder = "order" // a status of the order's history
	SourceEvent = "event" // a domain event about the order (the outbox)
	SourceEmail = "email" // an email the send-email function recorded for one of the order's events
	// The saga runs' sources are their labels (Runs), e.g. "saga" and "cancellation".
)

// MaxEntries bounds a story: an order's life is a few dozen entries (a confirmed order about 30), so
// the cap only cuts a pathological one (a saga retrying for hours), and the answer says it did.
const MaxEntries = 500

// Entry is one moment of the story.
type Entry struct {
	At     time.Time `json:"at"`
	Source string    `json:"source"`
	What   string    `json:"what"`
}

// Story is an order's entries in time order; Truncated says entries past MaxEntries were left out
// (the latest ones: the story reads from the start).
type Story struct {
	OrderID   order.ID `json:"orderId"`
	Entries   []Entry  `json:"entries"`
	Truncated bool     `json:"truncated"`
}

// Orders reads an order (order.ErrNotFound when there is none).
type Orders interface {
	Get(ctx context.Context, id order.ID) (*order.Order, error)
}

// Events reads the events about an order, at most limit of them, oldest first.
type Events interface {
	OfOrder(ctx context.Context, id order.ID, limit int) ([]event.Envelope, error)
}

// Runs reads the steps of the order's saga runs (its executions are named after it), labelled by
// their state machine; an order without a run has none.
type Runs interface {
	Steps(ctx context.Context, id order.ID, limit int) ([]Entry, error)
}

// Email is what the send-email function recorded about one event: its outcome ("SENT:<messageId>",
// "SKIPPED:<reason>", ...) and when it recorded it.
type Email struct {
	EventID string
	Outcome string
	At      time.Time
}

// Emails reads what the send-email function recorded for the events (none for an event it did not
// mail or has not handled yet).
type Emails interface {
	Of(ctx context.Context, eventIDs []string) ([]Email, error)
}

// Teller tells stories.
type Teller struct {
	Orders Orders
	Events Events
	Runs   Runs
	Emails Emails
}

// Tell returns the story of the order, or order.ErrNotFound.
func (t Teller) Tell(ctx context.Context, id order.ID) (Story, error) {
	o, err := t.Orders.Get(ctx, id)
	if err != nil {
		return Story{}, err
	}
	var out []Entry
	for _, h := range o.History() {
		what := string(h.Status)
		if h.Reason != "" {
			what += " (" + string(h.Reason) + ")"
		}
		out = append(out, Entry{At: h.At, Source: SourceOrder, What: what})
	}
	// One more than the cap from each source tells whether the story was cut. Each source reads its
	// oldest entries, so the cap's earliest entries overall are all read: the story has an end, no gap.
	evs, err := t.Events.OfOrder(ctx, id, MaxEntries+1)
	if err != nil {
		return Story{}, fmt.Errorf("story: events: %w", err)
	}
	ids := make([]string, 0, len(evs))
	types := map[string]string{}
	for _, e := range evs {
		out = append(out, Entry{At: e.OccurredAt, Source: SourceEvent, What: e.Type + " " + e.ID})
		ids = append(ids, e.ID)
		types[e.ID] = e.Type
	}
	steps, err := t.Runs.Steps(ctx, id, MaxEntries+1)
	if err != nil {
		return Story{}, fmt.Errorf("story: saga runs: %w", err)
	}
	out = append(out, steps...)
	if len(ids) > 0 {
		mails, err := t.Emails.Of(ctx, ids)
		if err != nil {
			return Story{}, fmt.Errorf("story: emails: %w", err)
		}
		for _, m := range mails {
			out = append(out, Entry{At: m.At, Source: SourceEmail, What: m.Outcome + " for " + types[m.EventID] + " " + m.EventID})
		}
	}
	// Stable: at the same instant, statuses come before the events they committed with, and those
	// before the steps and emails that followed them.
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	s := Story{OrderID: id, Entries: out}
	if len(s.Entries) > MaxEntries {
		s.Entries, s.Truncated = s.Entries[:MaxEntries], true
	}
	if s.Entries == nil {
		s.Entries = []Entry{}
	}
	return s, nil
}
