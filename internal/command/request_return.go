package command

import (
	"context"
	"fmt"
	"time"

	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/order"
)

// DefaultReturnWindow is how long after delivery returns are accepted unless configured (the
// template's ReturnWindowDays).
const DefaultReturnWindow = 30 * 24 * time.Hour

// RequestReturn asks to return some units of a delivered order, on behalf of its owner (or an admin).
type RequestReturn struct {
	OrderID order.ID
	Caller  customer.ID
	Admin   bool
	Lines   []order.ReturnLine
	Reason  string
	// Key is the client's Idempotency-Key, if any: the same request again answers the same return.
	Key   string
	Cause event.Cause
}

// RequestReturnHandler records return requests.
type RequestReturnHandler struct {
	orders OrderUpdater
	window time.Duration
	now    func() time.Time
}

// NewRequestReturnHandler builds the handler; window is how long after delivery returns are accepted
// (0: DefaultReturnWindow).
func NewRequestReturnHandler(orders OrderUpdater, window time.Duration) RequestReturnHandler {
	if window <= 0 {
		window = DefaultReturnWindow
	}
	return RequestReturnHandler{orders: orders, window: window, now: time.Now}
}

// Handle records the return (order.Order.RequestReturn) and returns it. Anyone but the owner or an
// admin gets order.ErrNotFound, as for an order that does not exist.
func (h RequestReturnHandler) Handle(ctx context.Context, cmd RequestReturn) (*order.Order, order.ProductReturn, error) {
	var made order.ProductReturn
	o, err := h.orders.Update(ctx, cmd.OrderID, cmd.Cause, func(o *order.Order) ([]event.Payload, error) {
		if !o.VisibleTo(cmd.Caller, cmd.Admin) {
			return nil, fmt.Errorf("%w: %s", order.ErrNotFound, cmd.OrderID)
		}
		actor := event.Actor{Sub: cmd.Caller.String(), Role: event.RoleCustomer}
		if o.CustomerID() != cmd.Caller {
			actor.Role = event.RoleAdmin
		}
		r, evs, err := o.RequestReturn(cmd.Key, cmd.Lines, cmd.Reason, h.window, h.now())
		made = r
		return event.Attribute(evs, actor), err
	})
	if err != nil {
		return nil, order.ProductReturn{}, err
	}
	return o, made, nil
}
