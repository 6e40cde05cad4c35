package api

import (
	"time"

	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/query"
)

// OrderView is an order as the API shows it (docs/openapi.yaml Order). The payment token is never
// part of it.
type OrderView struct {
	OrderID               string         `json:"orderId"`
	CustomerID            string         `json:"customerId"`
	Status                string         `json:"status"`
	StatusReason          string         `json:"statusReason,omitempty"`
	Items                 []LineView     `json:"items"`
	Total                 money.Money    `json:"total"`
	ShippingAddress       *order.Address `json:"shippingAddress,omitempty"`
	CancellationRequested bool           `json:"cancellationRequested"`
	CreatedAt             string         `json:"createdAt"`
	UpdatedAt             string         `json:"updatedAt"`
	History               []HistoryView  `json:"history"`
	// PaymentAction is set while the payment waits for the customer (3-D Secure): open RedirectURL to
	// complete it; the saga goes on when the provider reports the outcome. Only GET /orders/{orderId}
	// and the command answers show it, from the aggregate.
	PaymentAction *PaymentActionView `json:"paymentAction,omitempty"`
	// Shipment is set once the order shipped, DeliveredAt once it was delivered; Returns lists the
	// returns asked for, oldest first (always present, empty before any).
	Shipment    *ShipmentView `json:"shipment,omitempty"`
	DeliveredAt string        `json:"deliveredAt,omitempty"`
	Returns     []ReturnView  `json:"returns"`
}

// ShipmentView is how the order left the warehouse.
type ShipmentView struct {
	Carrier        string `json:"carrier"`
	TrackingNumber string `json:"trackingNumber"`
	TrackingURL    string `json:"trackingUrl,omitempty"`
	ShippedAt      string `json:"shippedAt"`
}

// ReturnView is a return of some of the order's units (docs/openapi.yaml Return).
type ReturnView struct {
	ReturnID    string           `json:"returnId"`
	Status      string           `json:"status"`
	Lines       []ReturnLineView `json:"lines"`
	Amount      money.Money      `json:"amount"`
	Reason      string           `json:"reason,omitempty"`
	RequestedAt string           `json:"requestedAt,omitempty"`
	ReceivedAt  string           `json:"receivedAt,omitempty"`
	RefundedAt  string           `json:"refundedAt,omitempty"`
}

// ReturnLineView is a quantity of one SKU in a return.
type ReturnLineView struct {
	SKU      string `json:"sku"`
	Quantity int64  `json:"quantity"`
}

// PaymentActionView is what the customer must do for the payment to go on.
type PaymentActionView struct {
	Type        string `json:"type"`
	RedirectURL string `json:"redirectUrl"`
}

// LineView is one line of an order.
type LineView struct {
	SKU       string      `json:"sku"`
	Name      string      `json:"name"`
	Quantity  int64       `json:"quantity"`
	UnitPrice money.Money `json:"unitPrice"`
	LineTotal money.Money `json:"lineTotal"`
}

// HistoryView is one status change.
type HistoryView struct {
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	At     string `json:"at"`
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// orderView is an order as the command side and GET /orders/{orderId} answer it.
func orderView(o *order.Order) OrderView {
	v := OrderView{OrderID: string(o.ID()), CustomerID: string(o.CustomerID()), Status: string(o.Status()), StatusReason: string(o.Reason()),
		Total: o.Total(), ShippingAddress: o.Shipping(), CancellationRequested: o.Cancellation() != nil,
		CreatedAt: ts(o.CreatedAt()), UpdatedAt: ts(o.UpdatedAt())}
	for _, l := range o.Lines() {
		v.Items = append(v.Items, LineView{SKU: string(l.SKU), Name: l.Name, Quantity: l.Quantity.Int64(), UnitPrice: l.UnitPrice, LineTotal: l.LineTotal})
	}
	for _, h := range o.History() {
		v.History = append(v.History, HistoryView{Status: string(h.Status), Reason: string(h.Reason), At: ts(h.At)})
	}
	if out, ok := o.ActionOutcome(); ok && out == order.ActionPending {
		a := o.Payment().Action
		v.PaymentAction = &PaymentActionView{Type: a.Type, RedirectURL: a.RedirectURL}
	}
	if sh := o.Shipment(); sh != nil {
		v.Shipment = &ShipmentView{Carrier: sh.Carrier, TrackingNumber: sh.TrackingNumber, TrackingURL: sh.TrackingURL, ShippedAt: ts(sh.ShippedAt)}
	}
	v.DeliveredAt = tsOrEmpty(o.DeliveredAt())
	v.Returns = make([]ReturnView, 0, len(o.Returns()))
	for _, r := range o.Returns() {
		v.Returns = append(v.Returns, returnView(r))
	}
	return v
}

// returnView is a return as the aggregate holds it.
func returnView(r order.ProductReturn) ReturnView {
	v := ReturnView{ReturnID: r.ID, Status: string(r.Status), Amount: r.Amount, Reason: r.Reason, RequestedAt: tsOrEmpty(r.RequestedAt),
		ReceivedAt: tsOrEmpty(r.ReceivedAt), RefundedAt: tsOrEmpty(r.RefundedAt), Lines: make([]ReturnLineView, len(r.Lines))}
	for i, l := range r.Lines {
		v.Lines[i] = ReturnLineView{SKU: string(l.SKU), Quantity: l.Quantity.Int64()}
	}
	return v
}

// tsOrEmpty is ts, or "" for a time that has not come (the field is left out).
func tsOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return ts(t)
}

