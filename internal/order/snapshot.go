package order

import (
	"fmt"
	"slices"
	"time"

	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/money"
)

// Snapshot is an order as storage holds it.
type Snapshot struct {
	ID            ID
	CustomerID    customer.ID
	Lines         []Line
	Total         money.Money
	PaymentToken  string
	Shipping      *Address
	Status        Status
	Reason        Reason
	Version       int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
	History       []HistoryEntry
	Payment       Payment
	Cancellation  *Cancellation
	StockReleased bool
	StockReturned bool
	// Counted: the order counts against its customer's limits (Order.Counted); false for orders placed
	// before the limits existed.
	Counted bool
	// Shipment, DeliveredAt and Returns: the order's life after confirmation (issue 21).
	Shipment    *Shipment
	DeliveredAt time.Time
	Returns     []ProductReturn
}

// FromSnapshot rebuilds an order from storage without the placement rules.
func FromSnapshot(s Snapshot) (*Order, error) {
	if s.ID == "" || s.CustomerID == "" || len(s.Lines) == 0 || s.Version < 1 || !slices.Contains(Statuses, s.Status) {
		return nil, fmt.Errorf("order: corrupt snapshot of %q (status %q, version %d)", s.ID, s.Status, s.Version)
	}
	return &Order{id: s.ID, customerID: s.CustomerID, lines: slices.Clone(s.Lines), total: s.Total, paymentToken: s.PaymentToken,
		shipping: s.Shipping, status: s.Status, reason: s.Reason, version: s.Version, createdAt: s.CreatedAt, updatedAt: s.UpdatedAt,
		history: slices.Clone(s.History), payment: s.Payment, cancellation: s.Cancellation, stockReleased: s.StockReleased,
		stockReturned: s.StockReturned, counted: s.Counted, shipment: s.Shipment, deliveredAt: s.DeliveredAt,
		returns: cloneReturns(s.Returns)}, nil
}

// Snapshot returns the order's state for storage.
func (o *Order) Snapshot() Snapshot {
	return Snapshot{ID: o.id, CustomerID: o.customerID, Lines: slices.Clone(o.lines), Total: o.total, PaymentToken: o.paymentToken,
		Shipping: o.shipping, Status: o.status, Reason: o.reason, Version: o.version, CreatedAt: o.createdAt, UpdatedAt: o.updatedAt,
		History: slices.Clone(o.history), Payment: o.payment, Cancellation: o.cancellation, StockReleased: o.stockReleased,
		StockReturned: o.stockReturned, Counted: o.counted, Shipment: o.shipment, DeliveredAt: o.deliveredAt,
		Returns: cloneReturns(o.returns)}
}

func (o *Order) ID() ID                      { return o.id }
func (o *Order) CustomerID() customer.ID     { return o.customerID }
func (o *Order) Lines() []Line               { return slices.Clone(o.lines) }
func (o *Order) Total() money.Money          { return o.total }
func (o *Order) PaymentToken() string        { return o.paymentToken }
func (o *Order) Shipping() *Address          { return o.shipping }
func (o *Order) Status() Status              { return o.status }
func (o *Order) Reason() Reason              { return o.reason }
func (o *Order) Version() int64              { return o.version }
func (o *Order) CreatedAt() time.Time        { return o.createdAt }
func (o *Order) UpdatedAt() time.Time        { return o.updatedAt }
func (o *Order) History() []HistoryEntry     { return slices.Clone(o.history) }
func (o *Order) Payment() Payment            { return o.payment }
func (o *Order) Cancellation() *Cancellation { return o.cancellation }
func (o *Order) StockReleased() bool         { return o.stockReleased }
func (o *Order) StockReturned() bool         { return o.stockReturned }
func (o *Order) Shipment() *Shipment         { return o.shipment }
func (o *Order) DeliveredAt() time.Time      { return o.deliveredAt }
func (o *Order) Returns() []ProductReturn    { return cloneReturns(o.returns) }

// String never includes the payment token.
func (o *Order) String() string {
	return fmt.Sprintf("order %s (customer %s, %s, v%d, %d lines, %s)", o.id, o.customerID, o.status, o.version, len(o.lines), o.total)
}
