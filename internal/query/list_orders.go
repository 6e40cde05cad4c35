package query

import (
	"context"
	"time"

	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/validation"
)

// OrderSummary is an order as lists show it, from its view.
type OrderSummary struct {
	OrderID      string
	CustomerID   string
	Status       string
	StatusReason string
	Total        money.Money
	Lines        []OrderLine
	CreatedAt    string // RFC 3339
	// UpdatedAt (RFC 3339) is when the view last changed: a status change or a fact it shows (the
	// shipment, a return's step). Events that change neither do not touch the view (docs/adr/0022),
	// so it can be earlier than the order's own updatedAt (GET /orders/{orderId}).
	UpdatedAt   string
	History     []HistoryEntry
	Shipment    *ShipmentSummary // nil until the order shipped
	DeliveredAt string           // RFC 3339, "" until the order was delivered
	Returns     []ReturnSummary  // oldest first
}

// ShipmentSummary is how an order left the warehouse.
type ShipmentSummary struct {
	Carrier, TrackingNumber, TrackingURL string
	ShippedAt                            string // RFC 3339
}

// ReturnSummary is a return of an order summary. Its status is the furthest its events took it
// (REQUESTED, RECEIVED, REFUNDED), whatever order they arrived in.
type ReturnSummary struct {
	ReturnID    string
	Status      string
	Lines       []ReturnLine
	Amount      money.Money
	Reason      string
	RequestedAt string // RFC 3339; "" when a later event arrived before the request's
	ReceivedAt  string
	RefundedAt  string
}

// ReturnLine is a quantity of one SKU in a return.
type ReturnLine struct {
	SKU      string
	Quantity int64
}

// OrderLine is one line of an order summary.
type OrderLine struct {
	SKU       string
	Name      string
	Quantity  int64
	UnitPrice money.Money
	LineTotal money.Money
}

// HistoryEntry is one status change of an order summary, oldest first.
type HistoryEntry struct {
	Status, Reason string
	At             string // RFC 3339
}

// OrderSelection is a page of orders as the read model lists them, newest first: a customer's, or
// (CustomerID "") everyone's, optionally of one status and created within [CreatedFrom, CreatedTo]
// (each optional: zero is unbounded; whole seconds, both ends included).
type OrderSelection struct {
	CustomerID  customer.ID
	Status      order.Status
	CreatedFrom time.Time
	CreatedTo   time.Time
	Limit       int32
	Cursor      string // opaque, from a previous page
}

// OrderViews lists order summaries: a page and the cursor of the next one ("" at the end);
// ErrBadCursor for a cursor it did not issue for this selection.
type OrderViews interface {
	ListOrders(ctx context.Context, s OrderSelection) ([]OrderSummary, string, error)
}

// ListOrders asks for a page of orders, newest first, on behalf of its caller.
type ListOrders struct {
	Caller customer.ID
	Admin  bool
	// Customer names whose orders (optional): a customer may name only themselves, an admin anyone.
	Customer customer.ID
	Status   order.Status // optional
	// CreatedFrom and CreatedTo bound when the orders were placed (optional, zero: unbounded); see
	// CheckCreatedRange.
	CreatedFrom, CreatedTo time.Time
	Limit                  int32
	Cursor                 string
}

// MaxCreatedRange is the longest createdFrom..createdTo an order search may span: the all-orders
// listing reads one day partition after another, and a bounded range bounds what a search can cost.
const MaxCreatedRange = 366 * 24 * time.Hour

// CheckCreatedRange checks a search's creation range: from not after to, and at most MaxCreatedRange
// apart when both are given. A problem names the field the client sent.
func CheckCreatedRange(from, to time.Time) error {
	switch {
	case from.IsZero() || to.IsZero():
		return nil
	case from.After(to):
		return validation.New("createdFrom", "must not be after createdTo")
	case to.Sub(from) > MaxCreatedRange:
		return validation.New("createdTo", "must be at most %d days after createdFrom", int(MaxCreatedRange.Hours()/24))
	}
	return nil
}

// Forbidden reports whether the caller may not list the orders q names.
func (q ListOrders) Forbidden() bool {
	return q.Customer != "" && q.Customer != q.Caller && !q.Admin
}

// selection is whose orders q lists: a customer their own, an admin everyone's unless q names one.
func (q ListOrders) selection() OrderSelection {
	who := q.Caller
	if q.Admin {
		who = ""
	}
	if q.Customer != "" {
		who = q.Customer
	}
	return OrderSelection{CustomerID: who, Status: q.Status, CreatedFrom: q.CreatedFrom, CreatedTo: q.CreatedTo, Limit: q.Limit, Cursor: q.Cursor}
}

// ListOrdersHandler answers ListOrders.
type ListOrdersHandler struct{ views OrderViews }

// NewListOrdersHandler builds the handler.
func NewListOrdersHandler(views OrderViews) ListOrdersHandler { return ListOrdersHandler{views: views} }

// Handle returns a page of the orders the caller may see and the cursor of the next page ("" at the
// end); ErrForbidden when q names another customer and the caller is not an admin.
func (h ListOrdersHandler) Handle(ctx context.Context, q ListOrders) ([]OrderSummary, string, error) {
	if q.Forbidden() {
		return nil, "", ErrForbidden
	}
	if err := CheckCreatedRange(q.CreatedFrom, q.CreatedTo); err != nil {
		return nil, "", err
	}
	return h.views.ListOrders(ctx, q.selection())
}
