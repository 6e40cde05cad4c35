// Package event is Orion's event catalog: the versioned envelope every domain event travels in, and one
// Go type per event. The same JSON is written to the outbox, carried by the Pipe to EventBridge (where
// detail-type is the event type and source its Source) and read by every consumer.
package event

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/orion-oss/orion/internal/platform/traceheader"
)

// EventBridge sources, one per bounded context.
const (
	SourceOrders    = "orion.orders"
	SourceInventory = "orion.inventory"
	SourcePayments  = "orion.payments"
)

// Payload is the data of one event type. Domain methods return payloads; the adapter that persists the
// change wraps them in an Envelope with ids and correlation.
type Payload interface {
	EventType() string
	Source() string
	// SchemaVersion is bumped on a breaking change of the payload; consumers check it.
	SchemaVersion() int
}

// Envelope is the versioned wrapper of every event. ID is unique per event and is what consumers
// deduplicate on (EventBridge and Streams deliver at least once).
type Envelope struct {
	ID            string    `json:"id"`
	Type          string    `json:"type"`
	Version       int       `json:"version"`
	Source        string    `json:"source"`
	OccurredAt    time.Time `json:"occurredAt"`
	CorrelationID string    `json:"correlationId"`
	CausationID   string    `json:"causationId,omitempty"`
	// TraceHeader is the X-Ray trace header of the invocation that committed the event (Root, Parent,
	// Sampled), when it ran traced. The outbox stream and the Pipe carry no trace context, so this is how
	// the order's trace goes on past them: the saga starter hands it to StartExecution. Optional: older
	// events have none.
	TraceHeader string          `json:"traceHeader,omitempty"`
	Data        json.RawMessage `json:"data"`
}

// ErrMalformed means an envelope or its data could not be decoded.
var ErrMalformed = errors.New("event: malformed")

// Meta is what the envelope carries besides the payload.
type Meta struct {
	ID            string
	OccurredAt    time.Time
	CorrelationID string
	CausationID   string
	// TraceHeader is the committing invocation's (the outbox writer passes traceheader.Invocation()).
	TraceHeader string
}

// Cause is why a change happens: the correlation id of the order's (or item's) story and the id of the
// request or event that caused it. Commands pass it to repositories, which stamp it on every event.
type Cause struct {
	CorrelationID string
	CausationID   string
}

// Wrap builds the envelope of a payload.
func Wrap(p Payload, m Meta) (Envelope, error) {
	if m.ID == "" || m.CorrelationID == "" || m.OccurredAt.IsZero() {
		return Envelope{}, fmt.Errorf("%w: id, correlation id and time are required", ErrMalformed)
	}
	data, err := json.Marshal(p)
	if err != nil {
		return Envelope{}, fmt.Errorf("event: marshal %s: %w", p.EventType(), err)
	}
	return Envelope{
		ID:            m.ID,
		Type:          p.EventType(),
		Version:       p.SchemaVersion(),
		Source:        p.Source(),
		OccurredAt:    m.OccurredAt.UTC(),
		CorrelationID: m.CorrelationID,
		CausationID:   m.CausationID,
		TraceHeader:   traceHeader(m.TraceHeader),
		Data:          data,
	}, nil
}

// traceHeader is the header an event carries: the given one without Lambda's Lineage; "" when there
// is no valid one.
func traceHeader(given string) string {
	h, ok := traceheader.ParseHeader(given)
	if !ok {
		return ""
	}
	return h.Propagated()
}

// OrderID is the order an event is about ("" for stock events), read from its data without decoding
// the whole payload: what a consumer puts on its log lines before anything else.
func (e Envelope) OrderID() string {
	var ref struct {
		OrderID string `json:"orderId"`
	}
	_ = json.Unmarshal(e.Data, &ref)
	return ref.OrderID
}
