package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
)

// A sharded SKU's counters beyond the item's own are shard items of the inventory table, keyed
// "<SKU>#<k>" (inventory.ShardKey; '#' is not allowed in a SKU, so no shard key equals a SKU). Each is a
// partition key of its own, so DynamoDB can place them on different partitions and give each its own
// 1,000 WCU/s (docs/adr/0021-hot-sku-shards.md; https://docs.aws.amazon.com/amazondynamodb/latest/
// developerguide/bp-partition-key-design.html). Keys that hash near each other can share a partition
// until DynamoDB splits it for heat, which docs/hot-sku.md discusses.

// shardRecord is one shard item as stored: its counters and version, and the SKU it belongs to.
type shardRecord struct {
	Key       string `dynamodbav:"sku"`
	ShardOf   string `dynamodbav:"shardOf"`
	Shard     int    `dynamodbav:"shard"`
	Available int64  `dynamodbav:"available"`
	Reserved  int64  `dynamodbav:"reserved"`
	Sold      int64  `dynamodbav:"sold"`
	Version   int64  `dynamodbav:"version"`
}

func shardKey(sku inventory.SKU, k int) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"sku": &types.AttributeValueMemberS{Value: inventory.ShardKey(sku, k)}}
}

// allShards are the shard indexes of every shard item an item may have (none when it is not sharded).
func allShards(rec itemRecord) []int {
	var out []int
	for k := 1; k < rec.ShardSpan; k++ {
		out = append(out, k)
	}
	return out
}

// readShards reads shard items of sku, strongly consistent (absent ones are left out: a removed shard).
// It asks for each with a GetItem of its own, concurrently, rather than one BatchGetItem: the admin and
// query functions that read whole items hold only dynamodb:GetItem on the inventory table
// (template.yaml), and a SKU has at most MaxShards of them. The saga's steps read shards with the
// order's other keys in BatchGetItem (orderStock).
func (r *InventoryRepository) readShards(ctx context.Context, sku inventory.SKU, ks []int) ([]inventory.ShardSnapshot, error) {
	if len(ks) == 0 {
		return nil, nil
	}
	avs := make([]map[string]types.AttributeValue, len(ks))
	errs := make([]error, len(ks))
	var wg sync.WaitGroup
	for i, k := range ks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := r.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(r.tables.Inventory), ConsistentRead: aws.Bool(true), Key: shardKey(sku, k)})
			if err == nil {
				avs[i] = out.Item
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("dynamo: shards of %s: %w", sku, err)
	}
	found := avs[:0]
	for _, av := range avs {
		if av != nil {
			found = append(found, av)
		}
	}
	return decodeShards(found, map[inventory.SKU]bool{sku: true})
}

// decodeShards turns shard items into snapshots; want says which SKUs' shards are expected (an item of
// another SKU among them is a corrupt read).
func decodeShards(avs []map[string]types.AttributeValue, want map[inventory.SKU]bool) ([]inventory.ShardSnapshot, error) {
	var out []inventory.ShardSnapshot
	for _, av := range avs {
		var rec shardRecord
		if err := attributevalue.UnmarshalMap(av, &rec); err != nil {
			return nil, err
		}
		if !want[inventory.SKU(rec.ShardOf)] || rec.Key != inventory.ShardKey(inventory.SKU(rec.ShardOf), rec.Shard) {
			return nil, fmt.Errorf("dynamo: corrupt shard item %q", rec.Key)
		}
		out = append(out, inventory.ShardSnapshot{Index: rec.Shard, Available: inventory.Quantity(rec.Available),
			Reserved: inventory.Quantity(rec.Reserved), Sold: inventory.Quantity(rec.Sold), Version: rec.Version})
	}
	return out, nil
}

// shardsRead are an item's shard items as read (index >= 1), to write them back against.
func shardsRead(it *inventory.Item) map[int]inventory.ShardSnapshot {
	out := map[int]inventory.ShardSnapshot{}
	for _, s := range it.Snapshot().Others {
		out[s.Index] = s
	}
	return out
}

// How a shard item that exists is written back (docs/adr/0021-hot-sku-shards.md, "Counter-conditioned
// writes").
type shardWrite int

const (
	// byVersion puts the shard's figures, conditional on the version read: any write of the shard since
	// cancels it. Admin changes (restock, revision, sharding, removal) write so: they decide on every
	// figure they read.
	byVersion shardWrite = iota
	// byCounters adds the step's change to the counters, conditional only on each counter it lowers
	// holding the units it takes (inventory.Move.Guard): steps of a sale on one shard then conflict only
	// when their transactions overlap in time, not whenever one landed between another's read and write.
	byCounters
)

