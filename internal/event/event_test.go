package event_test

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/event/eventschema"
	"github.com/orion-oss/orion/internal/money"
)

func usd(cents int64) money.Money {
	m, err := money.New(cents, "USD")
	if err != nil {
		panic(err)
	}
	return m
}

func ref(status, reason string) event.OrderRef {
	return event.OrderRef{OrderID: "01JDQ7Z3M6X9V0YB2C4D5E6F7G", CustomerID: "5e1f-cust", Status: status, Reason: reason, OrderVersion: 3}
}

var lines = []event.Line{{SKU: "SKU-1", Name: "Widget", Quantity: 2, UnitPrice: usd(1250), LineTotal: usd(2500)}}
var stock = []event.StockLine{{SKU: "SKU-1", Quantity: 2}}

// samples holds one realistic payload of every event type.
var samples = []event.Payload{
	event.OrderPlaced{OrderRef: ref("PENDING", ""), Lines: lines, Total: usd(2500), CreatedAt: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)},
	event.InventoryReserved{OrderRef: ref("RESERVED", ""), Lines: stock},
	event.InventoryReservationFailed{OrderRef: ref("REJECTED", "OUT_OF_STOCK"), Shortages: []event.Shortage{{SKU: "SKU-1", Requested: 2, Available: 1}}},
	event.PaymentAuthorized{OrderRef: ref("PAYMENT_AUTHORIZED", ""), AuthorizationID: "auth_1", Amount: usd(2500)},
	event.PaymentDeclined{OrderRef: ref("REJECTED", "PAYMENT_DECLINED"), Code: "card_declined", Amount: usd(2500)},
	event.PaymentRefunded{OrderRef: ref("CONFIRMED", ""), AuthorizationID: "auth_1", RefundID: "re_1", Amount: usd(2500)},
	event.PaymentActionRequired{OrderRef: ref("RESERVED", ""), AuthorizationID: "pi_1", ActionType: "redirect_to_url"},
	event.PaymentCaptured{OrderRef: ref("PAYMENT_AUTHORIZED", ""), AuthorizationID: "pi_1", CaptureID: "ch_1", Amount: usd(2500)},
	event.PaymentVoided{OrderRef: ref("RESERVED", ""), AuthorizationID: "pi_1", Amount: usd(2500)},
	event.PaymentRefundedOutside{OrderRef: ref("CONFIRMED", ""), AuthorizationID: "pi_1", RefundID: "re_outside", Amount: usd(1000)},
	event.PaymentDisputed{OrderRef: ref("CANCELLED", "CUSTOMER_REQUEST"), AuthorizationID: "pi_1", DisputeID: "dp_1", DisputeReason: "fraudulent", Amount: usd(2500)},
	event.InventoryReleased{OrderRef: ref("RESERVED", ""), Lines: stock},
	event.InventoryCommitted{OrderRef: ref("CONFIRMED", ""), Lines: stock},
	event.InventoryReturned{OrderRef: ref("CONFIRMED", ""), Lines: stock},
	event.OrderConfirmed{OrderRef: ref("CONFIRMED", ""), Lines: lines, Total: usd(2500)},
	event.OrderRejected{OrderRef: ref("REJECTED", "OUT_OF_STOCK"), Lines: lines, Total: usd(2500)},
	event.OrderCancellationRequested{OrderRef: ref("CONFIRMED", ""), RequestedBy: "ADMIN", Actor: &event.Actor{Sub: "0b7e-admin", Role: "admin"}},
	event.OrderCancelled{OrderRef: ref("CANCELLED", "CUSTOMER_REQUEST"), RequestedBy: "CUSTOMER", Lines: lines, Total: usd(2500)},
	event.OrderFailed{OrderRef: ref("FAILED", "PAYMENT_UNAVAILABLE"), Lines: lines, Total: usd(2500)},
	event.InventoryUpdated{SKU: "SKU-1", Name: "Widget", Description: "A widget", Price: usd(1250), Available: 8, Reserved: 2, Sold: 0, ItemVersion: 4,
		Actor: &event.Actor{Sub: "0b7e-admin", Role: "admin"}},
	event.InventoryLow{SKU: "SKU-1", Name: "Widget", Available: 2, Threshold: 5, ItemVersion: 5},
	event.OrderShipped{OrderRef: ref("SHIPPED", ""), Carrier: "UPS", TrackingNumber: "1Z999AA10123456784",
		TrackingURL: "https://www.ups.com/track?tracknum=1Z999AA10123456784", ShippedAt: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC),
		Actor: &event.Actor{Sub: "partner.fulfilment", Role: "partner"}},
	event.OrderDelivered{OrderRef: ref("DELIVERED", ""), DeliveredAt: time.Date(2026, 11, 26, 14, 30, 0, 0, time.UTC),
		Actor: &event.Actor{Sub: "0b7e-admin", Role: "admin"}},
	event.OrderReturnRequested{OrderRef: ref("DELIVERED", ""), ReturnID: "R1", Lines: []event.ReturnLine{{SKU: "SKU-1", Quantity: 1}},
		Amount: usd(1250), ReturnReason: "too small", Actor: &event.Actor{Sub: "5e1f-cust", Role: "customer"}},
	event.OrderReturnReceived{OrderRef: ref("DELIVERED", ""), ReturnID: "R1", Lines: []event.ReturnLine{{SKU: "SKU-1", Quantity: 1}},
		Amount: usd(1250), Actor: &event.Actor{Sub: "partner.fulfilment", Role: "partner"}},
	event.PaymentRefunded{OrderRef: ref("DELIVERED", ""), AuthorizationID: "pi_1", RefundID: "re_2", Amount: usd(1250), ReturnID: "R1"},
	event.InventoryReturned{OrderRef: ref("DELIVERED", ""), Lines: []event.StockLine{{SKU: "SKU-1", Quantity: 1}}, ReturnID: "R1"},
}

