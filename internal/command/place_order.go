package command

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/validation"
)

// ErrKeyMismatch means an Idempotency-Key was reused with a different request body (422).
var ErrKeyMismatch = errors.New("command: idempotency key was used for a different request")

// UnknownItemsError names the lines whose SKU is not in the catalog (422: the request is well formed
// but cannot be priced).
type UnknownItemsError struct{ Problems validation.Errors }

func (e *UnknownItemsError) Error() string { return "command: unknown items: " + e.Problems.Error() }

// Catalog prices lines: it returns the current items of the SKUs asked for; missing SKUs are absent.
type Catalog interface {
	Catalog(ctx context.Context, skus []inventory.SKU) (map[inventory.SKU]*inventory.Item, error)
}

// NewOrders stores new orders with their events, and the requests that created them.
type NewOrders interface {
	// Place stores the order, the remembered request and the events atomically; ErrKeyTaken if
	// the key was stored meanwhile.
	Place(ctx context.Context, o *order.Order, rem Remembered, key string, evs []event.Payload, cause event.Cause) error
	// Remembered returns the request stored under a customer's key, nil if there is none.
	Remembered(ctx context.Context, c customer.ID, key string) (*Remembered, error)
}

// OrderLine is one line as the client asks for it: a SKU and a quantity, never a price.
type OrderLine struct {
	SKU      inventory.SKU
	Quantity int64
}

// PlaceOrder places an order under an Idempotency-Key.
type PlaceOrder struct {
	Customer     customer.ID
	Key          string
	RequestHash  string
	Items        []OrderLine
	PaymentToken string
	Shipping     *order.Address
	Cause        event.Cause
	// Render produces the response remembered for replays of this key.
	Render func(*order.Order) ([]byte, error)
}

// PlaceOrderHandler places orders.
type PlaceOrderHandler struct {
	orders  NewOrders
	catalog Catalog
	now     func() time.Time
}

// NewPlaceOrderHandler builds the handler.
func NewPlaceOrderHandler(orders NewOrders, catalog Catalog) PlaceOrderHandler {
	return PlaceOrderHandler{orders: orders, catalog: catalog, now: time.Now}
}

// Handle prices the lines from the catalog and stores a PENDING order with its OrderPlaced event. The
// same key with the same request returns the first response again (replayed) and creates nothing; with
// another request it is ErrKeyMismatch.
//
// A first request, the common case, costs one catalog read and one transaction: the key is not looked
// up first, the transaction's condition on it finds a repeat (ErrKeyTaken), and only then is the
// remembered request read.
func (h PlaceOrderHandler) Handle(ctx context.Context, cmd PlaceOrder) (response []byte, replayed bool, err error) {
	o, evs, err := h.newOrder(ctx, cmd)
	if err != nil {
		// A repeat of a request that succeeded before the catalog changed is still answered as the first.
		if rem, rerr := h.orders.Remembered(ctx, cmd.Customer, cmd.Key); rerr == nil && rem != nil {
			return replay(rem, cmd, nil)
		}
		return nil, false, err
	}
	body, err := cmd.Render(o)
	if err != nil {
		return nil, false, err
	}
	err = h.orders.Place(ctx, o, Remembered{RequestHash: cmd.RequestHash, OrderID: o.ID(), Response: body}, cmd.Key, evs, cmd.Cause)
	if errors.Is(err, ErrKeyTaken) {
		rem, err := h.orders.Remembered(ctx, cmd.Customer, cmd.Key)
		if err == nil && rem == nil {
			err = fmt.Errorf("command: idempotency key %q vanished", cmd.Key)
		}
		return replay(rem, cmd, err)
	}
	if err != nil {
		return nil, false, err
	}
	return body, false, nil
}

// newOrder prices the requested lines from the catalog and makes the PENDING order.
func (h PlaceOrderHandler) newOrder(ctx context.Context, cmd PlaceOrder) (*order.Order, []event.Payload, error) {
	skus := make([]inventory.SKU, len(cmd.Items))
	for i, it := range cmd.Items {
		skus[i] = it.SKU
	}
	items, err := h.catalog.Catalog(ctx, skus)
	if err != nil {
		return nil, nil, err
	}
	var unknown, shape validation.Collector
	lines := make([]order.Line, 0, len(cmd.Items))
	for i, req := range cmd.Items {
		it, ok := items[req.SKU]
		if !ok {
			unknown.Add(validation.Index("items", i)+".sku", "%s is not in the catalog", req.SKU)
			continue
		}
		l, err := order.NewLine(req.SKU, it.Name(), req.Quantity, it.Price())
		if err != nil {
			shape.Merge(validation.Index("items", i), err)
			continue
		}
		lines = append(lines, l)
	}
	if err := shape.Err(); err != nil {
		return nil, nil, err
	}
	if err := unknown.Err(); err != nil {
		return nil, nil, &UnknownItemsError{Problems: err.(validation.Errors)}
	}
	now := h.now()
	id, err := order.NewID(now, nil)
	if err != nil {
		return nil, nil, err
	}
	return order.New(id, cmd.Customer, lines, cmd.PaymentToken, cmd.Shipping, now)
}

func replay(rem *Remembered, cmd PlaceOrder, err error) ([]byte, bool, error) {
	if err != nil {
		return nil, false, err
	}
	if rem.RequestHash != cmd.RequestHash {
		return nil, false, ErrKeyMismatch
	}
	return rem.Response, true, nil
}
