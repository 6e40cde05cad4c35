package command_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/order"
)

// Small fakes of the package's ports; the DynamoDB adapter has integration tests of its own.

// orders fakes NewOrders and OrderUpdater; it counts the reads of remembered requests.
type orders struct {
	mu          sync.Mutex
	byID        map[order.ID]order.Snapshot
	keys        map[string]command.Remembered
	events      []event.Payload
	rememberedN int
	// race, when set, is stored under the key of the next Place instead of its request, as if another
	// request with the same key had won the transaction.
	race *command.Remembered
	// stock is the stock UpdateOrderStock last moved.
	stock *inventory.OrderStock
}

func newOrders() *orders {
	return &orders{byID: map[order.ID]order.Snapshot{}, keys: map[string]command.Remembered{}}
}

func (f *orders) Remembered(_ context.Context, c customer.ID, key string) (*command.Remembered, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rememberedN++
	if rem, ok := f.keys[string(c)+"#"+key]; ok {
		return &rem, nil
	}
	return nil, nil
}

func (f *orders) Place(_ context.Context, o *order.Order, rem command.Remembered, key string, evs []event.Payload, _ event.Cause) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := string(o.CustomerID()) + "#" + key
	if f.race != nil {
		f.keys[k], f.race = *f.race, nil
	}
	if _, taken := f.keys[k]; taken {
		return command.ErrKeyTaken // the repository's contract: the key's condition fails the whole write
	}
	f.byID[o.ID()], f.keys[k] = o.Snapshot(), rem
	f.events = append(f.events, evs...)
	return nil
}

func (f *orders) Update(_ context.Context, id order.ID, _ event.Cause, fn func(*order.Order) ([]event.Payload, error)) (*order.Order, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.byID[id]
	if !ok {
		return nil, fmt.Errorf("%w: %s", order.ErrNotFound, id)
	}
	o, err := order.FromSnapshot(s)
	if err != nil {
		return nil, err
	}
	evs, err := fn(o)
	if err != nil {
		return nil, err
	}
	f.byID[id] = o.Snapshot()
	f.events = append(f.events, evs...)
	return o, nil
}

// add stores an order of c in status st.
func (f *orders) add(t *testing.T, c customer.ID, st order.Status) order.ID {
	t.Helper()
	now := time.Now()
	id, err := order.NewID(now, nil)
	if err != nil {
		t.Fatal(err)
	}
	l, err := order.NewLine("MUG-1", "Mug", 1, usd(t, 1250))
	if err != nil {
		t.Fatal(err)
	}
	o, _, err := order.New(id, c, []order.Line{l}, "tok_visa", nil, now)
	if err != nil {
		t.Fatal(err)
	}
	s := o.Snapshot()
	s.Status = st
	f.mu.Lock()
	f.byID[id] = s
	f.mu.Unlock()
	return id
}

// shelf fakes Catalog.
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

// items fakes Items.
type items struct {
	m      map[inventory.SKU]inventory.Snapshot
	events []event.Payload
	// raceOnce makes the first Create fail as if another request created the item first.
	raceOnce bool
}

func newItems() *items { return &items{m: map[inventory.SKU]inventory.Snapshot{}} }

func (f *items) Create(_ context.Context, it *inventory.Item, evs []event.Payload, _ event.Cause) error {
	if f.raceOnce {
		f.raceOnce = false
		other, _, _ := inventory.NewItem(it.SKU(), inventory.Details{Name: "Other", Price: it.Price()}, 1, 0)
		f.m[it.SKU()] = other.Snapshot()
		return inventory.ErrExists
	}
	if _, ok := f.m[it.SKU()]; ok {
		return inventory.ErrExists
	}
	f.m[it.SKU()] = it.Snapshot()
	f.events = append(f.events, evs...)
	return nil
}

func (f *items) Update(_ context.Context, sku inventory.SKU, _ event.Cause, fn func(*inventory.Item) ([]event.Payload, error)) (*inventory.Item, error) {
	s, ok := f.m[sku]
	if !ok {
		return nil, fmt.Errorf("%w: %s", inventory.ErrNotFound, sku)
	}
	it, err := inventory.FromSnapshot(s)
	if err != nil {
		return nil, err
	}
	evs, err := fn(it)
	if err != nil {
		return nil, err
	}
	f.m[sku] = it.Snapshot()
	f.events = append(f.events, evs...)
	return it, nil
}

func usd(t testing.TB, cents int64) money.Money {
	t.Helper()
	m, err := money.New(cents, "USD")
	if err != nil {
		t.Fatal(err)
	}
	return m
}
