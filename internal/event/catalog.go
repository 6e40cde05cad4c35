package event

import (
	"time"

	"github.com/orion-oss/orion/internal/money"
)

// Event types; each is also the EventBridge detail-type.
const (
	TypeOrderPlaced                = "OrderPlaced"
	TypeInventoryReserved          = "InventoryReserved"
	TypeInventoryReservationFailed = "InventoryReservationFailed"
	TypePaymentAuthorized          = "PaymentAuthorized"
	TypePaymentDeclined            = "PaymentDeclined"
	TypePaymentRefunded            = "PaymentRefunded"
	TypePaymentActionRequired      = "PaymentActionRequired"
	TypePaymentCaptured            = "PaymentCaptured"
	TypePaymentVoided              = "PaymentVoided"
	TypePaymentRefundedOutside     = "PaymentRefundedOutside"
	TypePaymentDisputed            = "PaymentDisputed"
	TypeInventoryReleased          = "InventoryReleased"
	TypeInventoryCommitted         = "InventoryCommitted"
	TypeInventoryReturned          = "InventoryReturned"
	TypeOrderConfirmed             = "OrderConfirmed"
	TypeOrderRejected              = "OrderRejected"
	TypeOrderCancellationRequested = "OrderCancellationRequested"
	TypeOrderCancelled             = "OrderCancelled"
	TypeOrderFailed                = "OrderFailed"
	TypeInventoryUpdated           = "InventoryUpdated"
	TypeInventoryLow               = "InventoryLow"
)

// OrderRef is carried by every event that changes an order, so that projections, the WebSocket notifier
// and the email function can act on any of them alone: whose order it is, the status it now has, and the
// order version that the change produced (consumers apply an event only if it is newer than what they hold).
type OrderRef struct {
	OrderID      string `json:"orderId"`
	CustomerID   string `json:"customerId"`
	Status       string `json:"status"`
	Reason       string `json:"reason,omitempty"`
	OrderVersion int64  `json:"orderVersion"`
}

// Line is one order line as events carry it. Name and prices are the catalog's at the time of the order.
type Line struct {
	SKU       string      `json:"sku"`
	Name      string      `json:"name"`
	Quantity  int64       `json:"quantity"`
	UnitPrice money.Money `json:"unitPrice"`
	LineTotal money.Money `json:"lineTotal"`
}

// StockLine is a quantity of one SKU moved by a reservation, release, commit or return.
type StockLine struct {
	SKU      string `json:"sku"`
	Quantity int64  `json:"quantity"`
	// Available and ItemVersion are the item's figures after the move, set when the move is stored, so
	// the catalog view follows stock without one InventoryUpdated per SKU (a reservation of 50 lines
	// must fit one 100-item transaction).
	Available   *int64 `json:"available,omitempty"`
	ItemVersion int64  `json:"itemVersion,omitempty"`
	// Shards, for a SKU split over shards (docs/hot-sku.md), are the figures of the shards this move
	// touched, instead of Available and ItemVersion: each shard has a version of its own.
	Shards []ShardStock `json:"shards,omitempty"`
}

// ShardStock is one shard's available stock and version after a change of a sharded SKU.
type ShardStock struct {
	Shard     int   `json:"shard"`
	Available int64 `json:"available"`
	Version   int64 `json:"version"`
}

// Shortage names a line that could not be reserved.
type Shortage struct {
	SKU       string `json:"sku"`
	Requested int64  `json:"requested"`
	Available int64  `json:"available"`
}

// OrderPlaced: a customer placed an order (status PENDING). It starts the saga. The payment token is
// deliberately absent: it stays in the order table and never travels on the bus or into the archive.
type OrderPlaced struct {
	OrderRef
	Lines     []Line      `json:"lines"`
	Total     money.Money `json:"total"`
	CreatedAt time.Time   `json:"createdAt"`
}

// InventoryReserved: stock for every line of the order is held (status RESERVED).
type InventoryReserved struct {
	OrderRef
	Lines []StockLine `json:"lines"`
}

// InventoryReservationFailed: at least one line lacked stock; nothing was reserved.
type InventoryReservationFailed struct {
	OrderRef
	Shortages []Shortage `json:"shortages"`
}

// PaymentAuthorized: the provider authorized the order total (status PAYMENT_AUTHORIZED).
type PaymentAuthorized struct {
	OrderRef
	AuthorizationID string      `json:"authorizationId"`
	Amount          money.Money `json:"amount"`
}

// PaymentDeclined: the provider declined the payment; Code is the provider's decline code.
type PaymentDeclined struct {
	OrderRef
	Code   string      `json:"code"`
	Amount money.Money `json:"amount"`
}

// PaymentRefunded: captured money was given back: the whole total during compensation or a
// cancellation, or a received return's amount (ReturnID set).
type PaymentRefunded struct {
	OrderRef
	AuthorizationID string      `json:"authorizationId"`
	RefundID        string      `json:"refundId"`
	Amount          money.Money `json:"amount"`
	ReturnID        string      `json:"returnId,omitempty"`
}

