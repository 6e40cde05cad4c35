package order

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/validation"
)

var (
	// ErrReturnNotFound means the order has no return with the id.
	ErrReturnNotFound = errors.New("order: no such return")
	// ErrReturnKeyReused means a return was asked for under the same idempotency key with other lines.
	ErrReturnKeyReused = errors.New("order: the return's idempotency key was used for another return")
)

// ReturnStatus is where a return is: asked for, its units received back, its money refunded.
type ReturnStatus string

const (
	ReturnRequested ReturnStatus = "REQUESTED"
	ReturnReceived  ReturnStatus = "RECEIVED"
	ReturnRefunded  ReturnStatus = "REFUNDED"
)

// Return limits: the order item holds every return, so their number is bounded (DynamoDB's 400 KB item).
const (
	MaxReturns            = 20
	ReturnReasonMaxLength = 500
)

// ReturnLine is a quantity of one of the order's SKUs in a return.
type ReturnLine struct {
	SKU      inventory.SKU
	Quantity inventory.Quantity
}

// ProductReturn is a return of some units of a delivered order. Its units go back on sale and its
// money back to the customer only once the warehouse has received them: a return asked for is a
// promise, not stock (docs/adr/0018-fulfilment-and-returns.md).
type ProductReturn struct {
	ID          string // R1, R2, ... in the order
	Lines       []ReturnLine
	Amount      money.Money // what the returned units cost on the order
	Reason      string      // the customer's words, if any
	Status      ReturnStatus
	RequestedAt time.Time
	ReceivedAt  time.Time
	RefundedAt  time.Time
	RefundID    string // the provider's refund of Amount
	// Key is the client's Idempotency-Key of the request that asked for it, if any: the same request
	// again answers this return instead of asking for a second one.
	Key string
}

func cloneReturns(rs []ProductReturn) []ProductReturn {
	out := slices.Clone(rs)
	for i := range out {
		out[i].Lines = slices.Clone(out[i].Lines)
	}
	return out
}

// FindReturn returns the order's return with the id.
func (o *Order) FindReturn(id string) (ProductReturn, bool) {
	for _, r := range o.returns {
		if r.ID == id {
			r.Lines = slices.Clone(r.Lines)
			return r, true
		}
	}
	return ProductReturn{}, false
}

func (o *Order) returnIndex(id string) int {
	return slices.IndexFunc(o.returns, func(r ProductReturn) bool { return r.ID == id })
}

// ReturnableQuantity is how many units of sku can still be returned: those bought less those in any
// return already asked for.
func (o *Order) ReturnableQuantity(sku inventory.SKU) inventory.Quantity {
	var q inventory.Quantity
	for _, l := range o.lines {
		if l.SKU == sku {
			q += l.Quantity
		}
	}
	for _, r := range o.returns {
		for _, l := range r.Lines {
			if l.SKU == sku {
				q -= l.Quantity
			}
		}
	}
	return q
}

