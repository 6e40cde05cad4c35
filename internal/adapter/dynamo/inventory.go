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
		Version: s.Version}
}

// decodeItem is the Inventory aggregate an inventory table item holds.
func decodeItem(av map[string]types.AttributeValue) (*inventory.Item, error) {
	var rec itemRecord
	if err := attributevalue.UnmarshalMap(av, &rec); err != nil {
		return nil, err
	}
	return rec.item()
}

func (r itemRecord) item() (*inventory.Item, error) {
	price, err := money.New(r.Price.Amount, r.Price.Currency)
	if err != nil {
		return nil, fmt.Errorf("dynamo: item %s: %w", r.SKU, err)
	}
	s := inventory.Snapshot{SKU: inventory.SKU(r.SKU), Name: r.Name, Description: r.Description, Price: price,
		Available: inventory.Quantity(r.Available), Reserved: inventory.Quantity(r.Reserved), Sold: inventory.Quantity(r.Sold),
		LowStockThreshold: inventory.Quantity(r.LowStockThreshold), Version: r.Version}
	return inventory.FromSnapshot(s)
}

// InventoryRepository stores Inventory aggregates.
type InventoryRepository struct {
	db     *dynamodb.Client
	tables Tables
	now    func() time.Time
}

// NewInventoryRepository builds the repository.
func NewInventoryRepository(db *dynamodb.Client, t Tables) *InventoryRepository {
	return &InventoryRepository{db: db, tables: t, now: time.Now}
}

// Get reads an item (strongly consistent: commands act on the latest version).
func (r *InventoryRepository) Get(ctx context.Context, sku inventory.SKU) (*inventory.Item, error) {
	out, err := r.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(r.tables.Inventory), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"sku": &types.AttributeValueMemberS{Value: string(sku)}}})
	if err != nil {
		return nil, fmt.Errorf("dynamo: get item %s: %w", sku, err)
	}
	if out.Item == nil {
		return nil, fmt.Errorf("%w: %s", inventory.ErrNotFound, sku)
	}
	it, err := decodeItem(out.Item)
	if err != nil {
		return nil, fmt.Errorf("dynamo: item %s: %w", sku, err)
	}
	return it, nil
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

// Update loads an item, lets fn change it, and writes it back with its events, conditional on the version
// it read (see update for the retries on conflict).
func (r *InventoryRepository) Update(ctx context.Context, sku inventory.SKU, cause event.Cause, fn func(*inventory.Item) ([]event.Payload, error)) (*inventory.Item, error) {
	load := func(ctx context.Context) (*inventory.Item, error) { return r.Get(ctx, sku) }
	save := func(ctx context.Context, it *inventory.Item, read int64, evs []event.Payload) error {
		av, err := attributevalue.MarshalMap(toItemRecord(it))
		if err != nil {
			return err
		}
		err = writeWithEvents(ctx, r.db, r.tables.Outbox, []types.TransactWriteItem{versionedPut(r.tables.Inventory, av, read)}, evs, cause, r.now())
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
