package dynamo

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/query"
)

// The catalog view: one record per item (pk SKU#<sku>, sk CATALOG) with its description and, for an
// item that is not sharded, its available stock. A SKU split over shards (docs/hot-sku.md) would make
// that record as hot as the item was (two stock events per order update it), so its stock is kept in
// one record per shard (sk CATALOG#<k>), each following that shard's own version, and read as their
// sum. The shard records are in the Catalog index too, keyed "<SKU>#<k>": '#' sorts below every
// character a SKU may hold, so they follow their item's record in the index and a page folds them in
// with the same Query.

// catalogKey is the key of an item's catalog view.
func catalogKey(sku string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "SKU#" + sku}, "sk": &types.AttributeValueMemberS{Value: "CATALOG"}}
}

// catalogShardKey is the key of the catalog view of shard k of a sharded item.
func catalogShardKey(sku string, k int) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "SKU#" + sku},
		"sk": &types.AttributeValueMemberS{Value: "CATALOG#" + strconv.Itoa(k)}}
}

// applyCatalog keeps an item's catalog view. Two facts arrive from different events: the description
// (name, price, ...) only with InventoryUpdated, the available stock also with every stock move of the
// saga (the stock lines of InventoryReserved and its kin). Each is kept by its own version, so that a
// late InventoryUpdated never undoes newer stock and a stock move never waits for a description. The view
// is listed (catalogPartition) once it has a description. shardSpan (how many shard records to sum; 0:
// not sharded) is a fact of the description's version.
func (p *Projections) applyCatalog(ctx context.Context, e *event.InventoryUpdated) error {
	price, _ := attributevalue.Marshal(mrec(e.Price))
	_, err := p.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(p.table), Key: catalogKey(e.SKU),
		UpdateExpression:         aws.String("SET catalogPartition = :cp, sku = :sku, #name = :name, description = :d, price = :price, factsVersion = :v, shardSpan = :span"),
		ConditionExpression:      aws.String("attribute_not_exists(factsVersion) OR factsVersion < :v"),
		ExpressionAttributeNames: map[string]string{"#name": "name"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":cp": &types.AttributeValueMemberS{Value: "CATALOG"}, ":sku": &types.AttributeValueMemberS{Value: e.SKU},
			":name": &types.AttributeValueMemberS{Value: e.Name}, ":d": &types.AttributeValueMemberS{Value: e.Description}, ":price": price,
			":v":    &types.AttributeValueMemberN{Value: strconv.FormatInt(e.ItemVersion, 10)},
			":span": &types.AttributeValueMemberN{Value: strconv.Itoa(len(e.Shards))},
		}})
	if err := ignoreStale(err); err != nil {
		return fmt.Errorf("dynamo: project %s: %w", e.SKU, err)
	}
	if err := p.applyShards(ctx, e.SKU, e.Shards); err != nil {
		return err
	}
	return p.applyStock(ctx, e.SKU, e.Available, e.ItemVersion)
}

// applyStock sets an item's available stock if version is newer than the one the view holds.
func (p *Projections) applyStock(ctx context.Context, sku string, available, version int64) error {
	_, err := p.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(p.table), Key: catalogKey(sku),
		UpdateExpression:    aws.String("SET available = :a, itemVersion = :v"),
		ConditionExpression: aws.String("attribute_not_exists(itemVersion) OR itemVersion < :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":a": &types.AttributeValueMemberN{Value: strconv.FormatInt(available, 10)},
			":v": &types.AttributeValueMemberN{Value: strconv.FormatInt(version, 10)},
		}})
	if err := ignoreStale(err); err != nil {
		return fmt.Errorf("dynamo: project stock of %s: %w", sku, err)
	}
	return nil
}

// applyShards sets each shard's available stock in its own record if its version is newer than the
// one the record holds: the records of different shards never contend, as the shards do not.
func (p *Projections) applyShards(ctx context.Context, sku string, shards []event.ShardStock) error {
	for _, s := range shards {
		_, err := p.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(p.table), Key: catalogShardKey(sku, s.Shard),
			UpdateExpression:         aws.String("SET catalogPartition = :cp, sku = :key, shardOf = :sku, #shard = :k, available = :a, itemVersion = :v"),
			ConditionExpression:      aws.String("attribute_not_exists(itemVersion) OR itemVersion < :v"),
			ExpressionAttributeNames: map[string]string{"#shard": "shard"}, // a reserved word
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":cp":  &types.AttributeValueMemberS{Value: "CATALOG"},
				":key": &types.AttributeValueMemberS{Value: inventory.ShardKey(inventory.SKU(sku), s.Shard)},
				":sku": &types.AttributeValueMemberS{Value: sku},
				":k":   &types.AttributeValueMemberN{Value: strconv.Itoa(s.Shard)},
				":a":   &types.AttributeValueMemberN{Value: strconv.FormatInt(s.Available, 10)},
				":v":   &types.AttributeValueMemberN{Value: strconv.FormatInt(s.Version, 10)},
			}})
		if err := ignoreStale(err); err != nil {
			return fmt.Errorf("dynamo: project stock of %s shard %d: %w", sku, s.Shard, err)
		}
	}
	return nil
}

