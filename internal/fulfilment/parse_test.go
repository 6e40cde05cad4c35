package fulfilment_test

import (
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/event/eventschema"
	"github.com/orion-oss/orion/internal/fulfilment"
)

const (
	partner = "partner.fulfilment"
	orderID = "01JDQ7Z3M6X9V0YB2C4D5E6F7G"
)

var now = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

// body is the SQS message body EventBridge writes for an event put by the partner.
func body(source, detailType, detail string) []byte {
	b, _ := json.Marshal(map[string]any{"version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718", "detail-type": detailType,
		"source": source, "account": "123456789012", "time": "2026-12-03T11:59:00Z", "region": "us-east-1", "resources": []string{},
		"detail": json.RawMessage(detail)})
	return b
}

// samples are details of each type, valid or not; every one is checked against the published schema
// and against Parse, which must agree (Parse adds only the domain's check on future times).
var samples = []struct {
	name, detailType, detail string
	valid                    bool
}{
	{"dispatched", "ShipmentDispatched", `{"eventId":"evt-1","orderId":"` + orderID + `","carrier":"DHL Express","trackingNumber":"JD0146-0000-1234","trackingUrl":"https://www.dhl.com/track?id=JD0146","dispatchedAt":"2026-12-03T10:00:00+01:00"}`, true},
	{"dispatched without url", "ShipmentDispatched", `{"eventId":"evt:2.a_b","orderId":"` + orderID + `","carrier":"La Poste","trackingNumber":"6A12345678901","dispatchedAt":"2026-12-03T10:00:00Z"}`, true},
	{"dispatched, non-ASCII carrier", "ShipmentDispatched", `{"eventId":"e","orderId":"` + orderID + `","carrier":"Österreichische Post","trackingNumber":"X","dispatchedAt":"2026-12-03T10:00:00Z"}`, true},
	{"dispatched without carrier", "ShipmentDispatched", `{"eventId":"evt-1","orderId":"` + orderID + `","trackingNumber":"1","dispatchedAt":"2026-12-03T10:00:00Z"}`, false},
	{"dispatched, carrier padded", "ShipmentDispatched", `{"eventId":"evt-1","orderId":"` + orderID + `","carrier":" DHL","trackingNumber":"1","dispatchedAt":"2026-12-03T10:00:00Z"}`, false},
	{"dispatched, carrier with a newline", "ShipmentDispatched", `{"eventId":"evt-1","orderId":"` + orderID + `","carrier":"DH\nL","trackingNumber":"1","dispatchedAt":"2026-12-03T10:00:00Z"}`, false},
	{"dispatched, tracking with a space", "ShipmentDispatched", `{"eventId":"evt-1","orderId":"` + orderID + `","carrier":"DHL","trackingNumber":"JD 1","dispatchedAt":"2026-12-03T10:00:00Z"}`, false},
	{"dispatched, url with a user", "ShipmentDispatched", `{"eventId":"evt-1","orderId":"` + orderID + `","carrier":"DHL","trackingNumber":"1","trackingUrl":"https://me@dhl.com/x","dispatchedAt":"2026-12-03T10:00:00Z"}`, false},
	{"dispatched, carrier too long", "ShipmentDispatched", `{"eventId":"evt-1","orderId":"` + orderID + `","carrier":"` + strings.Repeat("D", 65) + `","trackingNumber":"1","dispatchedAt":"2026-12-03T10:00:00Z"}`, false},
	{"dispatched, tracking with markup", "ShipmentDispatched", `{"eventId":"evt-1","orderId":"` + orderID + `","carrier":"DHL","trackingNumber":"<b>1</b>","dispatchedAt":"2026-12-03T10:00:00Z"}`, false},
	{"dispatched, javascript url", "ShipmentDispatched", `{"eventId":"evt-1","orderId":"` + orderID + `","carrier":"DHL","trackingNumber":"1","trackingUrl":"javascript:alert(1)","dispatchedAt":"2026-12-03T10:00:00Z"}`, false},
	{"dispatched, http url", "ShipmentDispatched", `{"eventId":"evt-1","orderId":"` + orderID + `","carrier":"DHL","trackingNumber":"1","trackingUrl":"http://dhl.com/x","dispatchedAt":"2026-12-03T10:00:00Z"}`, false},
	{"dispatched, null url", "ShipmentDispatched", `{"eventId":"evt-1","orderId":"` + orderID + `","carrier":"DHL","trackingNumber":"1","trackingUrl":null,"dispatchedAt":"2026-12-03T10:00:00Z"}`, false},
	{"dispatched, extra member", "ShipmentDispatched", `{"eventId":"evt-1","orderId":"` + orderID + `","carrier":"DHL","trackingNumber":"1","dispatchedAt":"2026-12-03T10:00:00Z","status":"DELIVERED"}`, false},
	{"dispatched, no zone", "ShipmentDispatched", `{"eventId":"evt-1","orderId":"` + orderID + `","carrier":"DHL","trackingNumber":"1","dispatchedAt":"2026-12-03T10:00:00"}`, false},
	{"dispatched, date only", "ShipmentDispatched", `{"eventId":"evt-1","orderId":"` + orderID + `","carrier":"DHL","trackingNumber":"1","dispatchedAt":"2026-12-03"}`, false},
	{"dispatched, carrier ending in a space", "ShipmentDispatched", `{"eventId":"evt-1","orderId":"` + orderID + `","carrier":"DHL ","trackingNumber":"1","dispatchedAt":"2026-12-03T10:00:00Z"}`, false},
	{"dispatched, carrier with a tab", "ShipmentDispatched", `{"eventId":"evt-1","orderId":"` + orderID + `","carrier":"DH\tL","trackingNumber":"1","dispatchedAt":"2026-12-03T10:00:00Z"}`, false},
	{"dispatched, carrier of 64", "ShipmentDispatched", `{"eventId":"evt-1","orderId":"` + orderID + `","carrier":"` + strings.Repeat("é", 64) + `","trackingNumber":"1","dispatchedAt":"2026-12-03T10:00:00Z"}`, true},
	{"dispatched, url without host", "ShipmentDispatched", `{"eventId":"evt-1","orderId":"` + orderID + `","carrier":"DHL","trackingNumber":"1","trackingUrl":"https:///x","dispatchedAt":"2026-12-03T10:00:00Z"}`, false},
	{"dispatched, url with a space", "ShipmentDispatched", `{"eventId":"evt-1","orderId":"` + orderID + `","carrier":"DHL","trackingNumber":"1","trackingUrl":"https://dhl.com/a b","dispatchedAt":"2026-12-03T10:00:00Z"}`, false},
	{"dispatched, url with @ in its path", "ShipmentDispatched", `{"eventId":"evt-1","orderId":"` + orderID + `","carrier":"DHL","trackingNumber":"1","trackingUrl":"https://dhl.com/t/a@b","dispatchedAt":"2026-12-03T10:00:00Z"}`, true},
	{"dispatched, tracking of 65", "ShipmentDispatched", `{"eventId":"evt-1","orderId":"` + orderID + `","carrier":"DHL","trackingNumber":"` + strings.Repeat("9", 65) + `","dispatchedAt":"2026-12-03T10:00:00Z"}`, false},
	{"delivered, order id with U", "ShipmentDelivered", `{"eventId":"evt-3","orderId":"01JDQ7Z3M6X9V0YB2C4D5E6F7U","deliveredAt":"2026-12-03T11:00:00Z"}`, false},
	{"delivered, order id from beyond 10889", "ShipmentDelivered", `{"eventId":"evt-3","orderId":"81JDQ7Z3M6X9V0YB2C4D5E6F7G","deliveredAt":"2026-12-03T11:00:00Z"}`, false},
	{"delivered, event id of 128", "ShipmentDelivered", `{"eventId":"` + strings.Repeat("e", 128) + `","orderId":"` + orderID + `","deliveredAt":"2026-12-03T11:00:00Z"}`, true},
	{"delivered, event id starting with a dot", "ShipmentDelivered", `{"eventId":".e","orderId":"` + orderID + `","deliveredAt":"2026-12-03T11:00:00Z"}`, false},
	{"delivered", "ShipmentDelivered", `{"eventId":"evt-3","orderId":"` + orderID + `","deliveredAt":"2026-12-03T11:00:00Z"}`, true},
	{"delivered, lowercase order id", "ShipmentDelivered", `{"eventId":"evt-3","orderId":"` + strings.ToLower(orderID) + `","deliveredAt":"2026-12-03T11:00:00Z"}`, false},
	{"delivered, order id too long", "ShipmentDelivered", `{"eventId":"evt-3","orderId":"` + orderID + `0","deliveredAt":"2026-12-03T11:00:00Z"}`, false},
	{"delivered, number for a time", "ShipmentDelivered", `{"eventId":"evt-3","orderId":"` + orderID + `","deliveredAt":1764759600}`, false},
	{"delivered, event id with a space", "ShipmentDelivered", `{"eventId":"evt 3","orderId":"` + orderID + `","deliveredAt":"2026-12-03T11:00:00Z"}`, false},
	{"delivered, empty event id", "ShipmentDelivered", `{"eventId":"","orderId":"` + orderID + `","deliveredAt":"2026-12-03T11:00:00Z"}`, false},
	{"delivered, event id too long", "ShipmentDelivered", `{"eventId":"` + strings.Repeat("e", 129) + `","orderId":"` + orderID + `","deliveredAt":"2026-12-03T11:00:00Z"}`, false},
	{"delivered, array", "ShipmentDelivered", `[]`, false},
	{"received", "ReturnReceived", `{"eventId":"evt-4","orderId":"` + orderID + `","returnId":"R12","receivedAt":"2026-12-03T11:30:00.250Z"}`, true},
	{"received, return R999", "ReturnReceived", `{"eventId":"evt-4","orderId":"` + orderID + `","returnId":"R999","receivedAt":"2026-12-03T11:30:00Z"}`, true},
	{"received, return R1000", "ReturnReceived", `{"eventId":"evt-4","orderId":"` + orderID + `","returnId":"R1000","receivedAt":"2026-12-03T11:30:00Z"}`, false},
	{"received, return R0", "ReturnReceived", `{"eventId":"evt-4","orderId":"` + orderID + `","returnId":"R0","receivedAt":"2026-12-03T11:30:00Z"}`, false},
	{"received, no return id", "ReturnReceived", `{"eventId":"evt-4","orderId":"` + orderID + `","receivedAt":"2026-12-03T11:30:00Z"}`, false},
	{"received, return id a number", "ReturnReceived", `{"eventId":"evt-4","orderId":"` + orderID + `","returnId":1,"receivedAt":"2026-12-03T11:30:00Z"}`, false},
}