func wrap(t *testing.T, p event.Payload) []byte {
	t.Helper()
	env, err := event.Wrap(p, event.Meta{ID: "evt-1", OccurredAt: time.Date(2026, 11, 24, 10, 0, 1, 0, time.UTC), CorrelationID: "corr-1", CausationID: "req-1"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEverySampleMatchesItsSchemaAndRoundTrips(t *testing.T) {
	covered := map[string]bool{}
	for _, p := range samples {
		t.Run(p.EventType(), func(t *testing.T) {
			covered[p.EventType()] = true
			b := wrap(t, p)
			if err := eventschema.ValidateJSON(b); err != nil {
				t.Fatalf("schema rejects the Go type's JSON: %v\n%s", err, b)
			}
			env, err := event.Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			got, err := env.Payload()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(reflect.ValueOf(got).Elem().Interface(), p) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", got, p)
			}
			if !strings.HasPrefix(env.Source, "orion.") || env.Type != p.EventType() || env.Version != 1 {
				t.Fatalf("envelope = %+v", env)
			}
		})
	}
	for _, typ := range event.Types() {
		if !covered[typ] {
			t.Errorf("no sample for %s", typ)
		}
	}
}

func TestCatalogAndSchemasMatch(t *testing.T) {
	keys, err := eventschema.SchemaKeys()
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, typ := range event.Types() {
		want = append(want, typ+"/v1")
	}
	sort.Strings(keys)
	if strings.Join(keys, ",") != strings.Join(want, ",") {
		t.Fatalf("schemas %v\ncatalog %v", keys, want)
	}
}

func TestDocsListEveryEvent(t *testing.T) {
	doc, err := os.ReadFile("../../docs/events.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range event.Types() {
		if !strings.Contains(string(doc), "`"+typ+"`") {
			t.Errorf("docs/events.md does not describe %s", typ)
		}
	}
}

func TestSchemasRejectBadData(t *testing.T) {
	placed := wrap(t, samples[0])
	tests := []struct {
		name   string
		mutate func(m map[string]any)
	}{
		{"float amount", func(m map[string]any) { data(m)["total"].(map[string]any)["amount"] = 25.5 }},
		{"lowercase currency", func(m map[string]any) { data(m)["total"].(map[string]any)["currency"] = "usd" }},
		{"missing lines", func(m map[string]any) { delete(data(m), "lines") }},
		{"extra field", func(m map[string]any) { data(m)["paymentToken"] = "tok_visa" }},
		{"wrong status", func(m map[string]any) { data(m)["status"] = "CONFIRMED" }},
		{"unknown status", func(m map[string]any) { data(m)["status"] = "SHIPPED" }},
		{"zero quantity", func(m map[string]any) { data(m)["lines"].([]any)[0].(map[string]any)["quantity"] = 0 }},
		{"bad time", func(m map[string]any) { m["occurredAt"] = "yesterday" }},
		{"unknown source", func(m map[string]any) { m["source"] = "evil.corp" }},
		{"unknown version", func(m map[string]any) { m["version"] = 9 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(placed, &m); err != nil {
				t.Fatal(err)
			}
			tt.mutate(m)
			b, _ := json.Marshal(m)
			if err := eventschema.ValidateJSON(b); err == nil {
				t.Fatalf("accepted %s", b)
			}
		})
	}
}

func data(m map[string]any) map[string]any { return m["data"].(map[string]any) }

// The actor field is an Actor or absent: a role outside admin/customer, a missing sub or an extra
// member (an email beside the sub) is refused by the schema.
func TestSchemasRejectBadActor(t *testing.T) {
	updated := wrap(t, event.InventoryUpdated{SKU: "SKU-1", Name: "W", Price: usd(1), ItemVersion: 1, Actor: &event.Actor{Sub: "s", Role: "admin"}})
	if err := eventschema.ValidateJSON(updated); err != nil {
		t.Fatalf("a good actor is refused: %v", err)
	}
	tests := map[string]func(a map[string]any){
		"unknown role": func(a map[string]any) { a["role"] = "root" },
		"no sub":       func(a map[string]any) { delete(a, "sub") },
		"empty sub":    func(a map[string]any) { a["sub"] = "" },
		"email beside": func(a map[string]any) { a["email"] = "admin@example.com" },
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(updated, &m); err != nil {
				t.Fatal(err)
			}
			mutate(data(m)["actor"].(map[string]any))
			b, _ := json.Marshal(m)
			if err := eventschema.ValidateJSON(b); err == nil {
				t.Fatalf("accepted %s", b)
			}
		})
	}
}

