package email

import (
	"errors"
	"fmt"
	"time"

	"github.com/orion-oss/orion/internal/event"
)

// ErrNotMailed means the event is of a type that sends no email; the handler ignores it.
var ErrNotMailed = errors.New("email: event type is not mailed")

// Mailed reports whether events of the type send an email.
func Mailed(eventType string) bool {
	switch eventType {
	case event.TypeOrderConfirmed, event.TypeOrderRejected, event.TypeOrderCancelled, event.TypeOrderFailed, event.TypeInventoryLow,
		event.TypeOrderShipped, event.TypeOrderDelivered, event.TypePaymentRefunded:
		return true
	}
	return false
}

// Notice is what one event has to tell its reader, decoded and in the words the templates use. An order
// notice goes to the customer (CustomerID); a stock notice goes to the admins.
type Notice struct {
	EventID, EventType string
	// Kind names the template and outcome ("order-confirmed", "order-rejected-payment-declined", ...):
	// the golden files are named after it.
	Kind       string
	CustomerID string
	Order      *OrderNotice
	Stock      *StockNotice
	// Fulfilment is set for what happens to a confirmed order: shipped, delivered, a return refunded.
	Fulfilment *FulfilmentNotice
}

// ForAdmins reports whether the notice goes to the configured admin address instead of a customer.
func (n Notice) ForAdmins() bool { return n.Stock != nil }

// OrderNotice is an order's outcome for its customer.
type OrderNotice struct {
	OrderID string
	// Status and Reason are the event's codes; ReasonText says the reason in plain words.
	Status, Reason, ReasonText string
	Lines                      []event.Line
	Total                      string
}

// FulfilmentNotice is a confirmed order's later news for its customer: it shipped (with the carrier's
// tracking), it was delivered, or a return of it was refunded.
type FulfilmentNotice struct {
	OrderID string
	// Shipped: the carrier, its tracking number and, when the carrier has one, its tracking page.
	Carrier, TrackingNumber, TrackingURL string
	// Delivered: when.
	DeliveredAt time.Time
	// Refunded: the return and the amount given back, formatted.
	ReturnID, Refunded string
}

// StockNotice is a low-stock alert.
type StockNotice struct {
	SKU, Name            string
	Available, Threshold int64
}

// Parse decodes an envelope into a notice. Events that send no email give ErrNotMailed, before their
// data is even decoded; malformed data gives the event package's errors.
func Parse(env event.Envelope) (Notice, error) {
	if !Mailed(env.Type) {
		return Notice{}, fmt.Errorf("%w: %s", ErrNotMailed, env.Type)
	}
	p, err := env.Payload()
	if err != nil {
		return Notice{}, fmt.Errorf("email: %s %s: %w", env.Type, env.ID, err)
	}
	n := Notice{EventID: env.ID, EventType: env.Type}
	order := func(kind string, ref event.OrderRef, lines []event.Line, total string) {
		n.Kind, n.CustomerID = kind, ref.CustomerID
		n.Order = &OrderNotice{OrderID: ref.OrderID, Status: ref.Status, Reason: ref.Reason, ReasonText: reasonText(ref.Reason),
			Lines: lines, Total: total}
	}
	switch e := p.(type) {
	case *event.OrderConfirmed:
		order("order-confirmed", e.OrderRef, e.Lines, FormatMoney(e.Total))
	case *event.OrderRejected:
		order("order-rejected"+kindSuffix(e.Reason), e.OrderRef, e.Lines, FormatMoney(e.Total))
	case *event.OrderCancelled:
		// RequestedBy is the fact; the reason code is derived from it and may be absent in old events.
		ref := e.OrderRef
		switch e.RequestedBy {
		case "CUSTOMER":
			ref.Reason = "CUSTOMER_REQUEST"
		case "ADMIN":
			ref.Reason = "ADMIN_REQUEST"
		}
		order("order-cancelled"+kindSuffix(ref.Reason), ref, e.Lines, FormatMoney(e.Total))
	case *event.OrderFailed:
		order("order-failed"+kindSuffix(e.Reason), e.OrderRef, e.Lines, FormatMoney(e.Total))
	case *event.OrderShipped:
		n.Kind, n.CustomerID = "order-shipped", e.CustomerID
		n.Fulfilment = &FulfilmentNotice{OrderID: e.OrderID, Carrier: e.Carrier, TrackingNumber: e.TrackingNumber, TrackingURL: e.TrackingURL}
	case *event.OrderDelivered:
		n.Kind, n.CustomerID = "order-delivered", e.CustomerID
		n.Fulfilment = &FulfilmentNotice{OrderID: e.OrderID, DeliveredAt: e.DeliveredAt}
	case *event.PaymentRefunded:
		if e.ReturnID == "" {
			// A refund of the whole order belongs to its cancellation or failure, whose own email says
			// so: a second one would only repeat it.
			return Notice{}, fmt.Errorf("%w: %s without a returnId", ErrNotMailed, env.Type)
		}
		n.Kind, n.CustomerID = "return-refunded", e.CustomerID
		n.Fulfilment = &FulfilmentNotice{OrderID: e.OrderID, ReturnID: e.ReturnID, Refunded: FormatMoney(e.Amount)}
	case *event.InventoryLow:
		n.Kind = "inventory-low"
		n.Stock = &StockNotice{SKU: e.SKU, Name: e.Name, Available: e.Available, Threshold: e.Threshold}
	default:
		return Notice{}, fmt.Errorf("%w: %s", ErrNotMailed, env.Type)
	}
	if (n.Order != nil && n.Order.OrderID == "") || (n.Fulfilment != nil && n.Fulfilment.OrderID == "") || (n.Stock == nil && n.CustomerID == "") {
		return Notice{}, fmt.Errorf("email: %s %s: %w: no order or customer id", env.Type, env.ID, event.ErrMalformed)
	}
	return n, nil
}

// reasons says each status reason in plain words, as the end of "... because <words>".
var reasons = map[string]string{
	"OUT_OF_STOCK":        "some items were out of stock",
	"PAYMENT_DECLINED":    "your payment was declined",
	"CUSTOMER_REQUEST":    "you asked us to cancel it",
	"ADMIN_REQUEST":       "our team had to cancel it",
	"PAYMENT_UNAVAILABLE": "our payment provider could not be reached",
	"STEP_FAILED":         "a technical problem on our side stopped it",
	"SAGA_FAILED":         "an unexpected error on our side interrupted it",
}

// reasonText is "" for a reason this build does not know: the email then leaves the reason out rather
// than show a code to a customer.
func reasonText(code string) string { return reasons[code] }

// kindSuffix is "-payment-declined" for PAYMENT_DECLINED, "" for an unknown or absent reason.
func kindSuffix(reason string) string {
	if _, ok := reasons[reason]; !ok {
		return ""
	}
	b := []byte("-" + reason)
	for i, c := range b {
		switch {
		case c == '_':
			b[i] = '-'
		case c >= 'A' && c <= 'Z':
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
