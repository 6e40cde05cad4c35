package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/adapter/dynamo/dynamotest"
	"github.com/orion-oss/orion/internal/adapter/dynamo/relay"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/event/eventschema"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/money"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

// newTables creates the template's command-side tables under names unique to the test.
func newTables(t *testing.T) (*dynamodb.Client, dynamo.Tables) {
	t.Helper()
	return dynamotest.Tables(t)
}

// outbox reads the outbox's events as the Pipe's relay reads them (single and batch items alike).
func outbox(t *testing.T, db *dynamodb.Client, table string) []event.Envelope {
	t.Helper()
	return relayed(t, outboxItems(t, db, table)...)
}

func outboxItems(t *testing.T, db *dynamodb.Client, table string) []map[string]ddbtypes.AttributeValue {
	t.Helper()
	var items []map[string]ddbtypes.AttributeValue
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, page.Items...)
	}
	return items
}

// relayed passes outbox items through the relay as the stream's INSERT records of them, and checks
// every event against its schema.
func relayed(t *testing.T, items ...map[string]ddbtypes.AttributeValue) []event.Envelope {
	t.Helper()
	records := make([]events.DynamoDBEventRecord, len(items))
	for i, it := range items {
		img := map[string]events.DynamoDBAttributeValue{}
		for k, v := range it {
			img[k] = streamValue(t, v)
		}
		records[i] = events.DynamoDBEventRecord{EventID: fmt.Sprint(i), EventName: "INSERT", Change: events.DynamoDBStreamRecord{NewImage: img}}
	}
	envs, err := relay.Records(records)
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range envs {
		if err := eventschema.Validate(env); err != nil {
			t.Fatalf("outbox event does not match its schema: %v", err)
		}
	}
	return envs
}

// streamValue is an attribute as a stream record holds it (the outbox's types only).
func streamValue(t *testing.T, v ddbtypes.AttributeValue) events.DynamoDBAttributeValue {
	t.Helper()
	switch v := v.(type) {
	case *ddbtypes.AttributeValueMemberS:
		return events.NewStringAttribute(v.Value)
	case *ddbtypes.AttributeValueMemberN:
		return events.NewNumberAttribute(v.Value)
	case *ddbtypes.AttributeValueMemberL:
		list := make([]events.DynamoDBAttributeValue, len(v.Value))
		for i, e := range v.Value {
			list[i] = streamValue(t, e)
		}
		return events.NewListAttribute(list)
	}
	t.Fatalf("an outbox attribute of type %T", v)
	return events.DynamoDBAttributeValue{}
}

func widget(t *testing.T, sku string, available inventory.Quantity) (*inventory.Item, []event.Payload) {
	t.Helper()
	price, _ := money.New(1999, "USD")
	it, evs, err := inventory.NewItem(inventory.SKU(sku), inventory.Details{Name: "Widget", Description: "A widget", Price: price}, available, 3)
	if err != nil {
		t.Fatal(err)
	}
	return it, evs
}

func TestInventoryCreateGetUpdate(t *testing.T) {
	ctx := context.Background()
	db, tables := newTables(t)
	repo := dynamo.NewInventoryRepository(db, tables)
	meta := event.Cause{CorrelationID: "corr-1", CausationID: "req-1"}

	it, evs := widget(t, "SKU-1", 10)
	if err := repo.Create(ctx, it, evs, meta); err != nil {
		t.Fatal(err)
	}
	again, evs2 := widget(t, "SKU-1", 5)
	if err := repo.Create(ctx, again, evs2, meta); !errors.Is(err, inventory.ErrExists) {
		t.Fatalf("second Create: %v", err)
	}
	if n := len(outbox(t, db, tables.Outbox)); n != 1 {
		t.Fatalf("outbox has %d events; want 1 (the refused create wrote nothing)", n)
	}

	updated, err := repo.Update(ctx, "SKU-1", meta, func(it *inventory.Item) ([]event.Payload, error) { return it.SetAvailable(2) })
	if err != nil {
		t.Fatal(err)
	}
	got, err := repo.Get(ctx, "SKU-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Available() != 2 || got.Reserved() != 0 || got.Version() != updated.Version() || got.Version() != 2 {
		t.Fatalf("stored item: available %d reserved %d v%d", got.Available(), got.Reserved(), got.Version())
	}
	envs := outbox(t, db, tables.Outbox)
	types := map[string]int{}
	for _, e := range envs {
		types[e.Type]++
		if e.CorrelationID != "corr-1" || e.CausationID != "req-1" {
			t.Errorf("envelope %+v lost the correlation", e)
		}
	}
	if types["InventoryUpdated"] != 2 || types["InventoryLow"] != 1 {
		t.Fatalf("outbox events = %v; want the creation, the update and the low-stock crossing", types)
	}

	// A repeated update to the same figure changes nothing and writes nothing.
	if _, err := repo.Update(ctx, "SKU-1", meta, func(it *inventory.Item) ([]event.Payload, error) { return it.SetAvailable(2) }); err != nil {
		t.Fatal(err)
	}
	if n := len(outbox(t, db, tables.Outbox)); n != 3 {
		t.Fatalf("outbox has %d events after a no-op; want 3", n)
	}
	if _, err := repo.Get(ctx, "NOPE"); !errors.Is(err, inventory.ErrNotFound) {
		t.Fatalf("Get missing: %v", err)
	}
}

func TestInventoryOptimisticLocking(t *testing.T) {
	ctx := context.Background()
	db, tables := newTables(t)
	repo := dynamo.NewInventoryRepository(db, tables)
	it, evs := widget(t, "SKU-2", 10)
	if err := repo.Create(ctx, it, evs, event.Cause{CorrelationID: "c"}); err != nil {
		t.Fatal(err)
	}
	// A second writer commits between our read and our write: ours must not overwrite it. The
	// repository reloads and decides again on the fresh item: the restock adds to the new count.
	calls := 0
	_, err := repo.Update(ctx, "SKU-2", event.Cause{CorrelationID: "c"}, func(it *inventory.Item) ([]event.Payload, error) {
		if calls++; calls == 1 {
			if _, err := repo.Update(ctx, "SKU-2", event.Cause{CorrelationID: "c"}, func(other *inventory.Item) ([]event.Payload, error) {
				return other.SetAvailable(1)
			}); err != nil {
				t.Fatal(err)
			}
		}
		return it.Restock(5)
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := repo.Get(ctx, "SKU-2")
	if got.Available() != 6 || got.Version() != 3 || calls != 2 {
		t.Fatalf("available %d v%d after %d decisions; want 1+5 at v3 after 2 (no lost update)", got.Available(), got.Version(), calls)
	}
}
