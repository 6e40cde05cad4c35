package dynamo

import (
	"context"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Thresholds reads items' low-stock thresholds from the inventory table (the write side: the catalog
// view does not carry them, and the events that build it do not either). The admins' catalog page
// uses them to warn as the items' own alerts do.
type Thresholds struct {
	db    *dynamodb.Client
	table string
}

// NewThresholds reads from the inventory table.
func NewThresholds(db *dynamodb.Client, t Tables) Thresholds {
	return Thresholds{db: db, table: t.Inventory}
}

// LowStockThresholds returns the threshold of each SKU that has an item (a catalog page: at most 100,
// one BatchGetItem, its limit: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html).
// Keys DynamoDB leaves unprocessed are asked again, a few times.
func (t Thresholds) LowStockThresholds(ctx context.Context, skus []string) (map[string]int64, error) {
	out := map[string]int64{}
	if len(skus) == 0 {
		return out, nil
	}
	if len(skus) > 100 {
		return nil, fmt.Errorf("dynamo: thresholds of %d items; a page has at most 100", len(skus))
	}
	keys := make([]map[string]types.AttributeValue, 0, len(skus))
	seen := map[string]bool{}
	for _, s := range skus {
		if !seen[s] {
			seen[s] = true
			keys = append(keys, map[string]types.AttributeValue{"sku": &types.AttributeValueMemberS{Value: s}})
		}
	}
	req := map[string]types.KeysAndAttributes{t.table: {Keys: keys, ProjectionExpression: aws.String("sku, lowStockThreshold")}}
	for try := 0; len(req) > 0; try++ {
		if try == 5 {
			return nil, fmt.Errorf("dynamo: thresholds: %d keys still unprocessed", len(req[t.table].Keys))
		}
		res, err := t.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
		if err != nil {
			return nil, fmt.Errorf("dynamo: thresholds: %w", err)
		}
		for _, it := range res.Responses[t.table] {
			s, _ := it["sku"].(*types.AttributeValueMemberS)
			n, _ := it["lowStockThreshold"].(*types.AttributeValueMemberN)
			if s == nil || n == nil {
				continue
			}
			if v, err := strconv.ParseInt(n.Value, 10, 64); err == nil {
				out[s.Value] = v
			}
		}
		req = res.UnprocessedKeys
	}
	return out, nil
}
