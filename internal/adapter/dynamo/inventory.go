package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/money"
)

// itemRecord is an inventory item as stored (docs/data-model.md, inventory table): its counters and
// details only, so its size does not depend on how many orders it served. Orders' reservations are
// records of their own (reservations.go). Items written before that change carry a `reservations` map;
// reading ignores it and the item's next write (a whole-item Put) drops it (docs/data-model.md,
// "Migration").
type itemRecord struct {
	SKU               string      `dynamodbav:"sku"`
	Name              string      `dynamodbav:"name"`
	Description       string      `dynamodbav:"description"`
	Price             moneyRecord `dynamodbav:"price"`
	Available         int64       `dynamodbav:"available"`
	Reserved          int64       `dynamodbav:"reserved"`
	Sold              int64       `dynamodbav:"sold"`
	LowStockThreshold int64       `dynamodbav:"lowStockThreshold"`
	Version           int64       `dynamodbav:"version"`
	// Shards (N) and ShardSpan: the SKU's stock is split over shard items (shards.go); absent on an
	// item that is not sharded, which is stored exactly as before shards.
	Shards    int `dynamodbav:"shards,omitempty"`
	ShardSpan int `dynamodbav:"shardSpan,omitempty"`
}

type moneyRecord struct {
	Amount   int64  `dynamodbav:"amount"`
	Currency string `dynamodbav:"currency"`
}

func toItemRecord(it *inventory.Item) itemRecord {
	s := it.Snapshot()
	return itemRecord{SKU: string(s.SKU), Name: s.Name, Description: s.Description,
		Price:     moneyRecord{Amount: s.Price.Amount(), Currency: string(s.Price.Currency())},
		Available: int64(s.Available), Reserved: int64(s.Reserved), Sold: int64(s.Sold), LowStockThreshold: int64(s.LowStockThreshold),
		Version: s.Version, Shards: s.Shards, ShardSpan: s.Span}
}

// decodeItem is the Inventory aggregate an inventory table item holds (without its shard items).
func decodeItem(av map[string]types.AttributeValue) (*inventory.Item, error) {
	rec, err := decodeItemRecord(av)
	if err != nil {
		return nil, err
	}
	return rec.item(nil)
}

func decodeItemRecord(av map[string]types.AttributeValue) (itemRecord, error) {
	var rec itemRecord
	err := attributevalue.UnmarshalMap(av, &rec)
	return rec, err
}

// item is the aggregate of the record and the shard items read with it.
func (r itemRecord) item(others []inventory.ShardSnapshot) (*inventory.Item, error) {
	s, err := r.snapshot(others)
	if err != nil {
		return nil, err
	}
	return inventory.FromSnapshot(s)
}

func (r itemRecord) snapshot(others []inventory.ShardSnapshot) (inventory.Snapshot, error) {
	price, err := money.New(r.Price.Amount, r.Price.Currency)
	if err != nil {
		return inventory.Snapshot{}, fmt.Errorf("dynamo: item %s: %w", r.SKU, err)
	}
	return inventory.Snapshot{SKU: inventory.SKU(r.SKU), Name: r.Name, Description: r.Description, Price: price,
		Available: inventory.Quantity(r.Available), Reserved: inventory.Quantity(r.Reserved), Sold: inventory.Quantity(r.Sold),
		LowStockThreshold: inventory.Quantity(r.LowStockThreshold), Version: r.Version,
		Shards: r.Shards, Span: r.ShardSpan, Others: others}, nil
}

// InventoryRepository stores Inventory aggregates.
type InventoryRepository struct {
	db        *dynamodb.Client
	tables    Tables
	now       func() time.Time
	shardings *shardings
}

// NewInventoryRepository builds the repository.
func NewInventoryRepository(db *dynamodb.Client, t Tables) *InventoryRepository {
	return &InventoryRepository{db: db, tables: t, now: time.Now, shardings: &shardings{m: map[inventory.SKU]cachedSharding{}}}
}