// Attribute stamps the actor on the events that record one, and only on those.
func TestAttributeStampsTheActionsEvents(t *testing.T) {
	admin := event.Actor{Sub: "0b7e-admin", Role: event.RoleAdmin}
	evs := event.Attribute([]event.Payload{
		event.InventoryUpdated{SKU: "SKU-1"},
		event.InventoryLow{SKU: "SKU-1"},
		event.OrderCancellationRequested{RequestedBy: "ADMIN"},
		event.OrderCancelled{RequestedBy: "ADMIN"},
	}, admin)
	for i, p := range evs {
		var got *event.Actor
		switch e := p.(type) {
		case event.InventoryUpdated:
			got = e.Actor
		case event.OrderCancellationRequested:
			got = e.Actor
		case event.OrderCancelled:
			got = e.Actor
		case event.InventoryLow:
			continue
		default:
			t.Fatalf("event %d changed type: %T", i, p)
		}
		if got == nil || *got != admin {
			t.Errorf("%s actor = %v; want %v", p.EventType(), got, admin)
		}
	}
	if e := event.Attribute([]event.Payload{event.InventoryUpdated{}}, event.Actor{Role: event.RoleAdmin})[0].(event.InventoryUpdated); e.Actor != nil {
		t.Errorf("an actor without sub was recorded: %v", e.Actor)
	}
}

