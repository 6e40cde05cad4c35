package order

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/validation"
)

// Domain errors; the HTTP layer maps them to status codes in one place.
var (
	// ErrNotFound means no order has the id (or the caller may not see it).
	ErrNotFound = errors.New("order: no such order")
	// ErrInvalidTransition is wrapped by *TransitionError.
	ErrInvalidTransition = errors.New("order: invalid status transition")
	// ErrTerminal means the order is REJECTED, CANCELLED or FAILED and can no longer change.
	ErrTerminal = errors.New("order: order is final")
	// ErrCancellationRequested means a cancellation is pending, so the order must not be confirmed.
	ErrCancellationRequested = errors.New("order: cancellation requested")
	// ErrCompensationPending means held stock or payment must be given back before the order can end.
	ErrCompensationPending = errors.New("order: compensation not complete")
	// ErrShipped means the order has left the warehouse: it can no longer be cancelled, only returned
	// once delivered (RequestReturn).
	ErrShipped = errors.New("order: order has shipped; request a return once it is delivered")
	// ErrReturnWindowClosed means the order was delivered longer ago than returns are accepted.
	ErrReturnWindowClosed = errors.New("order: the return window has closed")
)

// TransitionError names the refused move; errors.Is(err, ErrInvalidTransition) holds.
type TransitionError struct {
	From   Status
	Action string
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("order: cannot %s an order in status %s", e.Action, e.From)
}

func (e *TransitionError) Unwrap() error { return ErrInvalidTransition }

// Cancellation is a pending or completed request to cancel.
type Cancellation struct {
	By Requester
	At time.Time
}

// Order is the aggregate. Fields are unexported so that every change goes through a method that checks
// the status machine and returns the events the change causes.
type Order struct {
	id            ID
	customerID    customer.ID
	lines         []Line
	total         money.Money
	paymentToken  string
	shipping      *Address
	status        Status
	reason        Reason
	version       int64
	createdAt     time.Time
	updatedAt     time.Time
	history       []HistoryEntry
	payment       Payment
	cancellation  *Cancellation
	stockReleased bool
	stockReturned bool
	counted       bool // counts against its customer's limits (Hold)
	shipment      *Shipment
	deliveredAt   time.Time
	returns       []ProductReturn
}

// PaymentTokenMaxLength bounds the opaque token a payment provider issued to the client.
const PaymentTokenMaxLength = 256

// New places an order (PENDING) and returns OrderPlaced. Lines must come priced from the catalog; a
// SKU may appear once.
func New(id ID, customerID customer.ID, lines []Line, paymentToken string, shipping *Address, now time.Time) (*Order, []event.Payload, error) {
	var c validation.Collector
	if _, err := ParseID(string(id)); err != nil {
		c.Merge("", err)
	}
	if _, err := customer.ParseID(string(customerID)); err != nil {
		c.Merge("", err)
	}
	switch {
	case len(lines) == 0:
		c.Add("items", "must have at least one line")
	case len(lines) > MaxLines:
		c.Add("items", "must have at most %d lines", MaxLines)
	}
	if tok := strings.TrimSpace(paymentToken); tok == "" || len(paymentToken) > PaymentTokenMaxLength {
		c.Add("paymentToken", "is required (at most %d characters)", PaymentTokenMaxLength)
	}
	if shipping != nil {
		trimmed := shipping.Trimmed()
		shipping = &trimmed
		c.Merge("shippingAddress", shipping.Validate())
	}
	var total money.Money
	seen := map[string]int{}
	for i, l := range lines {
		path := validation.Index("items", i)
		if j, dup := seen[string(l.SKU)]; dup {
			c.Add(path+".sku", "duplicates items[%d]; put the whole quantity on one line", j)
			continue
		}
		seen[string(l.SKU)] = i
		checked, err := NewLine(l.SKU, l.Name, l.Quantity.Int64(), l.UnitPrice)
		if err != nil {
			c.Merge(path, err)
			continue
		}
		if checked.LineTotal != l.LineTotal {
			c.Add(path+".lineTotal", "does not equal unitPrice × quantity")
			continue
		}
		if total.IsZero() {
			total = money.Zero(l.UnitPrice.Currency())
		}
		sum, err := total.Add(l.LineTotal)
		if err != nil {
			if errors.Is(err, money.ErrCurrencyMismatch) {
				c.Add(path+".unitPrice.currency", "all lines must share one currency")
			} else {
				c.Add("items", "order total is too large")
			}
			continue
		}
		total = sum
	}
	if err := c.Err(); err != nil {
		return nil, nil, err
	}
	now = now.UTC()
	o := &Order{id: id, customerID: customerID, lines: slices.Clone(lines), total: total, paymentToken: paymentToken,
		shipping: shipping, status: Pending, version: 1, createdAt: now, updatedAt: now,
		history: []HistoryEntry{{Status: Pending, At: now}}, counted: true}
	return o, []event.Payload{event.OrderPlaced{OrderRef: o.ref(), Lines: o.eventLines(), Total: o.total, CreatedAt: now}}, nil
}

