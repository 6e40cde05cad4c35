package order

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/validation"
)

// Errors of the use cases.
var (
	// ErrKeyMismatch means an Idempotency-Key was reused with a different request body (422).
	ErrKeyMismatch = errors.New("order: idempotency key was used for a different request")
	// ErrKeyTaken is what a repository returns when another request stored the same key first.
	ErrKeyTaken = errors.New("order: idempotency key taken concurrently")
)

// UnknownItemsError names the lines whose SKU is not in the catalog (422: the request is well formed
// but cannot be priced).
type UnknownItemsError struct{ Problems validation.Errors }

func (e *UnknownItemsError) Error() string { return "order: unknown items: " + e.Problems.Error() }

// Remembered is a request stored under an Idempotency-Key.
type Remembered struct {
	RequestHash string
	OrderID     ID
	Response    []byte
}

// Catalog prices lines: it returns the current items of the SKUs asked for.
type Catalog interface {
	Catalog(ctx context.Context, skus []inventory.SKU) (map[inventory.SKU]*inventory.Item, error)
}

// Repository stores orders with their events, and the requests that created them.
type Repository interface {
	Get(ctx context.Context, id ID) (*Order, error)
	Remembered(ctx context.Context, c customer.ID, key string) (*Remembered, error)
	// Place stores the order, the remembered request and the events atomically; ErrKeyTaken if the
	// key was stored meanwhile.
	Place(ctx context.Context, o *Order, rem Remembered, key string, evs []event.Payload, cause event.Cause) error
	Update(ctx context.Context, id ID, cause event.Cause, fn func(*Order) ([]event.Payload, error)) (*Order, error)
}

// Service holds the order use cases of the API.
type Service struct {
	repo    Repository
	catalog Catalog
	now     func() time.Time
}

// NewService builds the service.
func NewService(r Repository, c Catalog) *Service {
	return &Service{repo: r, catalog: c, now: time.Now}
}

// ItemRequest is one line as the client asks for it: a SKU and a quantity, never a price.
type ItemRequest struct {
	SKU      inventory.SKU
	Quantity int64
}

// PlaceCommand places an order under an Idempotency-Key.
type PlaceCommand struct {
	Customer     customer.ID
	Key          string
	RequestHash  string
	Items        []ItemRequest
	PaymentToken string
	Shipping     *Address
	// Render produces the response remembered for replays of this key.
	Render func(*Order) ([]byte, error)
}

// Place prices the lines from the catalog and stores a PENDING order with its OrderPlaced event. The
// same key with the same request returns the first response again (replayed) and creates nothing; with
// another request it is ErrKeyMismatch.
//
// A first request, the common case, costs one catalog read and one transaction: the key is not looked
// up first, the transaction's condition on it finds a repeat (ErrKeyTaken), and only then is the
// remembered request read.
func (s *Service) Place(ctx context.Context, cause event.Cause, cmd PlaceCommand) (response []byte, replayed bool, err error) {
	o, evs, err := s.newOrder(ctx, cmd)
	if err != nil {
		// A repeat of a request that succeeded before the catalog changed is still answered as the first.
		if rem, rerr := s.repo.Remembered(ctx, cmd.Customer, cmd.Key); rerr == nil && rem != nil {
			return s.replay(rem, cmd, nil)
		}
		return nil, false, err
	}
	body, err := cmd.Render(o)
	if err != nil {
		return nil, false, err
	}
	err = s.repo.Place(ctx, o, Remembered{RequestHash: cmd.RequestHash, OrderID: o.ID(), Response: body}, cmd.Key, evs, cause)
	if errors.Is(err, ErrKeyTaken) {
		rem, err := s.repo.Remembered(ctx, cmd.Customer, cmd.Key)
		if err == nil && rem == nil {
			err = fmt.Errorf("order: idempotency key %q vanished", cmd.Key)
		}
		return s.replay(rem, cmd, err)
	}
	if err != nil {
		return nil, false, err
	}
	return body, false, nil
}

// newOrder prices the requested lines from the catalog and makes the PENDING order.
func (s *Service) newOrder(ctx context.Context, cmd PlaceCommand) (*Order, []event.Payload, error) {
	skus := make([]inventory.SKU, len(cmd.Items))
	for i, it := range cmd.Items {
		skus[i] = it.SKU
	}
	items, err := s.catalog.Catalog(ctx, skus)
	if err != nil {
		return nil, nil, err
	}
	var unknown validation.Collector
	lines := make([]Line, 0, len(cmd.Items))
	var shape validation.Collector
	for i, req := range cmd.Items {
		it, ok := items[req.SKU]
		if !ok {
			unknown.Add(validation.Index("items", i)+".sku", "%s is not in the catalog", req.SKU)
			continue
		}
		l, err := NewLine(req.SKU, it.Name(), req.Quantity, it.Price())
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
	now := s.now()
	id, err := NewID(now, nil)
	if err != nil {
		return nil, nil, err
	}
	return New(id, cmd.Customer, lines, cmd.PaymentToken, cmd.Shipping, now)
}

func (s *Service) replay(rem *Remembered, cmd PlaceCommand, err error) ([]byte, bool, error) {
	if err != nil {
		return nil, false, err
	}
	if rem.RequestHash != cmd.RequestHash {
		return nil, false, ErrKeyMismatch
	}
	return rem.Response, true, nil
}

// Get returns an order to its owner or an admin; anyone else gets ErrNotFound, exactly as for an order
// that does not exist, so ids cannot be probed.
func (s *Service) Get(ctx context.Context, caller customer.ID, admin bool, id ID) (*Order, error) {
	o, err := s.repo.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if o.CustomerID() != caller && !admin {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return o, nil
}

// Cancel asks to cancel an order (see Order.RequestCancellation); the owner or an admin may.
func (s *Service) Cancel(ctx context.Context, cause event.Cause, caller customer.ID, admin bool, id ID) (*Order, error) {
	return s.repo.Update(ctx, id, cause, func(o *Order) ([]event.Payload, error) {
		if o.CustomerID() != caller && !admin {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
		}
		by := ByCustomer
		if o.CustomerID() != caller {
			by = ByAdmin
		}
		return o.RequestCancellation(by, s.now())
	})
}
