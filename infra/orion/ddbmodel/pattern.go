package ddbmodel

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
)

// Step names of a Pattern: the saga's stock steps as the real code runs them.
const (
	StepReserve = "reserve" // ReserveStock that found stock: order, item(s), reservations, outbox
	StepReject  = "reject"  // ReserveStock that found none: the order rejected, the item only read
	StepConfirm = "confirm" // ConfirmOrder: reserved units become sold
	StepRelease = "release" // ReleaseStock of a reserved order (compensation)
)

// Pattern is what one attempt of each stock step sends to DynamoDB, in order, as recorded from the real
// stores (record.Record): the model replays it, it does not guess it.
type Pattern struct {
	// Name says what was recorded ("single item", "4 shards").
	Name string `json:"name"`
	// Source says how (the recorder, the code it ran).
	Source string `json:"source"`
	// Shards is how many items hold the SKU's stock (1: one item).
	Shards int `json:"shards"`
	// Steps are the calls of one attempt of each step (StepReserve, ...).
	Steps map[string][]Call `json:"steps"`
}

// Call is one DynamoDB request of a step.
type Call struct {
	Op string `json:"op"` // GetItem, BatchGetItem, TransactWriteItems, UpdateItem, ...
	// Transactional: a TransactWriteItems (2 WRU per KB) or TransactGetItems.
	Transactional bool `json:"transactional,omitempty"`
	// Write: the call writes (its items' units are write request units).
	Write bool   `json:"write,omitempty"`
	Items []Item `json:"items"`
}

// Item is one item a call reads or writes.
type Item struct {
	Table string `json:"table"` // the table's role: orders, inventory, reservations, outbox
	// Hot: one of the SKU's stock items (the item, or a shard of it).
	Hot bool `json:"hot,omitempty"`
	// Bytes is the item's size as DynamoDB bills it (the larger of before and after for a write).
	Bytes int `json:"bytes"`
	// Units are the request units DynamoDB bills for it: WRU for a write (2 per KB in a transaction,
	// 1 otherwise), RRU for a read (1 per 4 KB strongly consistent).
	Units float64 `json:"units"`
	// Condition is a write's ConditionExpression: on the version read ("version = :read", cancelled
	// whenever anyone wrote the item since), or on the counters ("available >= :n", cancelled only
	// when the stock is short).
	Condition string `json:"condition,omitempty"`
	// Item: a read of the SKU's own item rather than of a shard item (a sharded design that still
	// reads the item puts every such read on one partition, the model's shard 0).
	Item bool `json:"item,omitempty"`
}

// cost is what one attempt of a step does to the SKU's item(s), from the pattern.
type cost struct {
	readRRU   float64 // read units on the hot item, per hot item read
	hotReads  int     // hot items read per attempt
	itemReads int     // of which reads of the SKU's own item (shard 0), not of a shard
	writeWRU  float64 // write units on the hot item, per hot item written
	txn       bool    // the hot write is a TransactWriteItems (conflicts; throttling cancels it)
	versions  bool    // the hot write is conditional on the version read (else on the counters)
	writes    bool    // the step writes the hot item at all
	allWRU    float64 // write units of every item of the step, all tables (for the per-order total)
}

func (p Pattern) cost(step string) (cost, error) {
	calls, ok := p.Steps[step]
	if !ok {
		return cost{}, fmt.Errorf("ddbmodel: pattern %q has no %s step", p.Name, step)
	}
	var c cost
	for _, call := range calls {
		for _, it := range call.Items {
			if call.Write {
				c.allWRU += it.Units
			}
			if !it.Hot {
				continue
			}
			if call.Write {
				c.writes, c.txn = true, call.Transactional
				c.versions = strings.Contains(it.Condition, "version")
				c.writeWRU = max(c.writeWRU, it.Units)
			} else {
				c.hotReads++
				if it.Item {
					c.itemReads++
				}
				c.readRRU = max(c.readRRU, it.Units)
			}
		}
	}
	return c, nil
}

//go:embed patterns/single.json
var singleJSON []byte

//go:embed patterns/sharded.json
var shardedJSON []byte

// RecordedShards is how many shards patterns/sharded.json was recorded at (WithShards re-scales it).
const RecordedShards = 4

// ShardedStore is the write pattern of the sharded store as built (internal/adapter/dynamo: a
// reservation reads a window of two shard items, each step writes the shard it moves conditional on the
// counters it lowers), recorded by record.Record at RecordedShards shards from a warm container
// (patterns/sharded.json; the record test fails when the code's pattern changes). WithShards makes it
// any N.
func ShardedStore() Pattern {
	var p Pattern
	if err := json.Unmarshal(shardedJSON, &p); err != nil {
		panic(fmt.Sprintf("ddbmodel: patterns/sharded.json: %v", err)) // embedded: a build defect
	}
	return p
}

// SingleItem is the write pattern of today's code, one item per SKU, as record.Record captured it from
// the saga's steps against the emulator (patterns/single.json; record's test fails when the code's
// pattern changes and -update rewrites it).
func SingleItem() Pattern {
	var p Pattern
	if err := json.Unmarshal(singleJSON, &p); err != nil {
		panic(fmt.Sprintf("ddbmodel: patterns/single.json: %v", err)) // embedded: a build defect
	}
	return p
}