// Each transition method is a no-op (no events, no error) when the order is already where that same step
// took it, because Step Functions retries and duplicate deliveries repeat steps.

// MarkReserved records that stock for every line is held: PENDING -> RESERVED.
func (o *Order) MarkReserved(now time.Time) ([]event.Payload, error) {
	if o.status == Reserved {
		return nil, nil
	}
	if err := o.require("mark reserved", Pending); err != nil {
		return nil, err
	}
	o.move(Reserved, "", now)
	return []event.Payload{event.InventoryReserved{OrderRef: o.ref(), Lines: o.stockLines()}}, nil
}

// RejectOutOfStock ends an order whose stock could not be reserved: PENDING -> REJECTED/OUT_OF_STOCK.
// Nothing was reserved, so nothing needs compensating.
func (o *Order) RejectOutOfStock(shortages []event.Shortage, now time.Time) ([]event.Payload, error) {
	if o.status == Rejected && o.reason == OutOfStock {
		return nil, nil
	}
	if err := o.require("reject for stock", Pending); err != nil {
		return nil, err
	}
	o.move(Rejected, OutOfStock, now)
	return []event.Payload{
		event.InventoryReservationFailed{OrderRef: o.ref(), Shortages: slices.Clone(shortages)},
		event.OrderRejected{OrderRef: o.ref(), Lines: o.eventLines(), Total: o.total},
	}, nil
}

// AuthorizePayment records the provider's authorization: RESERVED -> PAYMENT_AUTHORIZED.
func (o *Order) AuthorizePayment(authorizationID string, now time.Time) ([]event.Payload, error) {
	if authorizationID == "" {
		return nil, validation.New("authorizationId", "is required")
	}
	if o.status == PaymentAuthorized && o.payment.AuthorizationID == authorizationID {
		return nil, nil
	}
	if err := o.require("authorize payment for", Reserved); err != nil {
		return nil, err
	}
	o.payment.AuthorizationID = authorizationID
	o.move(PaymentAuthorized, "", now)
	return []event.Payload{event.PaymentAuthorized{OrderRef: o.ref(), AuthorizationID: authorizationID, Amount: o.total}}, nil
}

// DeclinePayment ends an order the provider declined: RESERVED (declined at authorization or after
// the customer's action) or PAYMENT_AUTHORIZED with a declined capture (DeclineCapture) ->
// REJECTED/PAYMENT_DECLINED. code is the decline the saga caught; empty means the one recorded. The
// saga gives the stock and any hold back first (MarkStockReleased, VoidPayment): the order cannot end
// while it holds either.
func (o *Order) DeclinePayment(code string, now time.Time) ([]event.Payload, error) {
	if o.status == Rejected && o.reason == PaymentDeclined {
		return nil, nil
	}
	if err := o.require("decline payment for", Reserved, PaymentAuthorized); err != nil {
		return nil, err
	}
	// An authorized order is declined after a declined capture, or when the customer's action succeeded
	// just after the wait for it expired: compensation then voided the hold the late success recorded.
	if o.status == PaymentAuthorized && o.payment.DeclineCode == "" && !o.payment.Voided {
		return nil, &TransitionError{From: o.status, Action: "decline an authorized payment without a declined capture for"}
	}
	if !o.stockReleased {
		return nil, fmt.Errorf("%w: release the reserved stock before rejecting", ErrCompensationPending)
	}
	if r := o.PaymentReturn(); r != ReturnNone {
		return nil, fmt.Errorf("%w: payment return %s due before rejecting", ErrCompensationPending, r)
	}
	if code == "" {
		code = o.payment.DeclineCode
	}
	o.move(Rejected, PaymentDeclined, now)
	return []event.Payload{
		event.PaymentDeclined{OrderRef: o.ref(), Code: code, Amount: o.total},
		event.OrderRejected{OrderRef: o.ref(), Lines: o.eventLines(), Total: o.total},
	}, nil
}