// summaryView is an order as GET /orders lists it, from its view.
func summaryView(s query.OrderSummary) OrderView {
	v := OrderView{OrderID: s.OrderID, CustomerID: s.CustomerID, Status: s.Status, StatusReason: s.StatusReason, Total: s.Total,
		CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt, Items: []LineView{}}
	for _, l := range s.Lines {
		v.Items = append(v.Items, LineView{SKU: l.SKU, Name: l.Name, Quantity: l.Quantity, UnitPrice: l.UnitPrice, LineTotal: l.LineTotal})
	}
	for _, h := range s.History {
		v.History = append(v.History, HistoryView{Status: h.Status, Reason: h.Reason, At: h.At})
	}
	if sh := s.Shipment; sh != nil {
		v.Shipment = &ShipmentView{Carrier: sh.Carrier, TrackingNumber: sh.TrackingNumber, TrackingURL: sh.TrackingURL, ShippedAt: sh.ShippedAt}
	}
	v.DeliveredAt = s.DeliveredAt
	v.Returns = make([]ReturnView, 0, len(s.Returns))
	for _, r := range s.Returns {
		rv := ReturnView{ReturnID: r.ReturnID, Status: r.Status, Amount: r.Amount, Reason: r.Reason, RequestedAt: r.RequestedAt,
			ReceivedAt: r.ReceivedAt, RefundedAt: r.RefundedAt, Lines: make([]ReturnLineView, len(r.Lines))}
		for i, l := range r.Lines {
			rv.Lines[i] = ReturnLineView{SKU: l.SKU, Quantity: l.Quantity}
		}
		v.Returns = append(v.Returns, rv)
	}
	return v
}

// ItemView is an item as the API shows it: what a shopper needs, not the internal counters. The public
// sees only Availability; an admin also sees the exact Available count (issue 20: exact counts let a
// competitor or a hoarder watch stock).
type ItemView struct {
	SKU          string      `json:"sku"`
	Name         string      `json:"name"`
	Description  string      `json:"description"`
	Price        money.Money `json:"price"`
	Availability string      `json:"availability"`
	Available    *int64      `json:"available,omitempty"`
	// LowStockThreshold is the item's own alert line (admins only): the admins' email alert goes out
	// when Available falls below it; the public's LOW is a fixed line (inventory.PublicLowStock).
	LowStockThreshold *int64 `json:"lowStockThreshold,omitempty"`
}

// itemView shows an item as the write side stored it; admin says whether the caller sees the count.
func itemView(it *inventory.Item, admin bool) ItemView {
	v := stockView(ItemView{SKU: string(it.SKU()), Name: it.Name(), Description: it.Description(), Price: it.Price()},
		int64(it.Available()), admin)
	if admin {
		th := int64(it.LowStockThreshold())
		v.LowStockThreshold = &th
	}
	return v
}

// catalogView shows an item of the catalog view; admin says whether the caller sees the count.
func catalogView(it query.CatalogItem, admin bool) ItemView {
	return stockView(ItemView{SKU: it.SKU, Name: it.Name, Description: it.Description, Price: it.Price}, it.Available, admin)
}

func stockView(v ItemView, available int64, admin bool) ItemView {
	v.Availability = string(inventory.AvailabilityOf(available))
	if admin {
		v.Available = &available
	}
	return v
}