// Sharded derives an n-shard pattern from a single-item one: every access of the SKU's item goes to one
// of n shard items instead (the order's shard, or the next ones when it is short), with the same
// sizes and units. It stands in for a recorded sharded pattern until the sharded store exists.
func Sharded(p Pattern, n int) Pattern {
	q := p
	q.Shards = n
	q.Name = fmt.Sprintf("%d shards (derived from %s)", n, p.Name)
	q.Source = "derived: " + p.Source
	return q
}

// CounterConditions derives a pattern whose writes of the SKU's items are conditional on the counters
// (an UpdateItem-style "available >= :n" in the same transaction) rather than on the version read: a
// write then fails only when another transaction is writing the item at that moment or the stock is
// short, not whenever the item changed since it was read. It shows what that change to the store
// would buy for a design recorded with version conditions (the sharded store's own recording,
// ShardedStore, already writes so).
func CounterConditions(p Pattern) Pattern {
	q := p
	q.Name = p.Name + ", counter conditions"
	q.Steps = map[string][]Call{}
	for step, calls := range p.Steps {
		out := make([]Call, len(calls))
		for i, c := range calls {
			c.Items = append([]Item(nil), c.Items...)
			for j := range c.Items {
				if c.Items[j].Hot && c.Write {
					c.Items[j].Condition = "available >= :n"
				}
			}
			out[i] = c
		}
		q.Steps[step] = out
	}
	return q
}

// ShardedReadingAll derives an n-shard pattern from a single-item one in which a reservation reads
// every shard (shard 0 being the SKU's own item) and takes from the first with stock, and the other
// steps read the SKU's item and the order's shard: the design of the sharded store under way
// (internal/adapter/dynamo/shards.go), until it is recorded. Every shard's partition then serves a read
// per reservation, whatever n.
func ShardedReadingAll(p Pattern, n int) Pattern {
	q := withHotReads(Sharded(p, n), p, n, min(2, n), true)
	q.Name = fmt.Sprintf("%d shards, every shard read (derived from %s)", n, p.Name)
	return q
}

// withHotReads is q with each read of the SKU's items in p's steps made reserve times in a reservation
// (or a rejection) and other times in the other steps: how many shard items each reads (the SKU's own
// item among them for the other steps when item is set).
func withHotReads(q, p Pattern, reserve, other int, item bool) Pattern {
	q.Steps = map[string][]Call{}
	for step, calls := range p.Steps {
		reads := other
		if step == StepReserve || step == StepReject {
			reads = reserve
		}
		out := make([]Call, len(calls))
		for i, c := range calls {
			var items []Item
			for _, it := range c.Items {
				items = append(items, it)
				if it.Hot && !c.Write {
					extra := it
					extra.Item = item && reads == other && step != StepReserve && step != StepReject
					for range reads - 1 {
						items = append(items, extra)
					}
				}
			}
			c.Items = items
			out[i] = c
		}
		q.Steps[step] = out
	}
	return q
}

// ShardedReadingWindow derives the sharded store as it was before its shard writes were conditional on
// the counters (internal/adapter/dynamo, reservations.go; ShardedStore is the store as built): a
// reservation reads a window of w shards (inventory.ReadWindow: its start shard and the next), and the
// other steps read only the shard the order's part names, never the SKU's item. Each shard's partition
// then serves w/n of the reservations' reads.
func ShardedReadingWindow(p Pattern, n, w int) Pattern {
	q := withHotReads(Sharded(p, n), p, min(w, n), 1, false)
	q.Name = fmt.Sprintf("%d shards, a window of %d read (derived from %s)", n, w, p.Name)
	return q
}

// WithShards re-scales a sharded pattern (recorded at p.Shards shards) to n: a step that reads every
// one of the SKU's shard items, in one call or over several (a rejection reads its window, then the
// others), reads n of them instead, the extra ones (or fewer) in its last call reading shards; every
// other call is as recorded (a window of two stays two). It lets one recording of a sharded store
// stand for any number of shards.
func WithShards(p Pattern, n int) Pattern {
	q := p
	q.Shards = n
	q.Name = fmt.Sprintf("%d shards (%s re-scaled)", n, p.Name)
	q.Steps = map[string][]Call{}
	shardRead := func(c Call, it Item) bool { return it.Hot && !c.Write && !it.Item }
	for step, calls := range p.Steps {
		total, last := 0, -1
		for i, c := range calls {
			for _, it := range c.Items {
				if shardRead(c, it) {
					total++
					last = i
				}
			}
		}
		out := make([]Call, len(calls))
		for i, c := range calls {
			c.Items = append([]Item(nil), c.Items...)
			if i == last && p.Shards > 1 && total >= p.Shards {
				var items []Item
				var shard Item
				for _, it := range c.Items {
					if shardRead(c, it) {
						shard = it
						continue
					}
					items = append(items, it)
				}
				earlier := total - countShardReads(c) // reads of earlier calls stay as they are
				for range max(0, n-earlier) {
					items = append(items, shard)
				}
				c.Items = items
			}
			out[i] = c
		}
		q.Steps[step] = out
	}
	return q
}

func countShardReads(c Call) int {
	n := 0
	for _, it := range c.Items {
		if it.Hot && !c.Write && !it.Item {
			n++
		}
	}
	return n
}
