package order_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/order"
)

// repo is a small fake of the order repository port that counts its reads.
type repo struct {
	mu          sync.Mutex
	orders      map[order.ID]*order.Order
	keys        map[string]order.Remembered
	rememberedN int
}

func (r *repo) Get(_ context.Context, id order.ID) (*order.Order, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if o, ok := r.orders[id]; ok {
		return o, nil
	}
	return nil, order.ErrNotFound
}

func (r *repo) Remembered(_ context.Context, c customer.ID, key string) (*order.Remembered, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rememberedN++
	if rem, ok := r.keys[string(c)+"#"+key]; ok {
		return &rem, nil
	}
	return nil, nil
}

func (r *repo) Place(_ context.Context, o *order.Order, rem order.Remembered, key string, _ []event.Payload, _ event.Cause) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, taken := r.keys[string(o.CustomerID())+"#"+key]; taken {
		return order.ErrKeyTaken
	}
	r.orders[o.ID()], r.keys[string(o.CustomerID())+"#"+key] = o, rem
	return nil
}

func (r *repo) Update(context.Context, order.ID, event.Cause, func(*order.Order) ([]event.Payload, error)) (*order.Order, error) {
	return nil, errors.New("not used")
}

type shelf map[inventory.SKU]*inventory.Item

func (s shelf) Catalog(_ context.Context, skus []inventory.SKU) (map[inventory.SKU]*inventory.Item, error) {
	out := map[inventory.SKU]*inventory.Item{}
	for _, k := range skus {
		if it, ok := s[k]; ok {
			out[k] = it
		}
	}
	return out, nil
}

func TestPlaceLooksUpTheKeyOnlyForRepeats(t *testing.T) {
	price, _ := money.New(1250, "USD")
	it, _, err := inventory.NewItem("MUG-1", inventory.Details{Name: "Mug", Price: price}, 10, 1)
	if err != nil {
		t.Fatal(err)
	}
	r := &repo{orders: map[order.ID]*order.Order{}, keys: map[string]order.Remembered{}}
	cat := shelf{"MUG-1": it}
	svc := order.NewService(r, cat)
	cmd := func(hash string, qty int64) order.PlaceCommand {
		return order.PlaceCommand{Customer: "cust-1", Key: "k-1", RequestHash: hash, PaymentToken: "tok_visa",
			Items:  []order.ItemRequest{{SKU: "MUG-1", Quantity: qty}},
			Render: func(o *order.Order) ([]byte, error) { return []byte(o.ID()), nil }}
	}
	ctx := context.Background()
	first, replayed, err := svc.Place(ctx, event.Cause{CorrelationID: "c"}, cmd("h1", 2))
	if err != nil || replayed || r.rememberedN != 0 || len(r.orders) != 1 {
		t.Fatalf("first: %s %v %v; key reads %d, orders %d; want no key read", first, replayed, err, r.rememberedN, len(r.orders))
	}
	tests := []struct {
		name     string
		cmd      order.PlaceCommand
		before   func()
		replayed bool
		err      error
	}{
		{name: "the same request", cmd: cmd("h1", 2), replayed: true},
		{name: "another request under the key", cmd: cmd("h2", 3), err: order.ErrKeyMismatch},
		{name: "the same request after its item left the catalog", cmd: cmd("h1", 2), before: func() { delete(cat, "MUG-1") }, replayed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.before != nil {
				tt.before()
			}
			body, replayed, err := svc.Place(ctx, event.Cause{CorrelationID: "c"}, tt.cmd)
			if !errors.Is(err, tt.err) || replayed != tt.replayed || (tt.replayed && string(body) != string(first)) {
				t.Fatalf("got %s %v %v; want replayed %v err %v", body, replayed, err, tt.replayed, tt.err)
			}
			if len(r.orders) != 1 {
				t.Fatalf("%d orders; a repeat must create none", len(r.orders))
			}
		})
	}
}