// itemWrites are the writes of an item changed from what was read: the item itself when its version
// moved (read: the version read), each shard item that moved (how says how; one that is new
// conditional on not existing yet) and a delete of each shard item that is gone (conditional on the
// version read, at which it held nothing: any move since, counter-conditioned or not, changed the
// version).
func itemWrites(table string, it *inventory.Item, read int64, shards map[int]inventory.ShardSnapshot, how shardWrite) ([]types.TransactWriteItem, error) {
	var out []types.TransactWriteItem
	if it.Version() != read {
		av, err := attributevalue.MarshalMap(toItemRecord(it))
		if err != nil {
			return nil, err
		}
		out = append(out, versionedPut(table, av, read))
	}
	snap := it.Snapshot()
	now := map[int]bool{}
	for _, s := range snap.Others {
		now[s.Index] = true
		was, existed := shards[s.Index]
		if existed && was.Version == s.Version {
			continue
		}
		if existed && how == byCounters {
			if m := inventory.MoveOf(was, s); !m.IsZero() {
				out = append(out, counterUpdate(table, snap.SKU, m))
			}
			continue
		}
		av, err := attributevalue.MarshalMap(shardRecord{Key: inventory.ShardKey(snap.SKU, s.Index), ShardOf: string(snap.SKU), Shard: s.Index,
			Available: s.Available.Int64(), Reserved: s.Reserved.Int64(), Sold: s.Sold.Int64(), Version: s.Version})
		if err != nil {
			return nil, err
		}
		if !existed {
			out = append(out, newPut(table, av, "sku"))
			continue
		}
		out = append(out, versionedPut(table, av, was.Version))
	}
	for k, was := range shards {
		if !now[k] {
			out = append(out, types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(table), Key: shardKey(snap.SKU, k),
				ConditionExpression:       aws.String("version = :read"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":read": &types.AttributeValueMemberN{Value: strconv.FormatInt(was.Version, 10)}}}})
		}
	}
	return out, nil
}

// counterUpdate writes move m of a shard item of sku as DynamoDB's ADD of each counter's change and of
// 1 to the version (so that a write conditional on a version read still sees every move), conditional
// on each counter it lowers holding at least the units taken: applied to the shard as it is when the
// write lands, it never takes a counter below zero
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html#Expressions.UpdateExpressions.ADD,
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html).
// A comparison with an attribute that does not exist is false, so a shard removed since the read is
// not created again by the ADD; a move that only adds (a transfer's receiving shard) is conditional on
// the shard existing. In a TransactWriteItems DynamoDB returns no values, so the step does not learn
// the figures its write produced (docs/adr/0021-hot-sku-shards.md says what that costs the catalog view).
func counterUpdate(table string, sku inventory.SKU, m inventory.Move) types.TransactWriteItem {
	names := map[string]string{"#v": "version"}
	vals := map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}}
	var adds, conds []string
	a, r, s := m.Guard()
	for _, c := range []struct {
		name  string
		delta int64
		need  inventory.Quantity
	}{{"available", m.Available, a}, {"reserved", m.Reserved, r}, {"sold", m.Sold, s}} {
		if c.delta == 0 {
			continue
		}
		names["#"+c.name] = c.name
		vals[":"+c.name] = &types.AttributeValueMemberN{Value: strconv.FormatInt(c.delta, 10)}
		adds = append(adds, fmt.Sprintf("#%s :%s", c.name, c.name))
		if c.need > 0 {
			vals[":take_"+c.name] = &types.AttributeValueMemberN{Value: strconv.FormatInt(c.need.Int64(), 10)}
			conds = append(conds, fmt.Sprintf("#%s >= :take_%s", c.name, c.name))
		}
	}
	if len(conds) == 0 {
		names["#of"] = "shardOf"
		conds = append(conds, "attribute_exists(#of)")
	}
	return types.TransactWriteItem{Update: &types.Update{TableName: aws.String(table), Key: shardKey(sku, m.Shard),
		UpdateExpression:          aws.String("ADD " + strings.Join(adds, ", ") + ", #v :one"),
		ConditionExpression:       aws.String(strings.Join(conds, " AND ")),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: vals}}
}

// maxRebalanceSteps bounds the transfers of one SetShards: a quiet SKU needs at most 2 × span; under a
// sale the shares keep moving, and stopping is safe (reservations walk every shard; a repeat of the
// request goes on).
const maxRebalanceSteps = 4 * inventory.MaxShards