// Get reads an item and, when it is sharded, every shard item (strongly consistent: commands act on
// the latest version; the item's totals are sums over its shards).
func (r *InventoryRepository) Get(ctx context.Context, sku inventory.SKU) (*inventory.Item, error) {
	rec, err := r.getRecord(ctx, sku)
	if err != nil {
		return nil, err
	}
	others, err := r.readShards(ctx, sku, allShards(rec))
	if err != nil {
		return nil, err
	}
	it, err := rec.item(others)
	if err != nil {
		return nil, fmt.Errorf("dynamo: item %s: %w", sku, err)
	}
	return it, nil
}

// getRecord reads an item's record alone.
func (r *InventoryRepository) getRecord(ctx context.Context, sku inventory.SKU) (itemRecord, error) {
	out, err := r.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(r.tables.Inventory), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"sku": &types.AttributeValueMemberS{Value: string(sku)}}})
	if err != nil {
		return itemRecord{}, fmt.Errorf("dynamo: get item %s: %w", sku, err)
	}
	if out.Item == nil {
		return itemRecord{}, fmt.Errorf("%w: %s", inventory.ErrNotFound, sku)
	}
	rec, err := decodeItemRecord(out.Item)
	if err != nil {
		return itemRecord{}, fmt.Errorf("dynamo: item %s: %w", sku, err)
	}
	return rec, nil
}

// Create stores a new item and its events in one transaction; an existing SKU is ErrExists.
func (r *InventoryRepository) Create(ctx context.Context, it *inventory.Item, events []event.Payload, cause event.Cause) error {
	av, err := attributevalue.MarshalMap(toItemRecord(it))
	if err != nil {
		return fmt.Errorf("dynamo: encode item %s: %w", it.SKU(), err)
	}
	err = writeWithEvents(ctx, r.db, r.tables.Outbox, []types.TransactWriteItem{newPut(r.tables.Inventory, av, "sku")}, events, cause, r.now())
	switch {
	case errors.Is(err, errCondition):
		return fmt.Errorf("%w: %s", inventory.ErrExists, it.SKU())
	case err != nil:
		return fmt.Errorf("dynamo: create item %s: %w", it.SKU(), err)
	}
	return nil
}

// Update loads an item (with every shard), lets fn change it, and writes it back with its events,
// conditional on the version it read and on that of every shard item written (see update for the
// retries on conflict).
func (r *InventoryRepository) Update(ctx context.Context, sku inventory.SKU, cause event.Cause, fn func(*inventory.Item) ([]event.Payload, error)) (*inventory.Item, error) {
	var shards map[int]inventory.ShardSnapshot
	load := func(ctx context.Context) (*inventory.Item, error) {
		it, err := r.Get(ctx, sku)
		if err == nil {
			shards = shardsRead(it)
		}
		return it, err
	}
	save := func(ctx context.Context, it *inventory.Item, read int64, evs []event.Payload) error {
		// Admin changes decide on every figure they read (a restock's spread, a removal's empty shard):
		// every shard they write is conditional on its version.
		writes, err := itemWrites(r.tables.Inventory, it, read, shards, byVersion)
		if err != nil {
			return err
		}
		err = writeWithEvents(ctx, r.db, r.tables.Outbox, writes, evs, cause, r.now())
		if err != nil && !errors.Is(err, errCondition) {
			return fmt.Errorf("dynamo: update item %s: %w", sku, err)
		}
		return err
	}
	return update(ctx, load, fn, save)
}

// cancelledOn reports whether a transaction was cancelled because the condition of item i failed.
func cancelledOn(err error, i int) bool {
	var tc *types.TransactionCanceledException
	if !errors.As(err, &tc) || i >= len(tc.CancellationReasons) {
		return false
	}
	return aws.ToString(tc.CancellationReasons[i].Code) == "ConditionalCheckFailed"
}
