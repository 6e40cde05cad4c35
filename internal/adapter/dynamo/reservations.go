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
// item on its version, a shard item on the counters its move lowers or on its version (itemWrites; no
// oversell either way), the reservations on theirs (no move applied twice, even apart from the order's
// own version).
type orderStock struct {
	*inventory.OrderStock
	skus     []inventory.SKU // in the order's line order, once each
	itemRead map[inventory.SKU]int64
	// shardRead: the shard items as read, by SKU and shard index.
	shardRead map[inventory.SKU]map[int]inventory.ShardSnapshot
	// ownRead: the SKUs whose item's own counters were read (unsharded, or a sharded one read whole).
	ownRead  map[inventory.SKU]bool
	heldRead map[inventory.SKU]inventory.Reservation
	version  int64                        // the reservations record's version; 0: none is stored
	stored   map[string]reservationRecord // the record's entries as read, kept for SKUs not asked for
	// also is the first BatchGetItem's answer by table when orderStock was given extra keys, whose
	// items the caller reads from it.
	also map[string][]map[string]types.AttributeValue
}

// orderStock reads the items of the lines and the order's reservations of them, strongly consistent:
// the order's record and the items in one BatchGetItem, then, for sharded SKUs, the shard items the
// step may move in a second one: every shard for a line the order holds nothing on yet (a reservation
// walks them all), else only the shards its reservation took from. A SKU the repository knows to be
// sharded (shardings) is read without its item, so that a sale's steps never read the one item every
// order of the SKU shares (docs/adr/0021-hot-sku-shards.md): the item is read only when the step may
// move its own counters (a reservation on it, or a reservation whose shard items hold too few units;
// then every shard it lists is read too, so a refusal is decided on the whole SKU). Missing items are
// absent from the stock; an item the order holds nothing on gets NoReservation. The first BatchGetItem
// also reads the extra keys (the order itself, for a step that knows its lines: Saga.UpdateOrderStockOf),
// whose items are in the answer's also.
func (r *InventoryRepository) orderStock(ctx context.Context, orderID string, lines []inventory.Line, extra ...tableKey) (*orderStock, error) {
	s := &orderStock{itemRead: map[inventory.SKU]int64{}, shardRead: map[inventory.SKU]map[int]inventory.ShardSnapshot{}, ownRead: map[inventory.SKU]bool{}, heldRead: map[inventory.SKU]inventory.Reservation{}}
	now := r.now()
	keys := []tableKey{{r.tables.Reservations, map[string]types.AttributeValue{"orderId": &types.AttributeValueMemberS{Value: orderID}}}}
	seen := map[inventory.SKU]bool{}
	need := map[inventory.SKU]inventory.Quantity{}
	known := map[inventory.SKU]itemRecord{} // sharded SKUs read without their item (counters not used)
	for _, l := range lines {
		need[l.SKU] += l.Quantity
		if seen[l.SKU] {
			continue
		}
		seen[l.SKU] = true
		s.skus = append(s.skus, l.SKU)
		if ir, ok := r.shardings.get(l.SKU, now); ok {
			known[l.SKU] = ir
			continue
		}
		keys = append(keys, tableKey{r.tables.Inventory, itemKey(l.SKU)})
	}
	got, err := batchGet(ctx, r.db, append(keys, extra...))
	if err != nil {
		return nil, fmt.Errorf("dynamo: stock of order %s: %w", orderID, err)
	}
	if len(extra) > 0 {
		s.also = got
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
	records := map[inventory.SKU]itemRecord{} // items read now: their own counters count
	if err := r.addItems(got[r.tables.Inventory], records, now); err != nil {
		return nil, err
	}
	// Second read: the shard items, and the item of a known sharded SKU whose own counters may move.
	var more []tableKey
	read := map[inventory.SKU]map[int]bool{}
	for _, sku := range s.skus {
		h := rec.SKUs[string(sku)]
		ir, fresh := records[sku]
		itemRead := fresh
		if !fresh {
			if ir, fresh = known[sku]; !fresh {
				continue // no such item
			}
			if h.State != "" && onItem(h) {
				more = append(more, tableKey{r.tables.Inventory, itemKey(sku)})
			}
		}
		ks := shardsToRead(ir, h)
		if !itemRead && h.State == "" {
			// A reservation on a SKU this container knows is sharded reads its window of shards; the
			// fallback below reads the item and the others when the window is short.
			ks = inventory.ReadWindow(orderID, ir.Shards, reserveWindow)
		}
		for _, k := range ks {
			more = append(more, tableKey{r.tables.Inventory, shardKey(sku, k)})
			if read[sku] == nil {
				read[sku] = map[int]bool{}
			}
			read[sku][k] = true
		}
	}
	others, err := r.readMore(ctx, orderID, more, records, seen, now)
	if err != nil {
		return nil, err
	}
	// A reservation of a SKU read without its item whose shard items hold too few units: read the item,
	// then every shard it lists that was not read, and decide on all of it.
	more = nil
	for sku := range known {
		if _, fresh := records[sku]; !fresh && rec.SKUs[string(sku)].State == "" && available(others[sku]) < need[sku] {
			more = append(more, tableKey{r.tables.Inventory, itemKey(sku)})
		}
	}
	if _, err := r.readMore(ctx, orderID, more, records, seen, now); err != nil {
		return nil, err
	}
	more = nil
	for sku := range known {
		ir, fresh := records[sku]
		if !fresh || rec.SKUs[string(sku)].State != "" {
			continue
		}
		for k := 1; k < ir.ShardSpan; k++ {
			if !read[sku][k] {
				more = append(more, tableKey{r.tables.Inventory, shardKey(sku, k)})
			}
		}
	}
	last, err := r.readMore(ctx, orderID, more, records, seen, now)
	if err != nil {
		return nil, err
	}
	var items []*inventory.Item
	for _, sku := range s.skus {
		snaps := append(others[sku], last[sku]...)
		ir, fresh := records[sku]
		if fresh {
			snaps = within(snaps, ir.ShardSpan)
		} else if ir, fresh = known[sku]; !fresh {
			continue
		} else {
			// A part on a shard created after this container last read the item (another container
			// reserved there): the shard exists, so the span reaches it.
			for _, sn := range snaps {
				ir.ShardSpan = max(ir.ShardSpan, sn.Index+1)
			}
		}
		snap, err := ir.snapshot(snaps)
		if err != nil {
			return nil, fmt.Errorf("dynamo: item %s: %w", sku, err)
		}
		if _, ownRead := records[sku]; !ownRead {
			snap.OwnUnread = true // a known sharded SKU's shard items alone: the item is neither counted nor written
		}
		it, err := inventory.FromSnapshot(snap)
		if err != nil {
			return nil, fmt.Errorf("dynamo: item %s: %w", sku, err)
		}
		items = append(items, it)
		s.itemRead[sku] = it.Version()
		s.shardRead[sku] = shardsRead(it)
		s.ownRead[sku] = !snap.OwnUnread
	}
	s.OrderStock = inventory.NewOrderStock(orderID, lines, items, held)
	for _, sku := range s.skus {
		s.heldRead[sku] = s.Reservation(sku)
	}
	return s, nil
}

func itemKey(sku inventory.SKU) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"sku": &types.AttributeValueMemberS{Value: string(sku)}}
}

