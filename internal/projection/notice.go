package projection

import "time"

// Notice is one change of an order view that the order's watchers are told about over WebSocket
// (docs/websocket.md): a new status, a payment waiting for the customer, or a step of a return. The
// view keeps one per order version that made one, with the event's id, so the notifier, fed by the
// projections table's stream, pushes what the view says after it changed (docs/adr/0026).
type Notice struct {
	OrderVersion   int64
	EventID        string
	CorrelationID  string
	OccurredAt     time.Time
	Status, Reason string
	// PaymentAction is the provider's next-action type while the payment waits for the customer.
	PaymentAction string
	// Shipment is set with the SHIPPED status; DeliveredAt with DELIVERED.
	Shipment    *Shipment
	DeliveredAt time.Time
	// ReturnID and ReturnStatus (REQUESTED, RECEIVED, REFUNDED) are set when one of the returns moved.
	ReturnID, ReturnStatus string
}

// Shipment is how a shipped order travels.
type Shipment struct {
	Carrier, TrackingNumber, TrackingURL string
}

// ViewChange is what one write of an order view changed that its watchers are told about: the notices
// it added, oldest first, and the newest notice the view held before (Shown, its version; 0 if none).
// A notice not newer than Shown was applied late (an older event after a newer one): a client is
// never told an older status after a newer one, so the notifier pushes a notice only when it is newer
// than what the view showed before the batch of writes it reads (docs/adr/0026).
type ViewChange struct {
	OrderID, CustomerID string
	Notices             []Notice
	Shown               int64
}
