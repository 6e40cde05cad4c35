// Package fulfilment applies the fulfilment partner's events to orders: ShipmentDispatched,
// ShipmentDelivered and ReturnReceived, put on Orion's bus by the partner, routed by a rule to a queue,
// and consumed here from that queue (functions/apply-fulfilment). Each event is checked on arrival
// (who sent it, its detail against the published schema's rules, then the domain) and either applied
// once, through the same command handlers as the admin routes, or set aside in a dead-letter queue with
// the reason; nothing is half-applied. docs/integrations.md is the partner's side of the contract.
package fulfilment

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/orion-oss/orion/internal/order"
)

// The partner's detail-types (internal/event/schemas/ShipmentDispatched.v1.json and the others).
const (
	TypeShipmentDispatched = "ShipmentDispatched"
	TypeShipmentDelivered  = "ShipmentDelivered"
	TypeReturnReceived     = "ReturnReceived"
)

// Types lists the detail-types the partner may send.
func Types() []string {
	return []string{TypeShipmentDispatched, TypeShipmentDelivered, TypeReturnReceived}
}

// Event is one of the partner's events, checked and ready to apply: a ShipmentDispatched,
// ShipmentDelivered or ReturnReceived.
type Event interface {
	// Reference says which event it is and for which order (logs, dead-letter attributes).
	Reference() Ref
}

// Ref identifies a partner's event.
type Ref struct {
	Source, DetailType string
	// EventID is the partner's detail.eventId, the same on every delivery: the dedupe key.
	EventID string
	OrderID order.ID
	// BusEventID is EventBridge's id of the PutEvents entry (a partner re-sending an event gets a new one).
	BusEventID string
}

// Key is the dedupe key the commands record with the change, in the same transaction: a partner's
// event id, namespaced by its source so that another integration's ids can never collide with it.
func (r Ref) Key() string { return "fulfilment:" + r.Source + ":" + r.EventID }

// ShipmentDispatched: the parcel left with a carrier.
type ShipmentDispatched struct {
	Ref
	Carrier, TrackingNumber, TrackingURL string
	DispatchedAt                         time.Time
}

// ShipmentDelivered: the carrier delivered the parcel.
type ShipmentDelivered struct {
	Ref
	DeliveredAt time.Time
}

// ReturnReceived: the warehouse received a return.
type ReturnReceived struct {
	Ref
	ReturnID   string
	ReceivedAt time.Time
}

// Reference returns the reference itself; each event embeds it.
func (r Ref) Reference() Ref { return r }

// envelope is EventBridge's event as a rule's SQS target receives it (the message body). Unknown
// members are tolerated: EventBridge may add some.
type envelope struct {
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Detail     json.RawMessage `json:"detail"`
}

// The detail schemas' rules (internal/event/schemas/*.v1.json, with common.v1.json's Carrier,
// TrackingNumber, TrackingUrl and ReturnId, which order.Shipment.Validate also follows), written out
// rather than as regexps: Go compiles a bounded repeat such as {0,127} into that many copies, and
// the six patterns cost 0.5 ms and 2,900 allocations at every cold start (GODEBUG=inittrace=1).
// TestParseAgreesWithTheSchemas holds the two together on every sample.
func alnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' }

// validEventID: ^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$
func validEventID(s string) bool {
	if len(s) == 0 || len(s) > 128 || !alnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !alnum(c) && c != '.' && c != '_' && c != ':' && c != '-' {
			return false
		}
	}
	return true
}

// validOrderID: a ULID in Crockford's base32, uppercase, as Orion writes it: ^[0-7][0-9A-HJKMNP-TV-Z]{25}$
func validOrderID(s string) bool {
	if len(s) != 26 || s[0] < '0' || s[0] > '7' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') || c == 'I' || c == 'L' || c == 'O' || c == 'U' {
			return false
		}
	}
	return true
}

// validCarrier: 1 to 64 characters, no control character, no space or control character at either end:
// ^[^\x00-\x20\x7F]([^\x00-\x1F\x7F]{0,62}[^\x00-\x20\x7F])?$
func validCarrier(s string) bool {
	rs := []rune(s)
	if len(rs) == 0 || len(rs) > 64 {
		return false
	}
	for _, r := range rs {
		if r <= 0x1F || r == 0x7F {
			return false
		}
	}
	return rs[0] != ' ' && rs[len(rs)-1] != ' '
}

// validTrackingNumber: ^[A-Za-z0-9-]{1,64}$
func validTrackingNumber(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !alnum(s[i]) && s[i] != '-' {
			return false
		}
	}
	return true
}