// Confirm completes a paid order: PAYMENT_AUTHORIZED and captured -> CONFIRMED, unless a
// cancellation is pending. An order is never confirmed on money that was only held.
func (o *Order) Confirm(now time.Time) ([]event.Payload, error) {
	if o.status == Confirmed {
		return nil, nil
	}
	if err := o.require("confirm", PaymentAuthorized); err != nil {
		return nil, err
	}
	if o.cancellation != nil {
		return nil, ErrCancellationRequested
	}
	// Compensation already began (a step failed and the saga gave stock or money back): confirming now
	// would sell stock that is no longer held.
	if p := o.payment; o.stockReleased || p.RefundID != "" || p.Voided || p.DeclineCode != "" {
		return nil, fmt.Errorf("%w: compensation has begun", ErrInvalidTransition)
	}
	if o.payment.CaptureID == "" {
		return nil, fmt.Errorf("%w: the payment of order %s is not captured", ErrInvalidTransition, o.id)
	}
	o.move(Confirmed, "", now)
	return []event.Payload{
		event.InventoryCommitted{OrderRef: o.ref(), Lines: o.stockLines()},
		event.OrderConfirmed{OrderRef: o.ref(), Lines: o.eventLines(), Total: o.total},
	}, nil
}

// RequestCancellation asks to cancel. A PENDING order holds nothing yet and is cancelled at once (the
// saga's reservation is conditional on PENDING, so it cannot slip in). An order holding stock or payment
// records the request and the compensation run finishes it. A repeated request is a no-op; a final
// order answers ErrTerminal, a shipped one ErrShipped (for customers and admins alike: its units are
// with the carrier, so only a return can bring them back).
func (o *Order) RequestCancellation(by Requester, now time.Time) ([]event.Payload, error) {
	if by != ByCustomer && by != ByAdmin {
		return nil, validation.New("requestedBy", "must be CUSTOMER or ADMIN")
	}
	if o.status.IsTerminal() {
		return nil, fmt.Errorf("%w: %s", ErrTerminal, o.status)
	}
	if o.status == Shipped || o.status == Delivered {
		return nil, fmt.Errorf("%w: %s", ErrShipped, o.status)
	}
	if o.cancellation != nil {
		return nil, nil
	}
	now = now.UTC()
	o.cancellation = &Cancellation{By: by, At: now}
	if o.status == Pending {
		o.move(Cancelled, by.reason(), now)
		return []event.Payload{event.OrderCancelled{OrderRef: o.ref(), RequestedBy: string(by), Lines: o.eventLines(), Total: o.total}}, nil
	}
	o.touch(now)
	return []event.Payload{event.OrderCancellationRequested{OrderRef: o.ref(), RequestedBy: string(by)}}, nil
}

// MarkStockReleased records that the saga gave reserved stock back (before confirmation). Once only.
func (o *Order) MarkStockReleased(now time.Time) ([]event.Payload, error) {
	if o.stockReleased {
		return nil, nil
	}
	if err := o.require("release stock of", Reserved, PaymentAuthorized); err != nil {
		return nil, err
	}
	o.stockReleased = true
	o.touch(now)
	return []event.Payload{event.InventoryReleased{OrderRef: o.ref(), Lines: o.stockLines()}}, nil
}

// MarkStockReturned records that a cancelled confirmed order's sold stock went back. Once only.
func (o *Order) MarkStockReturned(now time.Time) ([]event.Payload, error) {
	if o.stockReturned {
		return nil, nil
	}
	if err := o.require("return stock of", Confirmed); err != nil {
		return nil, err
	}
	if o.cancellation == nil {
		return nil, fmt.Errorf("%w: no cancellation was requested", ErrInvalidTransition)
	}
	o.stockReturned = true
	o.touch(now)
	return []event.Payload{event.InventoryReturned{OrderRef: o.ref(), Lines: o.stockLines()}}, nil
}

// RefundPayment records the provider's refund of the captured payment (PaymentReturn is
// ReturnRefund) and returns PaymentRefunded. Once only.
func (o *Order) RefundPayment(refundID string, now time.Time) ([]event.Payload, error) {
	if o.payment.RefundID != "" {
		return nil, nil
	}
	if refundID == "" {
		return nil, validation.New("refundId", "is required")
	}
	if r := o.PaymentReturn(); r != ReturnRefund {
		if err := o.require("refund", PaymentAuthorized, Confirmed); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: order %s's payment return is %s, not a refund", ErrInvalidTransition, o.id, r)
	}
	o.payment.RefundID = refundID
	o.touch(now)
	return []event.Payload{event.PaymentRefunded{OrderRef: o.ref(), AuthorizationID: o.payment.AuthorizationID, RefundID: refundID, Amount: o.total}}, nil
}

