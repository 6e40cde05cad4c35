package email_test

import (
	"testing"
	"time"

	"github.com/orion-oss/orion/internal/email"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/event/eventschema"
	"github.com/orion-oss/orion/internal/money"
)

const (
	orderID    = "01JDQ7Z3M6X9V0YB2C4D5E6F7G"
	customerID = "5e1f-cust"
)

// ls0time is the creation time of fixture orders.
var ls0time = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

var testConfig = email.Config{
	From: "orders@example.com", AdminTo: "admin@example.com",
	LinkBase: "https://shop.example.com/", ConfigurationSet: "orion-test",
}

func mustMoney(t *testing.T, amount int64, currency string) money.Money {
	t.Helper()
	m, err := money.New(amount, currency)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// lines makes order lines of one currency from (name, sku, quantity, unit price) and their total.
func lines(t *testing.T, currency string, items ...struct {
	name, sku string
	qty, unit int64
}) ([]event.Line, money.Money) {
	t.Helper()
	total := money.Zero(money.Currency(currency))
	var out []event.Line
	for _, it := range items {
		unit := mustMoney(t, it.unit, currency)
		lt, err := unit.Mul(it.qty)
		if err != nil {
			t.Fatal(err)
		}
		if total, err = total.Add(lt); err != nil {
			t.Fatal(err)
		}
		out = append(out, event.Line{SKU: it.sku, Name: it.name, Quantity: it.qty, UnitPrice: unit, LineTotal: lt})
	}
	return out, total
}

type item = struct {
	name, sku string
	qty, unit int64
}

// envelope wraps a payload as the outbox would, and checks it against the event's JSON Schema so the
// fixtures are events the system can really produce.
func envelope(t *testing.T, id string, p event.Payload) event.Envelope {
	t.Helper()
	env, err := event.Wrap(p, event.Meta{ID: id, OccurredAt: time.Date(2026, 11, 24, 10, 0, 1, 0, time.UTC), CorrelationID: "corr-1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := eventschema.Validate(env); err != nil {
		t.Fatalf("fixture %s does not match its schema: %v", p.EventType(), err)
	}
	return env
}

func ref(status, reason string, version int64) event.OrderRef {
	return event.OrderRef{OrderID: orderID, CustomerID: customerID, Status: status, Reason: reason, OrderVersion: version}
}

// outcomes are one event per email Orion sends, named by the notice kind they produce.
func outcomes(t *testing.T) map[string]event.Envelope {
	t.Helper()
	usd, usdTotal := lines(t, "USD", item{"Widget", "SKU-1", 2, 1250}, item{"Espresso machine", "ORN-ESP-01", 1, 123450})
	eur, eurTotal := lines(t, "EUR", item{"Mug", "ORN-MUG-01", 2, 625})
	jpy, jpyTotal := lines(t, "JPY", item{"Tea set", "ORN-TEA-01", 1, 1250})
	gbp, gbpTotal := lines(t, "GBP", item{"Notebook", "ORN-NB-01", 3, 499})
	kwd, kwdTotal := lines(t, "KWD", item{"Lamp", "ORN-LAMP-01", 1, 12500})
	chf, chfTotal := lines(t, "CHF", item{"Watch strap", "ORN-WS-01", 2, 3990})
	return map[string]event.Envelope{
		"order-confirmed": envelope(t, "evt-confirmed", &event.OrderConfirmed{OrderRef: ref("CONFIRMED", "", 4), Lines: usd, Total: usdTotal}),
		"order-rejected-out-of-stock": envelope(t, "evt-oos",
			&event.OrderRejected{OrderRef: ref("REJECTED", "OUT_OF_STOCK", 2), Lines: eur, Total: eurTotal}),
		"order-rejected-payment-declined": envelope(t, "evt-declined",
			&event.OrderRejected{OrderRef: ref("REJECTED", "PAYMENT_DECLINED", 3), Lines: usd, Total: usdTotal}),
		"order-cancelled-customer-request": envelope(t, "evt-cancel-customer",
			&event.OrderCancelled{OrderRef: ref("CANCELLED", "CUSTOMER_REQUEST", 5), RequestedBy: "CUSTOMER", Lines: jpy, Total: jpyTotal}),
		"order-cancelled-admin-request": envelope(t, "evt-cancel-admin",
			&event.OrderCancelled{OrderRef: ref("CANCELLED", "ADMIN_REQUEST", 5), RequestedBy: "ADMIN", Lines: gbp, Total: gbpTotal}),
		"order-failed-payment-unavailable": envelope(t, "evt-failed-payment",
			&event.OrderFailed{OrderRef: ref("FAILED", "PAYMENT_UNAVAILABLE", 3), Lines: usd, Total: usdTotal}),
		"order-failed-step-failed": envelope(t, "evt-failed-step",
			&event.OrderFailed{OrderRef: ref("FAILED", "STEP_FAILED", 3), Lines: kwd, Total: kwdTotal}),
		"order-failed-saga-failed": envelope(t, "evt-failed-saga",
			&event.OrderFailed{OrderRef: ref("FAILED", "SAGA_FAILED", 3), Lines: chf, Total: chfTotal}),
		"order-shipped": envelope(t, "evt-shipped", &event.OrderShipped{OrderRef: ref("SHIPPED", "", 5), Carrier: "DHL Express",
			TrackingNumber: "JD014600006281230", TrackingURL: "https://www.dhl.com/track?id=JD014600006281230&lang=en", ShippedAt: ls0time.Add(26 * time.Hour)}),
		"order-delivered": envelope(t, "evt-delivered", &event.OrderDelivered{OrderRef: ref("DELIVERED", "", 6), DeliveredAt: ls0time.Add(50 * time.Hour)}),
		"return-refunded": envelope(t, "evt-return-refunded", &event.PaymentRefunded{OrderRef: ref("DELIVERED", "", 9), AuthorizationID: "pi_1",
			RefundID: "re_1", Amount: mustMoney(t, 2500, "USD"), ReturnID: "R1"}),
		"inventory-low": envelope(t, "evt-low",
			&event.InventoryLow{SKU: "ORN-MUG-01", Name: "Mug", Available: 3, Threshold: 5, ItemVersion: 7}),
	}
}
