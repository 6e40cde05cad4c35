package ws

import (
	"encoding/json"
	"fmt"

	"github.com/orion-oss/orion/internal/event"
)

// Shipment is how a shipped order travels: what the owner needs to follow it.
type Shipment struct {
	Carrier        string `json:"carrier"`
	TrackingNumber string `json:"trackingNumber"`
	// TrackingURL is the carrier's page, an https URL (order.Shipment.Validate), if the carrier has one.
	TrackingURL string `json:"trackingUrl,omitempty"`
}

// Return says which of the order's returns moved and where it is now.
type Return struct {
	ID string `json:"id"`
	// Status is REQUESTED, RECEIVED (units back in the warehouse, refund due) or REFUNDED.
	Status string `json:"status"`
}

// The statuses of a return as pushed (order.ReturnRequested and its siblings say the same).
const (
	returnRequested = "REQUESTED"
	returnReceived  = "RECEIVED"
	returnRefunded  = "REFUNDED"
)

// fulfilment adds what an event after confirmation tells beyond the status. A return's events keep the
// order DELIVERED: without the return the push would say nothing new, so one lacking its returnId is
// refused like any event without its reference. PaymentRefunded without a returnId is the refund of
// a whole order, which its CANCELLED or FAILED push reports already.
func fulfilment(env event.Envelope, msg *Status) error {
	ret := func(id, status string) error {
		if id == "" {
			return fmt.Errorf("%w: %s without its returnId", ErrNotStatusEvent, env.Type)
		}
		msg.Return = &Return{ID: id, Status: status}
		return nil
	}
	switch env.Type {
	case event.TypeOrderShipped:
		var e event.OrderShipped
		if err := json.Unmarshal(env.Data, &e); err != nil || e.Carrier == "" || e.TrackingNumber == "" {
			return fmt.Errorf("%w: %s without its carrier and tracking number", ErrNotStatusEvent, env.Type)
		}
		msg.Shipment = &Shipment{Carrier: e.Carrier, TrackingNumber: e.TrackingNumber, TrackingURL: e.TrackingURL}
	case event.TypeOrderDelivered:
		var e event.OrderDelivered
		if err := json.Unmarshal(env.Data, &e); err != nil || e.DeliveredAt.IsZero() {
			return fmt.Errorf("%w: %s without deliveredAt", ErrNotStatusEvent, env.Type)
		}
		at := e.DeliveredAt.UTC()
		msg.DeliveredAt = &at
	case event.TypeOrderReturnRequested, event.TypeOrderReturnReceived, event.TypePaymentRefunded:
		var e struct {
			ReturnID string `json:"returnId"`
		}
		if err := json.Unmarshal(env.Data, &e); err != nil {
			return fmt.Errorf("%w: %s data: %w", ErrNotStatusEvent, env.Type, err)
		}
		status := map[string]string{event.TypeOrderReturnRequested: returnRequested, event.TypeOrderReturnReceived: returnReceived,
			event.TypePaymentRefunded: returnRefunded}[env.Type]
		return ret(e.ReturnID, status)
	}
	return nil
}