// applyStockLines follows the stock figures a saga event carries for each of its items.
func (p *Projections) applyStockLines(ctx context.Context, lines []event.StockLine) error {
	for _, l := range lines {
		if len(l.Shards) > 0 {
			if err := p.applyShards(ctx, l.SKU, l.Shards); err != nil {
				return err
			}
			continue
		}
		if l.Available == nil || l.ItemVersion == 0 {
			continue // an event written before the figures were carried
		}
		if err := p.applyStock(ctx, l.SKU, *l.Available, l.ItemVersion); err != nil {
			return err
		}
	}
	return nil
}

func stockLines(p event.Payload) []event.StockLine {
	switch e := p.(type) {
	case *event.InventoryReserved:
		return e.Lines
	case *event.InventoryReleased:
		return e.Lines
	case *event.InventoryCommitted:
		return e.Lines
	case *event.InventoryReturned:
		return e.Lines
	}
	return nil
}

// ignoreStale treats a failed version condition as success: the view already holds something newer.
func ignoreStale(err error) error {
	var stale *types.ConditionalCheckFailedException
	if errors.As(err, &stale) {
		return nil
	}
	return err
}

// catalogRow is a record of the Catalog index: an item's view, or (ShardOf set) one of its shards'.
type catalogRow struct {
	SKU         string      `dynamodbav:"sku"`
	Name        string      `dynamodbav:"name"`
	Description string      `dynamodbav:"description"`
	Price       moneyRecord `dynamodbav:"price"`
	Available   int64       `dynamodbav:"available"`
	ShardSpan   int         `dynamodbav:"shardSpan"`
	ShardOf     string      `dynamodbav:"shardOf"`
	Shard       int         `dynamodbav:"shard"`
}

// ListCatalog returns a page of the catalog in SKU order and the cursor of the next page. A sharded
// item's available stock is the sum of its shard records, which follow it in the index: the page reads
// on until the record after its last item, so that item is whole.
func (p *Projections) ListCatalog(ctx context.Context, limit int32, cursor string) ([]query.CatalogItem, string, error) {
	in := &dynamodb.QueryInput{TableName: aws.String(p.table), IndexName: aws.String("Catalog"), Limit: aws.Int32(limit),
		KeyConditionExpression:    aws.String("catalogPartition = :cp"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":cp": &types.AttributeValueMemberS{Value: "CATALOG"}}}
	if cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil {
			return nil, "", query.ErrBadCursor
		}
		sku, err := inventory.ParseSKU(string(raw))
		if err != nil {
			return nil, "", query.ErrBadCursor
		}
		in.ExclusiveStartKey = catalogKey(string(sku))
		in.ExclusiveStartKey["catalogPartition"] = &types.AttributeValueMemberS{Value: "CATALOG"}
		in.ExclusiveStartKey["sku"] = &types.AttributeValueMemberS{Value: string(sku)}
	}
	var rows []catalogRow
	items, more := 0, false
	for {
		out, err := p.db.Query(ctx, in)
		if err != nil {
			return nil, "", fmt.Errorf("dynamo: list catalog: %w", err)
		}
		for _, av := range out.Items {
			var r catalogRow
			if err := attributevalue.UnmarshalMap(av, &r); err != nil {
				return nil, "", err
			}
			rows = append(rows, r)
			if r.ShardOf == "" {
				items++
			}
		}
		if out.LastEvaluatedKey == nil {
			break
		}
		if items > int(limit) {
			more = true // the record after the page's last item: that item is whole
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	page := make([]query.CatalogItem, 0, min(items, int(limit)))
	var spans []int
	for _, r := range rows {
		if r.ShardOf == "" {
			if len(page) == int(limit) {
				more = true
				break
			}
			price, _ := money.New(r.Price.Amount, r.Price.Currency)
			page = append(page, query.CatalogItem{SKU: r.SKU, Name: r.Name, Description: r.Description, Price: price, Available: r.Available})
			spans = append(spans, r.ShardSpan)
			if r.ShardSpan > 1 {
				page[len(page)-1].Available = 0 // the sum of its shards' records, which follow
			}
			continue
		}
		// A shard record counts for the item just read, within its span (a removed shard's record may
		// linger); those of an item on the previous page are skipped.
		if n := len(page); n > 0 && page[n-1].SKU == r.ShardOf && r.Shard < spans[n-1] && spans[n-1] > 1 {
			page[n-1].Available += r.Available
		}
	}
	next := ""
	if more && len(page) > 0 {
		next = base64.RawURLEncoding.EncodeToString([]byte(page[len(page)-1].SKU))
	}
	return page, next, nil
}
