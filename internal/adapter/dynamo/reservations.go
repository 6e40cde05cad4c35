package dynamo

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orion-oss/orion/internal/inventory"
)

// reservationsRecord is one order's reservations of the items of its lines as stored: one record per
// order in the reservations table (docs/data-model.md), not one per line, because a stock move writes
// every line's item, the order and its events in one TransactWriteItems of at most 100 items, and a
// record per line would take a 50-line order past that.
type reservationsRecord struct {
	OrderID   string                       `dynamodbav:"orderId"`
	Version   int64                        `dynamodbav:"version"`
	UpdatedAt string                       `dynamodbav:"updatedAt"`
	SKUs      map[string]reservationRecord `dynamodbav:"skus"`
}

type reservationRecord struct {
	Quantity int64  `dynamodbav:"quantity"`
	State    string `dynamodbav:"state"`
	// Returned: units of a committed reservation that came back in received returns (absent: none).
	Returned int64 `dynamodbav:"returned,omitempty"`
	// Parts: the units taken from each shard of a sharded SKU (absent: all on the item itself, shard 0).
	Parts []partRecord `dynamodbav:"parts,omitempty"`
}

type partRecord struct {
	Shard    int   `dynamodbav:"shard"`
	Quantity int64 `dynamodbav:"quantity"`
	Returned int64 `dynamodbav:"returned,omitempty"`
}

func (h reservationRecord) reservation(sku inventory.SKU, orderID string) inventory.Reservation {
	var parts []inventory.Part
	for _, p := range h.Parts {
		parts = append(parts, inventory.Part{Shard: p.Shard, Quantity: inventory.Quantity(p.Quantity), Returned: inventory.Quantity(p.Returned)})
	}
	return inventory.Reservation{SKU: sku, OrderID: orderID, Quantity: inventory.Quantity(h.Quantity),
		State: inventory.ReservationState(h.State), Returned: inventory.Quantity(h.Returned), Parts: inventory.NewParts(parts)}
}

func toReservationRecord(r inventory.Reservation) reservationRecord {
	rec := reservationRecord{Quantity: r.Quantity.Int64(), State: string(r.State), Returned: r.Returned.Int64()}
	for _, p := range r.Parts.List() {
		rec.Parts = append(rec.Parts, partRecord{Shard: p.Shard, Quantity: p.Quantity.Int64(), Returned: p.Returned.Int64()})
	}
	return rec
}

// orderStock is what one stock move of an order reads and writes: the domain's OrderStock (the items
// of its lines and the order's reservations of them) and what was read of it. They are read together
// in one BatchGetItem and written in the order's transaction, each conditional on what was read: an
// item on its version (no oversell), the reservations on theirs (no move applied twice, even apart
// from the order's own version).
type orderStock struct {
	*inventory.OrderStock
	skus     []inventory.SKU // in the order's line order, once each
	itemRead map[inventory.SKU]int64
	// shardRead: the versions of the shard items read, by SKU and shard index.
	shardRead map[inventory.SKU]map[int]int64
	heldRead  map[inventory.SKU]inventory.Reservation
	version   int64                        // the reservations record's version; 0: none is stored
	stored    map[string]reservationRecord // the record's entries as read, kept for SKUs not asked for
}

// orderStock reads the items of the lines and the order's reservations of them, strongly consistent, in
// one BatchGetItem over both tables; then, for sharded SKUs, the shard items the step may move in a
// second one: every shard for a line the order holds nothing on yet (a reservation walks them all, so
// it refuses only when the SKU as a whole is short), else only the shards its reservation took from.
// Missing items are absent from the stock; an item the order holds nothing on gets NoReservation.
func (r *InventoryRepository) orderStock(ctx context.Context, orderID string, lines []inventory.Line) (*orderStock, error) {
	s := &orderStock{itemRead: map[inventory.SKU]int64{}, shardRead: map[inventory.SKU]map[int]int64{}, heldRead: map[inventory.SKU]inventory.Reservation{}}
	keys := []tableKey{{r.tables.Reservations, map[string]types.AttributeValue{"orderId": &types.AttributeValueMemberS{Value: orderID}}}}
	seen := map[inventory.SKU]bool{}
	for _, l := range lines {
		if !seen[l.SKU] {
			seen[l.SKU] = true
			s.skus = append(s.skus, l.SKU)
			keys = append(keys, tableKey{r.tables.Inventory, map[string]types.AttributeValue{"sku": &types.AttributeValueMemberS{Value: string(l.SKU)}}})
		}
	}
	got, err := batchGet(ctx, r.db, keys)
	if err != nil {
		return nil, fmt.Errorf("dynamo: stock of order %s: %w", orderID, err)
	}
	var rec reservationsRecord
	if avs := got[r.tables.Reservations]; len(avs) == 1 {
		if err := attributevalue.UnmarshalMap(avs[0], &rec); err != nil {
			return nil, fmt.Errorf("dynamo: reservations of order %s: %w", orderID, err)
		}
		if rec.Version < 1 {
			return nil, fmt.Errorf("dynamo: reservations of order %s: corrupt version %d", orderID, rec.Version)
		}
		s.version, s.stored = rec.Version, rec.SKUs
	}
	var held []inventory.Reservation
	for _, sku := range s.skus {
		if h, ok := rec.SKUs[string(sku)]; ok {
			held = append(held, h.reservation(sku, orderID))
		}
	}
	records := map[inventory.SKU]itemRecord{}
	var shardKeys []tableKey
	for _, av := range got[r.tables.Inventory] {
		ir, err := decodeItemRecord(av)
		if err != nil {
			return nil, err
		}
		sku := inventory.SKU(ir.SKU)
		records[sku] = ir
		for _, k := range shardsToRead(ir, rec.SKUs[ir.SKU]) {
			shardKeys = append(shardKeys, tableKey{r.tables.Inventory, shardKey(sku, k)})
		}
	}
	others := map[inventory.SKU][]inventory.ShardSnapshot{}
	if len(shardKeys) > 0 {
		got, err := batchGet(ctx, r.db, shardKeys)
		if err != nil {
			return nil, fmt.Errorf("dynamo: shards of order %s: %w", orderID, err)
		}
		snaps, err := decodeShardsBySKU(got[r.tables.Inventory], seen)
		if err != nil {
			return nil, err
		}
		others = snaps
	}
	var items []*inventory.Item
	for _, sku := range s.skus {
		ir, ok := records[sku]
		if !ok {
			continue
		}
		it, err := ir.item(others[sku])
		if err != nil {
			return nil, fmt.Errorf("dynamo: item %s: %w", sku, err)
		}
		items = append(items, it)
		s.itemRead[sku] = it.Version()
		s.shardRead[sku] = shardVersions(it)
	}
	s.OrderStock = inventory.NewOrderStock(orderID, lines, items, held)
	for _, sku := range s.skus {
		s.heldRead[sku] = s.Reservation(sku)
	}
	return s, nil
}

