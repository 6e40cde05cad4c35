package fulfilment

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/validation"
)

// The command handlers the events go through: the same ones the admin routes call, so that a
// partner's report and an admin's are one code path.
type (
	Shipper interface {
		Handle(ctx context.Context, c command.ShipOrder) (*order.Order, error)
	}
	Deliverer interface {
		Handle(ctx context.Context, c command.DeliverOrder) (*order.Order, error)
	}
	ReturnReceiver interface {
		Handle(ctx context.Context, c command.ReceiveReturn) (*order.Order, error)
	}
	// OrderReader reads an order whose change was refused, to tell "not yet" from "never".
	OrderReader interface {
		Get(ctx context.Context, id order.ID) (*order.Order, error)
	}
)

// Commands applies events through the order commands.
type Commands struct {
	Ship    Shipper
	Deliver Deliverer
	Receive ReturnReceiver
	Orders  OrderReader
}

// Apply runs the event's command as the partner (actor sub = its source, role partner), caused by the
// partner's event id. ShipmentDispatched and ShipmentDelivered carry the event's dedupe key, recorded
// with the change in one transaction; a return is received once by its own id, so ReturnReceived needs
// none. The errors are sorted for the consumer: a *Rejection can never apply, anything else is retried.
func (c Commands) Apply(ctx context.Context, e Event) error {
	ref := e.Reference()
	actor := event.Actor{Sub: ref.Source, Role: event.RolePartner}
	// As for the payment provider's events (saga.ProviderEvents), the order id correlates: the partner
	// does not know the request that placed the order.
	cause := event.Cause{CorrelationID: string(ref.OrderID), CausationID: ref.EventID}
	var run func() error
	var needs order.Status
	switch e := e.(type) {
	case ShipmentDispatched:
		needs = order.Confirmed
		run = func() error {
			_, err := c.Ship.Handle(ctx, command.ShipOrder{OrderID: ref.OrderID, Actor: actor, Key: ref.Key(), Cause: cause,
				Shipment: order.Shipment{Carrier: e.Carrier, TrackingNumber: e.TrackingNumber, TrackingURL: e.TrackingURL, ShippedAt: e.DispatchedAt}})
			return err
		}
	case ShipmentDelivered:
		needs = order.Shipped
		run = func() error {
			_, err := c.Deliver.Handle(ctx, command.DeliverOrder{OrderID: ref.OrderID, DeliveredAt: e.DeliveredAt, Actor: actor, Key: ref.Key(), Cause: cause})
			return err
		}
	case ReturnReceived:
		needs = order.Delivered
		run = func() error {
			_, err := c.Receive.Handle(ctx, command.ReceiveReturn{OrderID: ref.OrderID, ReturnID: e.ReturnID, ReceivedAt: e.ReceivedAt, Actor: actor, Cause: cause})
			return err
		}
	default:
		return reject(ReasonUnknownType, "%T", e)
	}
	err := run()
	if !errors.Is(err, order.ErrInvalidTransition) {
		return sort(ref, err)
	}
	// Refused by the order's status. If the order may still get to the status the event needs (a
	// delivery reported before its dispatch, a dispatch before the payment's confirmation), the event
	// waits for it (retried); if it has ended, never. If it is there already, another event moved it
	// since this one read it (two batches at once: the dispatch applied while the delivery was refused),
	// and the event is tried once more now; refused again, it is refused for good (another shipment).
	o, gerr := c.Orders.Get(ctx, ref.OrderID)
	if gerr != nil {
		return fmt.Errorf("fulfilment: order %s refused the change (%v) and could not be read: %w", ref.OrderID, err, gerr)
	}
	switch {
	case before(o.Status(), needs):
		return fmt.Errorf("fulfilment: order %s is %s, not %s yet: %w", ref.OrderID, o.Status(), needs, err)
	case o.Status().IsTerminal():
		return reject(ReasonRefused, "order %s is %s: %v", ref.OrderID, o.Status(), err)
	}
	if err = run(); errors.Is(err, order.ErrInvalidTransition) {
		return reject(ReasonRefused, "order %s is %s: %v", ref.OrderID, o.Status(), err)
	}
	return sort(ref, err)
}

// sort tells the errors that can never clear (a *Rejection) from the ones that may; nil stays nil.
func sort(ref Ref, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, order.ErrNotFound):
		return reject(ReasonOrderNotFound, "order %s: %v", ref.OrderID, err)
	case errors.Is(err, order.ErrReturnNotFound), errors.Is(err, validation.ErrInvalid), errors.Is(err, order.ErrTerminal),
		errors.Is(err, order.ErrCancellationRequested), errors.Is(err, command.ErrNotFulfiller):
		return reject(ReasonRefused, "%v", err)
	}
	return err
}

// life is the order's way through its statuses when nothing goes wrong.
var life = []order.Status{order.Pending, order.Reserved, order.PaymentAuthorized, order.Confirmed, order.Shipped, order.Delivered}

// before says whether an order in status s may still reach status want.
func before(s, want order.Status) bool {
	i, j := slices.Index(life, s), slices.Index(life, want)
	return i >= 0 && j >= 0 && i < j
}