// CompleteCancellation ends a cancelled order after compensation: -> CANCELLED.
func (o *Order) CompleteCancellation(now time.Time) ([]event.Payload, error) {
	if o.status == Cancelled {
		return nil, nil
	}
	if err := o.require("complete cancellation of", Reserved, PaymentAuthorized, Confirmed); err != nil {
		return nil, err
	}
	if o.cancellation == nil {
		return nil, fmt.Errorf("%w: no cancellation was requested", ErrInvalidTransition)
	}
	if err := o.compensated(); err != nil {
		return nil, err
	}
	o.move(Cancelled, o.cancellation.By.reason(), now)
	return []event.Payload{event.OrderCancelled{OrderRef: o.ref(), RequestedBy: string(o.cancellation.By), Lines: o.eventLines(), Total: o.total}}, nil
}

// Fail ends an order a step could not complete for technical reasons, after compensation: -> FAILED.
func (o *Order) Fail(reason Reason, now time.Time) ([]event.Payload, error) {
	if !slices.Contains(FailureReasons, reason) {
		return nil, validation.New("reason", "must be one of PAYMENT_UNAVAILABLE, STEP_FAILED, SAGA_FAILED")
	}
	if o.status == Failed {
		return nil, nil
	}
	if err := o.require("fail", Pending, Reserved, PaymentAuthorized); err != nil {
		return nil, err
	}
	if err := o.compensated(); err != nil {
		return nil, err
	}
	o.move(Failed, reason, now)
	return []event.Payload{event.OrderFailed{OrderRef: o.ref(), Lines: o.eventLines(), Total: o.total}}, nil
}

// compensated checks that nothing is still held: stock reserved or sold, payment held or captured.
func (o *Order) compensated() error {
	switch {
	case (o.status == Reserved || o.status == PaymentAuthorized) && !o.stockReleased:
		return fmt.Errorf("%w: reserved stock not released", ErrCompensationPending)
	case o.status == Confirmed && !o.stockReturned:
		return fmt.Errorf("%w: sold stock not returned", ErrCompensationPending)
	case o.PaymentReturn() != ReturnNone:
		return fmt.Errorf("%w: payment not given back (%s due)", ErrCompensationPending, o.PaymentReturn())
	}
	return nil
}

func (o *Order) require(action string, allowed ...Status) error {
	if slices.Contains(allowed, o.status) {
		return nil
	}
	if o.status.IsTerminal() {
		return fmt.Errorf("%w: %w", ErrTerminal, &TransitionError{From: o.status, Action: action})
	}
	return &TransitionError{From: o.status, Action: action}
}

func (o *Order) move(to Status, reason Reason, now time.Time) {
	now = now.UTC()
	o.status, o.reason = to, reason
	o.history = append(o.history, HistoryEntry{Status: to, Reason: reason, At: now})
	o.touch(now)
}

func (o *Order) touch(now time.Time) {
	o.version++
	o.updatedAt = now.UTC()
}

func (o *Order) ref() event.OrderRef {
	return event.OrderRef{OrderID: string(o.id), CustomerID: string(o.customerID), Status: string(o.status),
		Reason: string(o.reason), OrderVersion: o.version}
}

func (o *Order) eventLines() []event.Line {
	out := make([]event.Line, len(o.lines))
	for i, l := range o.lines {
		out[i] = event.Line{SKU: string(l.SKU), Name: l.Name, Quantity: l.Quantity.Int64(), UnitPrice: l.UnitPrice, LineTotal: l.LineTotal}
	}
	return out
}

func (o *Order) stockLines() []event.StockLine {
	out := make([]event.StockLine, len(o.lines))
	for i, l := range o.lines {
		out[i] = event.StockLine{SKU: string(l.SKU), Quantity: l.Quantity.Int64()}
	}
	return out
}

// VisibleTo reports whether caller may see and act on the order: its owner, or an admin. To anyone
// else the order does not exist (ErrNotFound), so order ids cannot be probed.
func (o *Order) VisibleTo(caller customer.ID, admin bool) bool {
	return admin || o.customerID == caller
}