// RequestReturn asks to return some units of a DELIVERED order within window of its delivery, and
// returns the new return with OrderReturnRequested. Each line names a SKU of the order once, with at
// most the units not yet in another return; a bad line is a validation error naming lines[i]. Past
// the window it is ErrReturnWindowClosed. The status stays DELIVERED: nothing moves until the units
// are received (ReceiveReturn). key, when set, is the request's idempotency key: a return asked for
// under it before is answered again (no events) when the lines and reason are the same, and refused
// (ErrReturnKeyReused) when not. An order whose payment was never captured (confirmed before Orion
// captured) has no money to give back and takes no return (ErrInvalidTransition).
func (o *Order) RequestReturn(key string, lines []ReturnLine, reason string, window time.Duration, now time.Time) (ProductReturn, []event.Payload, error) {
	if err := o.require("return", Delivered); err != nil {
		return ProductReturn{}, nil, err
	}
	reason = strings.TrimSpace(reason)
	if key != "" {
		if i := slices.IndexFunc(o.returns, func(r ProductReturn) bool { return r.Key == key }); i >= 0 {
			r := o.returns[i]
			if !slices.Equal(r.Lines, lines) || r.Reason != reason {
				return ProductReturn{}, nil, fmt.Errorf("%w: %s", ErrReturnKeyReused, r.ID)
			}
			r.Lines = slices.Clone(r.Lines)
			return r, nil, nil
		}
	}
	if o.payment.CaptureID == "" {
		return ProductReturn{}, nil, fmt.Errorf("%w: order %s has no captured payment to refund a return from", ErrInvalidTransition, o.id)
	}
	now = now.UTC()
	if now.After(o.deliveredAt.Add(window)) {
		return ProductReturn{}, nil, fmt.Errorf("%w: order %s was delivered on %s; returns are accepted for %d days", ErrReturnWindowClosed,
			o.id, o.deliveredAt.Format(time.DateOnly), int(window.Hours()/24))
	}
	var c validation.Collector
	switch {
	case len(lines) == 0:
		c.Add("lines", "must have at least one line")
	case len(lines) > MaxLines:
		c.Add("lines", "must have at most %d lines", MaxLines)
	case len(o.returns) >= MaxReturns:
		c.Add("lines", "the order has had %d returns, the most it can take", MaxReturns)
	}
	switch {
	case utf8.RuneCountInString(reason) > ReturnReasonMaxLength || !utf8.ValidString(reason):
		c.Add("reason", "must be at most %d characters", ReturnReasonMaxLength)
	case validation.PlainText(reason) != "":
		c.Add("reason", "%s", validation.PlainText(reason))
	}
	seen := map[inventory.SKU]int{}
	amount := money.Zero(o.total.Currency())
	for i, l := range lines {
		path := validation.Index("lines", i)
		if j, dup := seen[l.SKU]; dup {
			c.Add(path+".sku", "duplicates lines[%d]; put the whole quantity on one line", j)
			continue
		}
		seen[l.SKU] = i
		li := slices.IndexFunc(o.lines, func(ol Line) bool { return ol.SKU == l.SKU })
		if li < 0 {
			c.Add(path+".sku", "is not on the order")
			continue
		}
		if left := o.ReturnableQuantity(l.SKU); l.Quantity < 1 || l.Quantity > left {
			c.Add(path+".quantity", "must be between 1 and %d (the units of %s not yet returned)", left, l.SKU)
			continue
		}
		cost, err := o.lines[li].UnitPrice.Mul(l.Quantity.Int64())
		if err == nil {
			amount, err = amount.Add(cost)
		}
		if err != nil { // cannot happen: the returned units cost at most the order total
			return ProductReturn{}, nil, fmt.Errorf("order: return amount of %s: %w", o.id, err)
		}
	}
	if err := c.Err(); err != nil {
		return ProductReturn{}, nil, err
	}
	r := ProductReturn{ID: fmt.Sprintf("R%d", len(o.returns)+1), Lines: slices.Clone(lines), Amount: amount, Reason: reason,
		Status: ReturnRequested, RequestedAt: now, Key: key}
	o.returns = append(o.returns, r)
	o.touch(now)
	return r, []event.Payload{event.OrderReturnRequested{OrderRef: o.ref(), ReturnID: r.ID, Lines: returnLines(r.Lines), Amount: amount,
		ReturnReason: reason}}, nil
}