func TestDecodeRejects(t *testing.T) {
	good := wrap(t, samples[1])
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"not json", []byte("{"), event.ErrMalformed},
		{"missing id", []byte(strings.Replace(string(good), `"id":"evt-1",`, "", 1)), event.ErrMalformed},
		{"null data", []byte(`{"id":"a","type":"OrderPlaced","version":1,"source":"orion.orders","occurredAt":"2026-11-24T10:00:00Z","correlationId":"c","data":null}`), event.ErrMalformed},
		{"too large", append([]byte(`{"id":"`), make([]byte, event.MaxSize)...), event.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := event.Decode(tt.in); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v; want %v", err, tt.want)
			}
		})
	}
	env, _ := event.Decode(good)
	env.Type = "OrderTeleported"
	if _, err := env.Payload(); !errors.Is(err, event.ErrUnknownType) {
		t.Fatalf("unknown type: %v", err)
	}
	env.Type, env.Source = "InventoryReserved", "orion.payments"
	if _, err := env.Payload(); !errors.Is(err, event.ErrMalformed) {
		t.Fatalf("wrong source: %v", err)
	}
	if _, err := event.Wrap(samples[0], event.Meta{}); !errors.Is(err, event.ErrMalformed) {
		t.Fatalf("Wrap without ids: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	for _, p := range samples[:3] {
		env, _ := event.Wrap(p, event.Meta{ID: "e", OccurredAt: time.Unix(0, 0), CorrelationID: "c"})
		b, _ := json.Marshal(env)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		env, err := event.Decode(b)
		if err != nil {
			return
		}
		_, _ = env.Payload()
		_ = eventschema.ValidateJSON(b)
		again, err := json.Marshal(env)
		if err != nil {
			t.Fatal(err)
		}
		env2, err := event.Decode(again)
		if err != nil {
			t.Fatalf("re-encoded envelope does not decode: %v", err)
		}
		third, _ := json.Marshal(env2)
		if string(third) != string(again) {
			t.Fatalf("encoding not stable:\n%s\n%s", again, third)
		}
	})
}

// The envelope carries the trace header Meta names (the outbox writer passes the committing
// invocation's), without Lineage; the schema accepts it; envelopes without one still decode. The
// process environment is not the domain's to read: Lambda's _X_AMZN_TRACE_ID is ignored here.
func TestTheEnvelopeCarriesTheTraceHeader(t *testing.T) {
	const root = "1-6745c1a0-0123456789abcdef01234567"
	meta := event.Meta{ID: "evt-1", OccurredAt: time.Date(2026, 11, 24, 10, 0, 1, 0, time.UTC), CorrelationID: "corr-1"}
	p := samples[0]
	for name, tt := range map[string]struct{ env, given, want string }{
		"given, without Lineage":    {"", "Root=" + root + ";Parent=53995c3f42cd8ad8;Sampled=1;Lineage=a87bd80c:1", "Root=" + root + ";Parent=53995c3f42cd8ad8;Sampled=1"},
		"not from the environment":  {"Root=" + root + ";Parent=1111111111111111;Sampled=1", "", ""},
		"given":                     {"Root=" + root + ";Parent=1111111111111111;Sampled=1", "Root=" + root + ";Parent=2222222222222222;Sampled=0", "Root=" + root + ";Parent=2222222222222222;Sampled=0"},
		"none outside Lambda":       {"", "", ""},
		"an invalid one is dropped": {"", "Root=nonsense", ""},
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv("_X_AMZN_TRACE_ID", tt.env)
			m := meta
			m.TraceHeader = tt.given
			env, err := event.Wrap(p, m)
			if err != nil {
				t.Fatal(err)
			}
			if env.TraceHeader != tt.want {
				t.Fatalf("TraceHeader = %q; want %q", env.TraceHeader, tt.want)
			}
			b, _ := json.Marshal(env)
			if err := eventschema.ValidateJSON(b); err != nil {
				t.Fatalf("schema rejects %s: %v", b, err)
			}
			if tt.want == "" && strings.Contains(string(b), "traceHeader") {
				t.Fatalf("empty trace header written: %s", b)
			}
			back, err := event.Decode(b)
			if err != nil || back.TraceHeader != tt.want {
				t.Fatalf("decoded %q, %v; want %q", back.TraceHeader, err, tt.want)
			}
		})
	}
}
