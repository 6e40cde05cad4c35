package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
)

// MaxSize is EventBridge's limit on one event entry; nothing larger can be a valid Orion event.
const MaxSize = 256 << 10

// ErrUnknownType means the envelope names an event type or version this build does not know.
var ErrUnknownType = errors.New("event: unknown type")

// catalog maps each event type to its payload type. It is the one list of events: Types, New, the
// schema tests and docs/events.md are all checked against it.
var catalog = map[string]reflect.Type{}

func init() {
	for _, p := range []Payload{
		OrderPlaced{}, InventoryReserved{}, InventoryReservationFailed{}, PaymentAuthorized{}, PaymentDeclined{},
		PaymentRefunded{}, InventoryReleased{}, InventoryCommitted{}, InventoryReturned{}, OrderConfirmed{},
		OrderRejected{}, OrderCancellationRequested{}, OrderCancelled{}, OrderFailed{}, InventoryUpdated{}, InventoryLow{},
		PaymentActionRequired{}, PaymentCaptured{}, PaymentVoided{}, PaymentRefundedOutside{}, PaymentDisputed{},
		OrderShipped{}, OrderDelivered{}, OrderReturnRequested{}, OrderReturnReceived{},
	} {
		catalog[p.EventType()] = reflect.TypeOf(p)
	}
}

// Types lists every event type, sorted.
func Types() []string {
	out := make([]string, 0, len(catalog))
	for t := range catalog {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// New returns a pointer to a zero payload of the type and version.
func New(eventType string, version int) (Payload, error) {
	t, ok := catalog[eventType]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownType, eventType)
	}
	p := reflect.New(t).Interface().(Payload)
	if p.SchemaVersion() != version {
		return nil, fmt.Errorf("%w: %s v%d (this build reads v%d)", ErrUnknownType, eventType, version, p.SchemaVersion())
	}
	return p, nil
}

// Decode reads an envelope. Unknown envelope fields are tolerated so that producers can add metadata
// before every consumer is redeployed; the known ones are required.
func Decode(b []byte) (Envelope, error) {
	if len(b) > MaxSize {
		return Envelope{}, fmt.Errorf("%w: %d bytes exceeds %d", ErrMalformed, len(b), MaxSize)
	}
	var e Envelope
	if err := json.Unmarshal(b, &e); err != nil {
		return Envelope{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	var missing []string
	for name, empty := range map[string]bool{
		"id": e.ID == "", "type": e.Type == "", "version": e.Version == 0, "source": e.Source == "",
		"occurredAt": e.OccurredAt.IsZero(), "correlationId": e.CorrelationID == "",
		"data": len(e.Data) == 0 || bytes.Equal(e.Data, []byte("null")),
	} {
		if empty {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return Envelope{}, fmt.Errorf("%w: missing %v", ErrMalformed, missing)
	}
	return e, nil
}

// Payload decodes the envelope's data into its Go type (a pointer, e.g. *OrderPlaced).
func (e Envelope) Payload() (Payload, error) {
	p, err := New(e.Type, e.Version)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(e.Data, p); err != nil {
		return nil, fmt.Errorf("%w: %s data: %v", ErrMalformed, e.Type, err)
	}
	if got := reflect.ValueOf(p).Elem().Interface().(Payload).Source(); got != e.Source {
		return nil, fmt.Errorf("%w: %s comes from %s, not %s", ErrMalformed, e.Type, got, e.Source)
	}
	return p, nil
}