// PaymentActionRequired: the provider holds the payment until the customer acts (3-D Secure); the
// order stays RESERVED and its owner completes the action where GET /orders/{orderId} says. The URL is
// not in the event: it can carry the payment's client secret (Stripe's hosted 3-D Secure page), which
// the bus, its archive and every partner rule would otherwise see. The provider reports the outcome.
type PaymentActionRequired struct {
	OrderRef
	AuthorizationID string `json:"authorizationId"`
	ActionType      string `json:"actionType"`
}

// PaymentCaptured: the authorized total was taken, before the order is confirmed.
type PaymentCaptured struct {
	OrderRef
	AuthorizationID string      `json:"authorizationId"`
	CaptureID       string      `json:"captureId"`
	Amount          money.Money `json:"amount"`
}

// PaymentVoided: a hold that was never captured was released during compensation.
type PaymentVoided struct {
	OrderRef
	AuthorizationID string      `json:"authorizationId"`
	Amount          money.Money `json:"amount"`
}

// PaymentRefundedOutside: the provider reported a refund Orion did not make (its dashboard). The
// order's status does not change; someone should look.
type PaymentRefundedOutside struct {
	OrderRef
	AuthorizationID string      `json:"authorizationId"`
	RefundID        string      `json:"refundId"`
	Amount          money.Money `json:"amount"`
}

// PaymentDisputed: the customer's bank opened a dispute (chargeback) on the payment. The order's
// status does not change; someone should answer the dispute. The bank's reason is DisputeReason
// ("disputeReason"): "reason" is the order's status reason every order event carries.
type PaymentDisputed struct {
	OrderRef
	AuthorizationID string      `json:"authorizationId"`
	DisputeID       string      `json:"disputeId"`
	DisputeReason   string      `json:"disputeReason"`
	Amount          money.Money `json:"amount"`
}

// InventoryReleased: a reservation was given back to available stock during compensation.
type InventoryReleased struct {
	OrderRef
	Lines []StockLine `json:"lines"`
}

// InventoryCommitted: reserved stock became sold when the order was confirmed.
type InventoryCommitted struct {
	OrderRef
	Lines []StockLine `json:"lines"`
}

// InventoryReturned: sold stock went back to available: every line of a cancelled confirmed order, or
// the lines of a received return (ReturnID set).
type InventoryReturned struct {
	OrderRef
	Lines    []StockLine `json:"lines"`
	ReturnID string      `json:"returnId,omitempty"`
}

// OrderConfirmed: the order is paid for and its stock sold (terminal until a cancellation).
type OrderConfirmed struct {
	OrderRef
	Lines []Line      `json:"lines"`
	Total money.Money `json:"total"`
}

// OrderRejected: terminal; Reason is OUT_OF_STOCK or PAYMENT_DECLINED.
type OrderRejected struct {
	OrderRef
	Lines []Line      `json:"lines"`
	Total money.Money `json:"total"`
}

// OrderCancellationRequested: a customer or admin asked to cancel an order that holds stock or payment;
// the compensation run answers it. RequestedBy is CUSTOMER or ADMIN; Actor is who asked.
type OrderCancellationRequested struct {
	OrderRef
	RequestedBy string `json:"requestedBy"`
	Actor       *Actor `json:"actor,omitempty"`
}

// OrderCancelled: terminal; compensation (if any was needed) is complete. Actor is set when the
// cancellation request itself ended the order (a PENDING order); after compensation the saga ends it,
// and the actor is on the order's OrderCancellationRequested.
type OrderCancelled struct {
	OrderRef
	RequestedBy string      `json:"requestedBy"`
	Lines       []Line      `json:"lines"`
	Total       money.Money `json:"total"`
	Actor       *Actor      `json:"actor,omitempty"`
}

// OrderFailed: terminal; a step kept failing for technical reasons and compensation ran. It is alarm-worthy.
type OrderFailed struct {
	OrderRef
	Lines []Line      `json:"lines"`
	Total money.Money `json:"total"`
}

// InventoryUpdated: a catalog item was created, changed or restocked; it carries the whole item so the
// catalog projection can be rebuilt from it alone.
type InventoryUpdated struct {
	SKU         string      `json:"sku"`
	Name        string      `json:"name"`
	Description string      `json:"description"`
	Price       money.Money `json:"price"`
	Available   int64       `json:"available"`
	Reserved    int64       `json:"reserved"`
	Sold        int64       `json:"sold"`
	ItemVersion int64       `json:"itemVersion"`
	// Shards, for a SKU split over shards (docs/hot-sku.md), are every shard's figures: the catalog view
	// keeps one record per shard and sums them. Available, Reserved and Sold are the totals.
	Shards []ShardStock `json:"shards,omitempty"`
	// Actor is the admin who created, revised or restocked the item.
	Actor *Actor `json:"actor,omitempty"`
}

