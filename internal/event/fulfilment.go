package event

import (
	"time"

	"github.com/orion-oss/orion/internal/money"
)

// Event types of an order's life after confirmation: fulfilment and returns (issue 21).
const (
	TypeOrderShipped         = "OrderShipped"
	TypeOrderDelivered       = "OrderDelivered"
	TypeOrderReturnRequested = "OrderReturnRequested"
	TypeOrderReturnReceived  = "OrderReturnReceived"
)

// OrderShipped: the order left the warehouse (status SHIPPED). The customer is mailed the tracking link.
// Actor is the admin or the fulfilment partner that reported it.
type OrderShipped struct {
	OrderRef
	Carrier        string    `json:"carrier"`
	TrackingNumber string    `json:"trackingNumber"`
	TrackingURL    string    `json:"trackingUrl,omitempty"`
	ShippedAt      time.Time `json:"shippedAt"`
	Actor          *Actor    `json:"actor,omitempty"`
}

// OrderDelivered: the carrier delivered the order (status DELIVERED); the return window starts at
// DeliveredAt.
type OrderDelivered struct {
	OrderRef
	DeliveredAt time.Time `json:"deliveredAt"`
	Actor       *Actor    `json:"actor,omitempty"`
}

// ReturnLine is a quantity of one SKU in a return.
type ReturnLine struct {
	SKU      string `json:"sku"`
	Quantity int64  `json:"quantity"`
}

// OrderReturnRequested: the customer (or an admin for them) asked to return some units of a delivered
// order. Nothing moves yet: the units go back on sale and the money back to the customer only once the
// warehouse has received them (OrderReturnReceived). Amount is what the returned lines cost.
type OrderReturnRequested struct {
	OrderRef
	ReturnID string       `json:"returnId"`
	Lines    []ReturnLine `json:"lines"`
	Amount   money.Money  `json:"amount"`
	// ReturnReason is the customer's own words, if any ("reason" is the order's status reason).
	ReturnReason string `json:"returnReason,omitempty"`
	Actor        *Actor `json:"actor,omitempty"`
}

// OrderReturnReceived: the warehouse received a return's units; they are back on sale
// (InventoryReturned with the same returnId, in the same transaction) and the refund of Amount is due
// (PaymentRefunded with the returnId follows).
type OrderReturnReceived struct {
	OrderRef
	ReturnID string       `json:"returnId"`
	Lines    []ReturnLine `json:"lines"`
	Amount   money.Money  `json:"amount"`
	Actor    *Actor       `json:"actor,omitempty"`
}

func (OrderShipped) EventType() string         { return TypeOrderShipped }
func (OrderDelivered) EventType() string       { return TypeOrderDelivered }
func (OrderReturnRequested) EventType() string { return TypeOrderReturnRequested }
func (OrderReturnReceived) EventType() string  { return TypeOrderReturnReceived }

func (OrderShipped) Source() string         { return SourceOrders }
func (OrderDelivered) Source() string       { return SourceOrders }
func (OrderReturnRequested) Source() string { return SourceOrders }
func (OrderReturnReceived) Source() string  { return SourceOrders }

func (OrderShipped) SchemaVersion() int         { return 1 }
func (OrderDelivered) SchemaVersion() int       { return 1 }
func (OrderReturnRequested) SchemaVersion() int { return 1 }
func (OrderReturnReceived) SchemaVersion() int  { return 1 }

func (p OrderShipped) withActor(a *Actor) Payload         { p.Actor = a; return p }
func (p OrderDelivered) withActor(a *Actor) Payload       { p.Actor = a; return p }
func (p OrderReturnRequested) withActor(a *Actor) Payload { p.Actor = a; return p }
func (p OrderReturnReceived) withActor(a *Actor) Payload  { p.Actor = a; return p }
