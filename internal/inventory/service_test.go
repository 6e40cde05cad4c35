package inventory_test

import (
	"context"
	"errors"
	"testing"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
)

// memRepo is a small fake of the Repository port; the DynamoDB adapter has its own integration tests.
type memRepo struct {
	items  map[inventory.SKU]inventory.Snapshot
	events []event.Payload
	// raceOnce makes the first Create fail as if another request created the item first.
	raceOnce bool
}

func (m *memRepo) Get(_ context.Context, sku inventory.SKU) (*inventory.Item, error) {
	s, ok := m.items[sku]
	if !ok {
		return nil, inventory.ErrNotFound
	}
	return inventory.FromSnapshot(s)
}

func (m *memRepo) Create(_ context.Context, it *inventory.Item, evs []event.Payload, _ event.Cause) error {
	if m.raceOnce {
		m.raceOnce = false
		other, _, _ := inventory.NewItem(it.SKU(), inventory.Details{Name: "Other", Price: it.Price()}, 1, 0)
		m.items[it.SKU()] = other.Snapshot()
		return inventory.ErrExists
	}
	if _, ok := m.items[it.SKU()]; ok {
		return inventory.ErrExists
	}
	m.items[it.SKU()] = it.Snapshot()
	m.events = append(m.events, evs...)
	return nil
}

func (m *memRepo) Update(ctx context.Context, sku inventory.SKU, _ event.Cause, fn func(*inventory.Item) ([]event.Payload, error)) (*inventory.Item, error) {
	it, err := m.Get(ctx, sku)
	if err != nil {
		return nil, err
	}
	evs, err := fn(it)
	if err != nil {
		return nil, err
	}
	m.items[sku] = it.Snapshot()
	m.events = append(m.events, evs...)
	return it, nil
}

func TestServiceUpsert(t *testing.T) {
	ctx := context.Background()
	repo := &memRepo{items: map[inventory.SKU]inventory.Snapshot{}}
	svc := inventory.NewService(repo)
	d := inventory.Details{Name: "Widget", Price: usd(t, 100)}
	it, created, err := svc.Upsert(ctx, event.Cause{}, "A", d, 10, nil)
	if err != nil || !created || it.Available() != 10 {
		t.Fatalf("first upsert: %v %v %v", it, created, err)
	}
	d.Name = "Widget v2"
	it, created, err = svc.Upsert(ctx, event.Cause{}, "A", d, 2, nil)
	if err != nil || created || it.Name() != "Widget v2" || it.Available() != 2 {
		t.Fatalf("second upsert: %v %v %v", it, created, err)
	}
	var updated, low int
	for _, e := range repo.events {
		switch e.(type) {
		case event.InventoryUpdated:
			updated++
		case event.InventoryLow:
			low++
		}
	}
	if updated != 2 || low != 1 {
		t.Fatalf("events: %d updated, %d low; want one InventoryUpdated per upsert and the low-stock crossing", updated, low)
	}
	if _, err := svc.Restock(ctx, event.Cause{}, "NOPE", 1); !errors.Is(err, inventory.ErrNotFound) {
		t.Fatalf("restock of a missing item: %v", err)
	}
}

func TestServiceUpsertLosesTheCreateRace(t *testing.T) {
	repo := &memRepo{items: map[inventory.SKU]inventory.Snapshot{}, raceOnce: true}
	it, created, err := inventory.NewService(repo).Upsert(context.Background(), event.Cause{}, "B", inventory.Details{Name: "Mine", Price: usd(t, 5)}, 3, nil)
	if err != nil || created || it.Name() != "Mine" || it.Available() != 3 {
		t.Fatalf("after a lost create race: %v created=%v %v; want the other item revised to ours", it, created, err)
	}
}