// InventoryLow: available stock of a SKU fell below its threshold; it goes to the admins.
type InventoryLow struct {
	SKU         string `json:"sku"`
	Name        string `json:"name"`
	Available   int64  `json:"available"`
	Threshold   int64  `json:"threshold"`
	ItemVersion int64  `json:"itemVersion"`
}

func (OrderPlaced) EventType() string                { return TypeOrderPlaced }
func (InventoryReserved) EventType() string          { return TypeInventoryReserved }
func (InventoryReservationFailed) EventType() string { return TypeInventoryReservationFailed }
func (PaymentAuthorized) EventType() string          { return TypePaymentAuthorized }
func (PaymentDeclined) EventType() string            { return TypePaymentDeclined }
func (PaymentRefunded) EventType() string            { return TypePaymentRefunded }
func (PaymentActionRequired) EventType() string      { return TypePaymentActionRequired }
func (PaymentCaptured) EventType() string            { return TypePaymentCaptured }
func (PaymentVoided) EventType() string              { return TypePaymentVoided }
func (PaymentRefundedOutside) EventType() string     { return TypePaymentRefundedOutside }
func (PaymentDisputed) EventType() string            { return TypePaymentDisputed }
func (InventoryReleased) EventType() string          { return TypeInventoryReleased }
func (InventoryCommitted) EventType() string         { return TypeInventoryCommitted }
func (InventoryReturned) EventType() string          { return TypeInventoryReturned }
func (OrderConfirmed) EventType() string             { return TypeOrderConfirmed }
func (OrderRejected) EventType() string              { return TypeOrderRejected }
func (OrderCancellationRequested) EventType() string { return TypeOrderCancellationRequested }
func (OrderCancelled) EventType() string             { return TypeOrderCancelled }
func (OrderFailed) EventType() string                { return TypeOrderFailed }
func (InventoryUpdated) EventType() string           { return TypeInventoryUpdated }
func (InventoryLow) EventType() string               { return TypeInventoryLow }

func (OrderPlaced) Source() string                { return SourceOrders }
func (InventoryReserved) Source() string          { return SourceInventory }
func (InventoryReservationFailed) Source() string { return SourceInventory }
func (PaymentAuthorized) Source() string          { return SourcePayments }
func (PaymentDeclined) Source() string            { return SourcePayments }
func (PaymentRefunded) Source() string            { return SourcePayments }
func (PaymentActionRequired) Source() string      { return SourcePayments }
func (PaymentCaptured) Source() string            { return SourcePayments }
func (PaymentVoided) Source() string              { return SourcePayments }
func (PaymentRefundedOutside) Source() string     { return SourcePayments }
func (PaymentDisputed) Source() string            { return SourcePayments }
func (InventoryReleased) Source() string          { return SourceInventory }
func (InventoryCommitted) Source() string         { return SourceInventory }
func (InventoryReturned) Source() string          { return SourceInventory }
func (OrderConfirmed) Source() string             { return SourceOrders }
func (OrderRejected) Source() string              { return SourceOrders }
func (OrderCancellationRequested) Source() string { return SourceOrders }
func (OrderCancelled) Source() string             { return SourceOrders }
func (OrderFailed) Source() string                { return SourceOrders }
func (InventoryUpdated) Source() string           { return SourceInventory }
func (InventoryLow) Source() string               { return SourceInventory }

// Every payload is at schema version 1; a breaking change adds a new version and a new schema file.
func (OrderPlaced) SchemaVersion() int                { return 1 }
func (InventoryReserved) SchemaVersion() int          { return 1 }
func (InventoryReservationFailed) SchemaVersion() int { return 1 }
func (PaymentAuthorized) SchemaVersion() int          { return 1 }
func (PaymentDeclined) SchemaVersion() int            { return 1 }
func (PaymentRefunded) SchemaVersion() int            { return 1 }
func (PaymentActionRequired) SchemaVersion() int      { return 1 }
func (PaymentCaptured) SchemaVersion() int            { return 1 }
func (PaymentVoided) SchemaVersion() int              { return 1 }
func (PaymentRefundedOutside) SchemaVersion() int     { return 1 }
func (PaymentDisputed) SchemaVersion() int            { return 1 }
func (InventoryReleased) SchemaVersion() int          { return 1 }
func (InventoryCommitted) SchemaVersion() int         { return 1 }
func (InventoryReturned) SchemaVersion() int          { return 1 }
func (OrderConfirmed) SchemaVersion() int             { return 1 }
func (OrderRejected) SchemaVersion() int              { return 1 }
func (OrderCancellationRequested) SchemaVersion() int { return 1 }
func (OrderCancelled) SchemaVersion() int             { return 1 }
func (OrderFailed) SchemaVersion() int                { return 1 }
func (InventoryUpdated) SchemaVersion() int           { return 1 }
func (InventoryLow) SchemaVersion() int               { return 1 }