// shardsToRead are the shard items (index >= 1) of a SKU a step of an order holding h on it may move:
// all of them when the order holds nothing yet (a reservation), else those its parts name.
func shardsToRead(ir itemRecord, h reservationRecord) []int {
	if h.State == "" {
		return allShards(ir)
	}
	var out []int
	for _, p := range h.Parts {
		if p.Shard > 0 {
			out = append(out, p.Shard)
		}
	}
	return out
}

// decodeShardsBySKU sorts shard items read for several SKUs by SKU.
func decodeShardsBySKU(avs []map[string]types.AttributeValue, want map[inventory.SKU]bool) (map[inventory.SKU][]inventory.ShardSnapshot, error) {
	out := map[inventory.SKU][]inventory.ShardSnapshot{}
	for _, av := range avs {
		snaps, err := decodeShards([]map[string]types.AttributeValue{av}, want)
		if err != nil {
			return nil, err
		}
		of, _ := av["shardOf"].(*types.AttributeValueMemberS)
		out[inventory.SKU(of.Value)] = append(out[inventory.SKU(of.Value)], snaps...)
	}
	return out, nil
}

// writes are the transaction items of the moves: every item whose version moved, conditional on the
// version read, and the order's reservations record when a reservation moved, conditional on its
// version (or on there being none yet).
func (s *orderStock) writes(t Tables, now time.Time) ([]types.TransactWriteItem, error) {
	var out []types.TransactWriteItem
	moved := false
	for _, sku := range s.skus {
		moved = moved || s.Reservation(sku) != s.heldRead[sku]
		it, ok := s.Item(sku)
		if !ok {
			continue
		}
		// The item and the shard items that moved (none on a repeat for this order).
		w, err := itemWrites(t.Inventory, it, s.itemRead[sku], s.shardRead[sku])
		if err != nil {
			return nil, err
		}
		out = append(out, w...)
	}
	if !moved {
		return out, nil
	}
	rec := reservationsRecord{OrderID: s.OrderID(), Version: s.version + 1, UpdatedAt: now.UTC().Format(time.RFC3339Nano),
		SKUs: maps.Clone(s.stored)}
	if rec.SKUs == nil {
		rec.SKUs = map[string]reservationRecord{}
	}
	for _, sku := range s.skus {
		if r := s.Reservation(sku); r.Exists() {
			rec.SKUs[string(sku)] = toReservationRecord(r)
		}
	}
	av, err := attributevalue.MarshalMap(rec)
	if err != nil {
		return nil, err
	}
	if s.version == 0 {
		return append(out, newPut(t.Reservations, av, "orderId")), nil
	}
	return append(out, versionedPut(t.Reservations, av, s.version)), nil
}

// tableKey is the key of one item to read and its table.
type tableKey struct {
	table string
	key   map[string]types.AttributeValue
}

// batchGet reads items of one or more tables, strongly consistent, in as few BatchGetItem calls as the
// 100-key limit allows (one for any order), asking again for the keys a throttled call leaves
// unprocessed. It returns the items found by table.
func batchGet(ctx context.Context, db *dynamodb.Client, keys []tableKey) (map[string][]map[string]types.AttributeValue, error) {
	out := map[string][]map[string]types.AttributeValue{}
	for len(keys) > 0 {
		n := min(len(keys), 100)
		req := map[string]types.KeysAndAttributes{}
		for _, k := range keys[:n] {
			ka := req[k.table]
			ka.Keys, ka.ConsistentRead = append(ka.Keys, k.key), aws.Bool(true)
			req[k.table] = ka
		}
		keys = keys[n:]
		for len(req) > 0 {
			res, err := db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return nil, err
			}
			for table, avs := range res.Responses {
				out[table] = append(out[table], avs...)
			}
			req = res.UnprocessedKeys
		}
	}
	return out, nil
}