// ReceiveReturn is the stock step of a return the warehouse received at at (zero: now; not in the
// future beyond ClockSkew, not before the delivery): its units go from sold back to available and the
// return from REQUESTED to RECEIVED, in one transaction, with OrderReturnReceived and
// InventoryReturned. It applies to a REQUESTED return only: received again it is a no-op, and a return
// the order does not have is not found (the caller checks with Order.FindReturn).
func ReceiveReturn(returnID string, at time.Time) *StockStep {
	requested := func(o *Order) int {
		i := o.returnIndex(returnID)
		if i < 0 || o.returns[i].Status != ReturnRequested || o.status != Delivered {
			return -1
		}
		return i
	}
	return &StockStep{name: "receive-return",
		applies: func(o *Order) bool { return requested(o) >= 0 },
		moveFor: func(o *Order, s *inventory.OrderStock) ([]event.Shortage, []event.Payload, error) {
			r := o.returns[requested(o)]
			lines := make([]inventory.Line, len(r.Lines))
			for i, l := range r.Lines {
				lines[i] = inventory.Line{SKU: l.SKU, Quantity: l.Quantity}
			}
			evs, err := s.ReturnUnits(lines)
			return nil, evs, err
		},
		step: func(o *Order, now time.Time) ([]event.Payload, error) {
			i := requested(o)
			if i < 0 {
				return nil, fmt.Errorf("%w: %s of order %s", ErrReturnNotFound, returnID, o.id)
			}
			now = now.UTC()
			received := at.UTC()
			switch {
			case at.IsZero():
				received = now
			case received.After(now.Add(ClockSkew)):
				return nil, validation.New("receivedAt", "must not be in the future")
			case received.Before(o.deliveredAt):
				return nil, validation.New("receivedAt", "must not be before the order was delivered (%s)", o.deliveredAt.Format(time.RFC3339))
			}
			o.returns[i].Status, o.returns[i].ReceivedAt = ReturnReceived, received
			o.touch(now)
			r := o.returns[i]
			stock := make([]event.StockLine, len(r.Lines))
			for j, l := range r.Lines {
				stock[j] = event.StockLine{SKU: string(l.SKU), Quantity: l.Quantity.Int64()}
			}
			return []event.Payload{
				event.OrderReturnReceived{OrderRef: o.ref(), ReturnID: r.ID, Lines: returnLines(r.Lines), Amount: r.Amount},
				event.InventoryReturned{OrderRef: o.ref(), Lines: stock, ReturnID: r.ID},
			}, nil
		},
	}
}

// ReturnRefundDue reports whether the return's money is due back: its units were received and it is
// not refunded yet. The order's captured payment is what a refund draws on.
func (o *Order) ReturnRefundDue(returnID string) bool {
	i := o.returnIndex(returnID)
	return i >= 0 && o.returns[i].Status == ReturnReceived && o.payment.CaptureID != ""
}

// RefundReturn records the provider's refund of a received return's amount: RECEIVED -> REFUNDED,
// PaymentRefunded with the return's id. The same refund again is a no-op.
func (o *Order) RefundReturn(returnID, refundID string, now time.Time) ([]event.Payload, error) {
	if refundID == "" {
		return nil, validation.New("refundId", "is required")
	}
	i := o.returnIndex(returnID)
	if i < 0 {
		return nil, fmt.Errorf("%w: %s of order %s", ErrReturnNotFound, returnID, o.id)
	}
	r := o.returns[i]
	switch {
	case r.Status == ReturnRefunded && r.RefundID == refundID:
		return nil, nil
	case !o.ReturnRefundDue(returnID):
		return nil, fmt.Errorf("%w: return %s of order %s is %s, not due a refund", ErrInvalidTransition, returnID, o.id, r.Status)
	}
	now = now.UTC()
	o.returns[i].Status, o.returns[i].RefundID, o.returns[i].RefundedAt = ReturnRefunded, refundID, now
	o.touch(now)
	return []event.Payload{event.PaymentRefunded{OrderRef: o.ref(), AuthorizationID: o.payment.AuthorizationID, RefundID: refundID,
		Amount: r.Amount, ReturnID: r.ID}}, nil
}

func returnLines(ls []ReturnLine) []event.ReturnLine {
	out := make([]event.ReturnLine, len(ls))
	for i, l := range ls {
		out[i] = event.ReturnLine{SKU: string(l.SKU), Quantity: l.Quantity.Int64()}
	}
	return out
}