// SetShards changes a SKU's sharding through fn (inventory.Item.SetShards: admins;
// docs/adr/0021-hot-sku-shards.md), then rebalances its available units over the active shards and
// removes the drained shard items that hold nothing. Each of the three is its own conditional
// transaction, and the rebalance is one transaction per transfer between two shards, so that a change
// of N while a sale runs contends with the sale on two shards at a time rather than on all of them.
// Totals never change. A repeat is a no-op once balanced; an interrupted call is finished by calling
// again. It returns the item as it is afterwards.
func (r *InventoryRepository) SetShards(ctx context.Context, sku inventory.SKU, cause event.Cause, fn func(*inventory.Item) ([]event.Payload, error)) (*inventory.Item, error) {
	if _, err := r.Update(ctx, sku, cause, fn); err != nil {
		return nil, err
	}
	if err := r.Rebalance(ctx, sku, cause); err != nil {
		return nil, err
	}
	for range inventory.MaxShards {
		removed := false
		_, err := r.Update(ctx, sku, cause, func(it *inventory.Item) ([]event.Payload, error) {
			k, ok := it.RemovableShard()
			if !ok {
				return nil, nil
			}
			removed = true
			return it.RemoveShard(k)
		})
		if err != nil {
			return nil, err
		}
		if !removed {
			break
		}
	}
	return r.Get(ctx, sku)
}

// Rebalance moves a SKU's available units towards an even spread over its active shards, and out of
// draining ones, one conditional transfer between two shards per transaction, with InventoryUpdated so
// that the catalog's per-shard records follow (no total changes). A transfer that loses a race is
// decided again from a fresh read; ErrConflict when the sale kept winning past maxRebalanceSteps. The
// events carry the cause of the change of N that asked for the rebalance.
func (r *InventoryRepository) Rebalance(ctx context.Context, sku inventory.SKU, cause event.Cause) error {
	for range maxRebalanceSteps {
		it, err := r.Get(ctx, sku)
		if err != nil {
			return err
		}
		t, ok := it.NextTransfer()
		if !ok {
			return nil
		}
		read, shards := it.Version(), shardsRead(it)
		evs, err := it.Transfer(t)
		if err != nil {
			return err
		}
		// The transfer adds to one shard what it takes from the other, conditional on the giving shard
		// still holding the units (never negative) and the receiving one existing (never created again
		// after its removal): a sale's moves of the two shards in between no longer cancel it.
		writes, err := itemWrites(r.tables.Inventory, it, read, shards, byCounters)
		if err != nil {
			return err
		}
		err = writeWithEvents(ctx, r.db, r.tables.Outbox, writes, evs, cause, r.now())
		if err != nil && !errors.Is(err, errCondition) && !errors.Is(err, errConflicted) {
			return fmt.Errorf("dynamo: rebalance %s: %w", sku, err)
		}
	}
	// The sale kept winning: the stock is right but not balanced (draining shards may still hold units).
	// The admin's request answers 409 and can be repeated to finish.
	return fmt.Errorf("%w: rebalance of %s cut short after %d steps", ErrConflict, sku, maxRebalanceSteps)
}

// shardingTTL is how long a container trusts what it last read of a sharded SKU's item (its N and span)
// before reading the item again. Trusting a stale one is harmless: a new shard is used a few seconds
// late, a draining one a few seconds more, a removed one is read as absent; and before refusing an
// order the item and every shard it lists are read.
const shardingTTL = 5 * time.Second

// shardings remembers, per container, the items of sharded SKUs read last, so that the steps of a sale
// read the SKU's shard items without its item (orderStock). SKUs that are not sharded are not kept:
// their steps read the item as before.
type shardings struct {
	mu sync.Mutex
	m  map[inventory.SKU]cachedSharding
}

type cachedSharding struct {
	rec   itemRecord
	until time.Time
}

func (c *shardings) get(sku inventory.SKU, now time.Time) (itemRecord, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[sku]
	if !ok || now.After(e.until) {
		return itemRecord{}, false
	}
	return e.rec, true
}

func (c *shardings) put(rec itemRecord, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	// Only a SKU with more than one active shard is worth knowing: with N = 1 and draining shards left, a
	// reservation's window is empty and every order would take the slowest read path.
	if rec.ShardSpan <= 1 || rec.Shards <= 1 {
		delete(c.m, inventory.SKU(rec.SKU))
		return
	}
	c.m[inventory.SKU(rec.SKU)] = cachedSharding{rec: rec, until: now.Add(shardingTTL)}
}