// The Go checks are the published schemas' rules: on every sample the schema and Parse agree.
func TestParseAgreesWithTheSchemas(t *testing.T) {
	for _, s := range samples {
		t.Run(s.name, func(t *testing.T) {
			schemaErr := eventschema.ValidateInbound(s.detailType, []byte(s.detail))
			if (schemaErr == nil) != s.valid {
				t.Errorf("schema: err = %v; want valid %v", schemaErr, s.valid)
			}
			_, err := fulfilment.Parse(body(partner, s.detailType, s.detail), partner, now)
			if (err == nil) != s.valid {
				t.Errorf("Parse: err = %v; want valid %v", err, s.valid)
			}
			if err != nil {
				if r, ok := fulfilment.AsRejection(err); !ok || r.Reason != fulfilment.ReasonInvalidDetail {
					t.Errorf("Parse: err = %v; want an %s rejection", err, fulfilment.ReasonInvalidDetail)
				}
			}
		})
	}
}

func TestEveryTypeHasASchema(t *testing.T) {
	keys, err := eventschema.InboundKeys()
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, typ := range fulfilment.Types() {
		want = append(want, typ+"/v1")
	}
	sort.Strings(keys)
	sort.Strings(want)
	if !slices.Equal(keys, want) {
		t.Fatalf("inbound schemas %v; types %v", keys, want)
	}
	if err := eventschema.ValidateInbound("ShipmentLost", []byte(`{}`)); !errors.Is(err, event.ErrUnknownType) {
		t.Errorf("an unknown type validated: %v", err)
	}
}