// addItems decodes items read into records and tells the shardings what they say.
func (r *InventoryRepository) addItems(avs []map[string]types.AttributeValue, records map[inventory.SKU]itemRecord, now time.Time) error {
	for _, av := range avs {
		ir, err := decodeItemRecord(av)
		if err != nil {
			return err
		}
		records[inventory.SKU(ir.SKU)] = ir
		r.shardings.put(ir, now)
	}
	return nil
}

// readMore reads items and shard items in one BatchGetItem (none: no call): items go to records, shard
// items are returned by SKU.
func (r *InventoryRepository) readMore(ctx context.Context, orderID string, keys []tableKey, records map[inventory.SKU]itemRecord,
	want map[inventory.SKU]bool, now time.Time) (map[inventory.SKU][]inventory.ShardSnapshot, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	got, err := batchGet(ctx, r.db, keys)
	if err != nil {
		return nil, fmt.Errorf("dynamo: shards of order %s: %w", orderID, err)
	}
	var items, shards []map[string]types.AttributeValue
	for _, av := range got[r.tables.Inventory] {
		if _, ok := av["shardOf"]; ok {
			shards = append(shards, av)
		} else {
			items = append(items, av)
		}
	}
	if err := r.addItems(items, records, now); err != nil {
		return nil, err
	}
	return decodeShardsBySKU(shards, want)
}

// reserveWindow is how many shards a reservation reads first (inventory.ReadWindow): two, so that one
// shard short of a line's units rarely costs the second read.
const reserveWindow = 2

// onItem reports whether a reservation holds units on the item itself (shard 0).
func onItem(h reservationRecord) bool {
	if len(h.Parts) == 0 {
		return true
	}
	for _, p := range h.Parts {
		if p.Shard == 0 {
			return true
		}
	}
	return false
}

func available(snaps []inventory.ShardSnapshot) inventory.Quantity {
	var n inventory.Quantity
	for _, s := range snaps {
		n += s.Available
	}
	return n
}

// within drops shard items beyond an item's span (read on a stale sharding, before the item said how
// many there are).
func within(snaps []inventory.ShardSnapshot, span int) []inventory.ShardSnapshot {
	var out []inventory.ShardSnapshot
	for _, s := range snaps {
		if s.Index < span {
			out = append(out, s)
		}
	}
	return out
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
		// The item and the shard items that moved (none on a repeat for this order). A step that read only
		// shard items (a sale's steps of a sharded SKU) writes them conditional on the counters it lowers;
		// one that read the item's own counters too decides on exact figures (the low-stock alert, the
		// item's figures for the catalog) and writes conditional on the versions read, as an unsharded
		// item always is (docs/adr/0021-hot-sku-shards.md, "Counter-conditioned writes").
		how := byCounters
		if s.ownRead[sku] {
			how = byVersion
		}
		w, err := itemWrites(t.Inventory, it, s.itemRead[sku], s.shardRead[sku], how)
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
