package benchreport

import (
	"fmt"
	"reflect"
	"slices"
)

// DynamoDB bills the writes it makes to a table's global secondary indexes on top of the table's own
// (on demand too: an index write consumes write request units for the index entry). moto reports no
// ConsumedCapacity, so the meter derives them, in exact mode, from the item's images before and after
// each write, by the rules of
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.ThroughputConsiderations.Writes:
//
//   - an item that enters an index (it now has every index key attribute) costs one put there;
//   - an item that leaves it (a key attribute removed, or the item deleted) costs one delete;
//   - a change of an index key attribute's value (A to B) costs two: a delete and a put;
//   - a change of a projected attribute that leaves the index keys alone costs one;
//   - an item in the index neither before nor after, or a write that changes nothing the index
//     projects, costs nothing there ("if a write to a table does not require a global secondary index
//     update, then no write capacity is consumed from the index").
//
// Each index write is ⌈entry size/1 KB⌉ units, the entry being the projected attributes plus the table's
// key plus the index key attributes (the Storage Considerations of the same page; its 100 bytes of
// overhead per index item are storage only, not request units). An update in place is sized, like the
// table write, on the larger of the entry's two images.
//
// Transactions: DynamoDB performs two underlying writes of every item in a TransactWriteItems, one to
// prepare and one to commit, so each costs twice
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-capacity-handling).
// That page speaks of the items in the transaction and is silent about the index writes; it says only
// that a transaction's changes reach the indexes "eventually, after the transaction completes
// successfully", which suggests a single write per index. The meter takes the conservative reading and
// doubles a transaction's index writes too (gsiTransactFactor), and keeps that part apart
// (usage.GSIWRUTransact) so the report shows what the other reading would give.
//
// A failed write (a condition not met, a cancelled transaction) changes no item, so it writes no index
// entry: the table still bills it, the indexes do not.
const gsiTransactFactor = 2

// gsi is one global secondary index of a table, as DescribeTable returns it. The local tables are
// created from template.yaml by infra/engine, so this is the template's definition.
type gsi struct {
	Name       string
	Keys       []string // index key attributes: partition key, then sort key if any
	Projection string   // ALL, KEYS_ONLY or INCLUDE
	Include    []string // NonKeyAttributes of an INCLUDE projection
}

// parseGSIs reads the GlobalSecondaryIndexes of a DescribeTable's Table.
func parseGSIs(table map[string]any) []gsi {
	list, _ := table["GlobalSecondaryIndexes"].([]any)
	var out []gsi
	for _, e := range list {
		em, _ := e.(map[string]any)
		name, _ := em["IndexName"].(string)
		if name == "" {
			continue
		}
		ix := gsi{Name: name, Projection: "ALL"}
		ks, _ := em["KeySchema"].([]any)
		for _, k := range ks {
			if km, ok := k.(map[string]any); ok {
				ix.Keys = append(ix.Keys, fmt.Sprint(km["AttributeName"]))
			}
		}
		if p, ok := em["Projection"].(map[string]any); ok {
			if t, _ := p["ProjectionType"].(string); t != "" {
				ix.Projection = t
			}
			nk, _ := p["NonKeyAttributes"].([]any)
			for _, a := range nk {
				ix.Include = append(ix.Include, fmt.Sprint(a))
			}
		}
		out = append(out, ix)
	}
	return out
}

// projected names the attributes an index copies: nil for ALL (every attribute), else the table's key,
// the index's key and, for INCLUDE, its non-key attributes.
func (ix gsi) projected(tableKeys []string) []string {
	if ix.Projection == "ALL" {
		return nil
	}
	names := slices.Concat(tableKeys, ix.Keys)
	if ix.Projection == "INCLUDE" {
		names = append(names, ix.Include...)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// in tells whether an item appears in the index: it has every index key attribute (a sparse index
// leaves the others out).
func (ix gsi) in(item map[string]any) bool {
	if item == nil {
		return false
	}
	for _, k := range ix.Keys {
		if _, ok := item[k]; !ok {
			return false
		}
	}
	return true
}

// entrySize is the size of the item's entry in the index: its projected attributes, names plus values.
func entrySize(item map[string]any, projected []string) int {
	if projected == nil {
		return itemSize(item)
	}
	n := 0
	for _, name := range projected {
		if v, ok := item[name]; ok {
			n += len(name) + valueSize(v)
		}
	}
	return n
}

// gsiUnits is what one write of an item (before and after images; nil: absent) costs in one index, in
// write request units, before any transaction factor.
func gsiUnits(ix gsi, tableKeys []string, before, after map[string]any) float64 {
	proj := ix.projected(tableKeys)
	inBefore, inAfter := ix.in(before), ix.in(after)
	switch {
	case !inBefore && !inAfter:
		return 0
	case !inBefore:
		return units(entrySize(after, proj), 1024)
	case !inAfter:
		return units(entrySize(before, proj), 1024)
	}
	for _, k := range ix.Keys {
		if !sameValue(before[k], after[k]) {
			return units(entrySize(before, proj), 1024) + units(entrySize(after, proj), 1024)
		}
	}
	if !changed(before, after, proj) {
		return 0
	}
	return units(max(entrySize(before, proj), entrySize(after, proj)), 1024)
}

// changed tells whether any of the names (nil: any attribute at all) differs between the images.
func changed(before, after map[string]any, names []string) bool {
	if names == nil {
		if len(before) != len(after) {
			return true
		}
		for name, v := range before {
			if w, ok := after[name]; !ok || !sameValue(v, w) {
				return true
			}
		}
		return false
	}
	for _, name := range names {
		v, inB := before[name]
		w, inA := after[name]
		if inB != inA || !sameValue(v, w) {
			return true
		}
	}
	return false
}

// sameValue compares two attribute values as DynamoDB would: sets are unordered.
func sameValue(a, b any) bool {
	return reflect.DeepEqual(canonical(a), canonical(b))
}

func canonical(v any) any {
	av, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := make(map[string]any, len(av))
	for typ, x := range av {
		switch typ {
		case "SS", "NS", "BS":
			list, _ := x.([]any)
			s := make([]string, 0, len(list))
			for _, e := range list {
				s = append(s, fmt.Sprint(e))
			}
			slices.Sort(s)
			out[typ] = s
		case "L":
			list, _ := x.([]any)
			c := make([]any, len(list))
			for i, e := range list {
				c[i] = canonical(e)
			}
			out[typ] = c
		case "M":
			mm, _ := x.(map[string]any)
			c := make(map[string]any, len(mm))
			for k, e := range mm {
				c[k] = canonical(e)
			}
			out[typ] = c
		default:
			out[typ] = x
		}
	}
	return out
}

// gsiWrite is one table write's index writes: units by index ("projections/ByStatus"), factor applied.
func (m *meter) gsiWrite(table string, factor float64, before, after map[string]any) map[string]float64 {
	out := map[string]float64{}
	for _, ix := range m.gsis[table] {
		if n := gsiUnits(ix, m.keys[table], before, after); n > 0 {
			out[shortTable(table)+"/"+ix.Name] += factor * n
		}
	}
	return out
}