func TestParse(t *testing.T) {
	dispatched := `{"eventId":"evt-1","orderId":"` + orderID + `","carrier":"DHL","trackingNumber":"JD1","trackingUrl":"https://dhl.com/t/JD1","dispatchedAt":"2026-12-03T11:00:00+01:00"}`
	e, err := fulfilment.Parse(body(partner, "ShipmentDispatched", dispatched), partner, now)
	if err != nil {
		t.Fatal(err)
	}
	want := fulfilment.ShipmentDispatched{Ref: fulfilment.Ref{Source: partner, DetailType: "ShipmentDispatched", EventID: "evt-1", OrderID: orderID,
		BusEventID: "6a7e8feb-b491-4cf7-a9f1-bf3703467718"}, Carrier: "DHL", TrackingNumber: "JD1", TrackingURL: "https://dhl.com/t/JD1",
		DispatchedAt: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)}
	if e != want {
		t.Fatalf("Parse = %+v\nwant %+v", e, want)
	}
	if k := e.Reference().Key(); k != "fulfilment:partner.fulfilment:evt-1" {
		t.Errorf("Key = %q", k)
	}

	for _, tc := range []struct {
		name   string
		body   []byte
		reason fulfilment.Reason
	}{
		{"not JSON", []byte("ShipmentDispatched"), fulfilment.ReasonInvalidEnvelope},
		{"no source", []byte(`{"detail-type":"ShipmentDispatched","detail":{}}`), fulfilment.ReasonInvalidEnvelope},
		{"Orion's own source", body("orion.orders", "ShipmentDispatched", dispatched), fulfilment.ReasonUnauthorizedSource},
		{"another partner", body("evil.partner", "ShipmentDispatched", dispatched), fulfilment.ReasonUnauthorizedSource},
		{"source differing in case", body("Partner.Fulfilment", "ShipmentDispatched", dispatched), fulfilment.ReasonUnauthorizedSource},
		{"unknown type", body(partner, "ShipmentLost", `{"eventId":"e","orderId":"`+orderID+`"}`), fulfilment.ReasonUnknownType},
		{"future delivery", body(partner, "ShipmentDelivered", `{"eventId":"e","orderId":"`+orderID+`","deliveredAt":"2026-12-03T12:06:00Z"}`), fulfilment.ReasonInvalidDetail},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := fulfilment.Parse(tc.body, partner, now)
			r, ok := fulfilment.AsRejection(err)
			if !ok || r.Reason != tc.reason {
				t.Fatalf("err = %v; want a %s rejection", err, tc.reason)
			}
		})
	}
	// Within the clock skew a partner's timestamp is taken as it is.
	if _, err := fulfilment.Parse(body(partner, "ShipmentDelivered", `{"eventId":"e","orderId":"`+orderID+`","deliveredAt":"2026-12-03T12:04:00Z"}`), partner, now); err != nil {
		t.Errorf("a delivery 4 minutes ahead: %v", err)
	}
}

// Every problem of a detail is reported at once, with its field.
func TestParseReportsEveryProblem(t *testing.T) {
	_, err := fulfilment.Parse(body(partner, "ShipmentDispatched", `{"eventId":"","orderId":"x","carrier":"DHL","dispatchedAt":"soon"}`), partner, now)
	r, ok := fulfilment.AsRejection(err)
	if !ok {
		t.Fatalf("err = %v", err)
	}
	for _, field := range []string{"eventId:", "orderId:", "trackingNumber: is required", "dispatchedAt:"} {
		if !strings.Contains(r.Detail, field) {
			t.Errorf("detail %q does not mention %s", r.Detail, field)
		}
	}
}