// validReturnID: ^R[1-9][0-9]{0,2}$
func validReturnID(s string) bool {
	if len(s) < 2 || len(s) > 4 || s[0] != 'R' || s[1] < '1' || s[1] > '9' {
		return false
	}
	for i := 2; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// MaxClockSkew is how far in the future a partner's timestamp may be before it is refused: a
// delivery "tomorrow" is a bug on the partner's side, not a fact to record.
const MaxClockSkew = 5 * time.Minute

// Parse checks a message body against the contract: an EventBridge event from source, of a known
// detail-type, whose detail follows its schema and whose times are not in the future. Every error
// it returns is a *Rejection: retrying the same bytes cannot make them valid.
func Parse(body []byte, source string, now time.Time) (Event, error) {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil || env.Source == "" || env.DetailType == "" {
		return nil, reject(ReasonInvalidEnvelope, "the message is not an EventBridge event")
	}
	// The rule matches only the partner's source, but anything that can send to the queue could put a
	// message there: the source is checked again, so that only the partner moves an order.
	if env.Source != source {
		return nil, reject(ReasonUnauthorizedSource, "source %q is not the fulfilment partner's", env.Source)
	}
	ref := Ref{Source: env.Source, DetailType: env.DetailType, BusEventID: env.ID}
	d := detail{now: now}
	switch env.DetailType {
	case TypeShipmentDispatched:
		var in struct {
			EventID        *string  `json:"eventId"`
			OrderID        *string  `json:"orderId"`
			Carrier        *string  `json:"carrier"`
			TrackingNumber *string  `json:"trackingNumber"`
			TrackingURL    optional `json:"trackingUrl"`
			DispatchedAt   *string  `json:"dispatchedAt"`
		}
		if err := strict(env.Detail, &in); err != nil {
			return nil, err
		}
		d.ref(&ref, in.EventID, in.OrderID)
		e := ShipmentDispatched{Carrier: d.text("carrier", in.Carrier, validCarrier, "must be a carrier's name"),
			TrackingNumber: d.text("trackingNumber", in.TrackingNumber, validTrackingNumber, "must be 1 to 64 letters, digits or hyphens"),
			DispatchedAt:   d.time("dispatchedAt", in.DispatchedAt)}
		if in.TrackingURL.set {
			e.TrackingURL = d.url("trackingUrl", in.TrackingURL)
		}
		e.Ref = ref
		return e, d.err()
	case TypeShipmentDelivered:
		var in struct {
			EventID     *string `json:"eventId"`
			OrderID     *string `json:"orderId"`
			DeliveredAt *string `json:"deliveredAt"`
		}
		if err := strict(env.Detail, &in); err != nil {
			return nil, err
		}
		d.ref(&ref, in.EventID, in.OrderID)
		e := ShipmentDelivered{DeliveredAt: d.time("deliveredAt", in.DeliveredAt)}
		e.Ref = ref
		return e, d.err()
	case TypeReturnReceived:
		var in struct {
			EventID    *string `json:"eventId"`
			OrderID    *string `json:"orderId"`
			ReturnID   *string `json:"returnId"`
			ReceivedAt *string `json:"receivedAt"`
		}
		if err := strict(env.Detail, &in); err != nil {
			return nil, err
		}
		d.ref(&ref, in.EventID, in.OrderID)
		e := ReturnReceived{ReturnID: d.text("returnId", in.ReturnID, validReturnID, "must be a return id (R1, R2, ...)"),
			ReceivedAt: d.time("receivedAt", in.ReceivedAt)}
		e.Ref = ref
		return e, d.err()
	}
	return nil, reject(ReasonUnknownType, "detail-type %q is none of %v", env.DetailType, Types())
}

// Peek reads what it can of a message that Parse refused (the envelope's source and detail-type, the
// detail's eventId and orderId when they are strings), so that the message is set aside with them.
func Peek(body []byte) Ref {
	var env envelope
	_ = json.Unmarshal(body, &env)
	var d struct {
		EventID any `json:"eventId"`
		OrderID any `json:"orderId"`
	}
	_ = json.Unmarshal(env.Detail, &d)
	ref := Ref{Source: env.Source, DetailType: env.DetailType, BusEventID: env.ID}
	ref.EventID, _ = d.EventID.(string)
	id, _ := d.OrderID.(string)
	ref.OrderID = order.ID(id)
	return ref
}

// strict decodes a detail object, refusing members the schema does not have (additionalProperties:
// false) and values of the wrong JSON type.
func strict(raw json.RawMessage, v any) error {
	if len(bytes.TrimSpace(raw)) == 0 || bytes.TrimSpace(raw)[0] != '{' {
		return reject(ReasonInvalidDetail, "detail must be an object")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return reject(ReasonInvalidDetail, "detail: %v", err)
	}
	return nil
}

// optional is an optional string member: absent is fine, null is not (the schema's "type": "string").
type optional struct {
	set, null bool
	v         string
}

func (o *optional) UnmarshalJSON(b []byte) error {
	o.set = true
	if string(b) == "null" {
		o.null = true
		return nil
	}
	return json.Unmarshal(b, &o.v)
}

// detail collects the problems of one detail, every one at once (field: message).
type detail struct {
	now      time.Time
	problems []string
}

func (d *detail) add(field, format string, args ...any) {
	d.problems = append(d.problems, field+": "+fmt.Sprintf(format, args...))
}

func (d *detail) err() error {
	if len(d.problems) == 0 {
		return nil
	}
	return reject(ReasonInvalidDetail, "%s", joinProblems(d.problems))
}

func joinProblems(ps []string) string {
	var b bytes.Buffer
	for i, p := range ps {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p)
	}
	return b.String()
}

func (d *detail) ref(r *Ref, eventID, orderID *string) {
	r.EventID = d.text("eventId", eventID, validEventID, "must be 1 to 128 letters, digits, '.', '_', ':' or '-'")
	r.OrderID = order.ID(d.text("orderId", orderID, validOrderID, "must be an order id"))
}

func (d *detail) text(field string, v *string, valid func(string) bool, msg string) string {
	if v == nil {
		d.add(field, "is required")
		return ""
	}
	if !valid(*v) {
		d.add(field, "%s", msg)
	}
	return *v
}

func (d *detail) url(field string, o optional) string {
	if o.null {
		d.add(field, "must be a string when present")
		return ""
	}
	v := o.v
	if !order.ValidTrackingURL(v) {
		d.add(field, "must be an https URL of at most %d characters", order.TrackingURLMaxLength)
	}
	return v
}

func (d *detail) time(field string, v *string) time.Time {
	if v == nil {
		d.add(field, "is required")
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, *v)
	if err != nil {
		d.add(field, "must be an RFC 3339 date-time with a time zone")
		return time.Time{}
	}
	if t.After(d.now.Add(MaxClockSkew)) {
		d.add(field, "is in the future")
	}
	return t.UTC()
}
