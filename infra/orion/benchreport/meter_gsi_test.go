package benchreport

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"testing"
)

// The items below, sized by hand (attribute name plus value, as DynamoDB sizes them):
//
//	pk "ORDER#1"                      2 + 7  =  9
//	sk "VIEW"                         2 + 4  =  6
//	status "PENDING"                  6 + 7  = 13   ("CONFIRMED": 6 + 9 = 15)
//	createdKey "2026-12-03T10:00:00Z" 10 + 20 = 30
//	customerId "C1"                   10 + 2 = 12
//	createdDay "2026-12-03"           10 + 10 = 20
//	total N "1250"                    5 + 3  =  8   (four digits: (4+1)/2 + 1)
//
// so the whole item is 98 bytes, one unit.
func gsiItem(edits ...func(map[string]any)) map[string]any {
	item := map[string]any{
		"pk":         map[string]any{"S": "ORDER#1"},
		"sk":         map[string]any{"S": "VIEW"},
		"status":     map[string]any{"S": "PENDING"},
		"createdKey": map[string]any{"S": "2026-12-03T10:00:00Z"},
		"customerId": map[string]any{"S": "C1"},
		"createdDay": map[string]any{"S": "2026-12-03"},
		"total":      map[string]any{"N": "1250"},
	}
	for _, e := range edits {
		e(item)
	}
	return item
}

func set(name string, v map[string]any) func(map[string]any) {
	return func(m map[string]any) { m[name] = v }
}

func without(name string) func(map[string]any) {
	return func(m map[string]any) { delete(m, name) }
}

func str(s string) map[string]any { return map[string]any{"S": s} }

var (
	tableKeys  = []string{"pk", "sk"}
	byStatus   = gsi{Name: "ByStatus", Keys: []string{"status", "createdKey"}, Projection: "ALL"}
	byCustomer = gsi{Name: "ByCustomer", Keys: []string{"customerId"}, Projection: "KEYS_ONLY"}
	byDay      = gsi{Name: "ByDay", Keys: []string{"createdDay"}, Projection: "INCLUDE", Include: []string{"total", "lines"}}
)

func TestItemSizeOfTheGSIFixture(t *testing.T) {
	if got := itemSize(gsiItem()); got != 98 {
		t.Fatalf("itemSize = %d; the hand-computed sizes above say 98", got)
	}
}

// Each case is one table write seen through one index, with the units DynamoDB's rules give for it
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.ThroughputConsiderations.Writes).
func TestGSIUnits(t *testing.T) {
	note := func(n int) func(map[string]any) { return set("note", str(strings.Repeat("x", n))) }
	lines := func(n int) func(map[string]any) { return set("lines", str(strings.Repeat("x", n))) }
	tests := []struct {
		name          string
		ix            gsi
		before, after map[string]any
		want          float64
	}{
		// ALL: the entry is the whole item.
		{"new item enters", byStatus, nil, gsiItem(), 1},
		{"update defines the missing key attribute: enters", byStatus, gsiItem(without("status")), gsiItem(), 1},
		{"item deleted: leaves", byStatus, gsiItem(), nil, 1},
		{"update removes a key attribute: leaves", byStatus, gsiItem(), gsiItem(without("status")), 1},
		{"partition key changes: delete plus put", byStatus, gsiItem(), gsiItem(set("status", str("CONFIRMED"))), 2},
		{"sort key changes: delete plus put", byStatus, gsiItem(), gsiItem(set("createdKey", str("2026-12-03T10:00:01Z"))), 2},
		{"projected non-key attribute changes: one update", byStatus, gsiItem(), gsiItem(set("total", map[string]any{"N": "1300"})), 1},
		{"attribute added: one update", byStatus, gsiItem(), gsiItem(set("paid", map[string]any{"BOOL": true})), 1},
		{"nothing changes: nothing", byStatus, gsiItem(), gsiItem(), 0},
		{"in the index neither before nor after: nothing", byStatus, gsiItem(without("status")), gsiItem(without("status"), set("total", map[string]any{"N": "9"})), 0},
		{"absent before and after: nothing", byStatus, nil, nil, 0},
		{"a set in another order is the same set", byStatus,
			gsiItem(set("tags", map[string]any{"SS": []any{"a", "b"}})), gsiItem(set("tags", map[string]any{"SS": []any{"b", "a"}})), 0},
		// Sizes across 1 KB. note of 926 bytes: 98 + 4 + 926 = 1028 > 1024; of 900: 1002.
		{"entering entry over 1 KB: 2 units", byStatus, nil, gsiItem(note(926)), 2},
		{"entry of 1002 bytes: 1 unit", byStatus, nil, gsiItem(note(900)), 1},
		{"update in place grows past 1 KB: the larger image, 2", byStatus, gsiItem(note(900)), gsiItem(note(926)), 2},
		{"update in place shrinks below 1 KB: the larger image, 2", byStatus, gsiItem(note(926)), gsiItem(note(900)), 2},
		{"key change from 1002 to 1030 bytes: 1 + 2", byStatus, gsiItem(note(900)), gsiItem(note(926), set("status", str("CONFIRMED"))), 3},
		{"leaving entry of 1028 bytes: 2", byStatus, gsiItem(note(926)), nil, 2},
		// KEYS_ONLY: table key + index key, pk 9 + sk 6 + customerId 12 = 27 bytes.
		{"KEYS_ONLY: non-key change: nothing", byCustomer, gsiItem(), gsiItem(set("total", map[string]any{"N": "1300"})), 0},
		{"KEYS_ONLY: an index key of another index changes: nothing", byCustomer, gsiItem(), gsiItem(set("status", str("CONFIRMED"))), 0},
		{"KEYS_ONLY: entering with a 2 KB note: the entry is 27 bytes, 1", byCustomer, nil, gsiItem(note(2000)), 1},
		{"KEYS_ONLY: key change: 2", byCustomer, gsiItem(), gsiItem(set("customerId", str("C2"))), 2},
		{"KEYS_ONLY: leaves when its key goes", byCustomer, gsiItem(note(2000)), gsiItem(note(2000), without("customerId")), 1},
		// INCLUDE: keys + total + lines: pk 9 + sk 6 + createdDay 20 + total 8 = 43 bytes without lines.
		{"INCLUDE: included attribute changes: 1", byDay, gsiItem(), gsiItem(set("total", map[string]any{"N": "1300"})), 1},
		{"INCLUDE: included attribute added: 1", byDay, gsiItem(), gsiItem(lines(10)), 1},
		{"INCLUDE: attribute not included changes: nothing", byDay, gsiItem(), gsiItem(set("status", str("CONFIRMED")), note(5000)), 0},
		// lines of 977 bytes: 43 + 5 + 977 = 1025 > 1024; of 976: 1024.
		{"INCLUDE: entry of 1025 bytes: 2", byDay, nil, gsiItem(lines(977), note(5000)), 2},
		{"INCLUDE: entry of exactly 1 KB: 1", byDay, nil, gsiItem(lines(976), note(5000)), 1},
		{"INCLUDE: key change with a 1025-byte entry: 2 + 2", byDay, gsiItem(lines(977)), gsiItem(lines(977), set("createdDay", str("2026-12-04"))), 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := gsiUnits(tt.ix, tableKeys, tt.before, tt.after); got != tt.want {
				t.Errorf("gsiUnits = %v; want %v", got, tt.want)
			}
		})
	}
}

func TestGSIEntrySize(t *testing.T) {
	item := gsiItem(set("note", str("abc")))
	for _, tt := range []struct {
		ix   gsi
		want int
	}{
		{byStatus, 98 + 4 + 3},
		{byCustomer, 9 + 6 + 12},
		{byDay, 9 + 6 + 20 + 8}, // lines absent: nothing for it
	} {
		if got := entrySize(item, tt.ix.projected(tableKeys)); got != tt.want {
			t.Errorf("%s: entrySize = %d; want %d", tt.ix.Name, got, tt.want)
		}
	}
}

// DescribeTable's GlobalSecondaryIndexes, as the emulator returns them for the tables infra/engine
// creates from template.yaml.
func TestParseGSIs(t *testing.T) {
	var out map[string]any
	desc := `{"Table":{"TableName":"orion-local-projections","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],
	"GlobalSecondaryIndexes":[
	 {"IndexName":"ByStatus","KeySchema":[{"AttributeName":"status","KeyType":"HASH"},{"AttributeName":"createdKey","KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL"}},
	 {"IndexName":"ByCustomer","KeySchema":[{"AttributeName":"customerId","KeyType":"HASH"}],"Projection":{"ProjectionType":"KEYS_ONLY"}},
	 {"IndexName":"ByDay","KeySchema":[{"AttributeName":"createdDay","KeyType":"HASH"}],"Projection":{"ProjectionType":"INCLUDE","NonKeyAttributes":["total","lines"]}}]}}`
	if err := json.Unmarshal([]byte(desc), &out); err != nil {
		t.Fatal(err)
	}
	got := parseGSIs(out["Table"].(map[string]any))
	want := []gsi{byStatus, byCustomer, byDay}
	if len(got) != len(want) {
		t.Fatalf("parseGSIs = %+v", got)
	}
	for i := range want {
		if got[i].Name != want[i].Name || got[i].Projection != want[i].Projection ||
			strings.Join(got[i].Keys, ",") != strings.Join(want[i].Keys, ",") || strings.Join(got[i].Include, ",") != strings.Join(want[i].Include, ",") {
			t.Errorf("index %d = %+v; want %+v", i, got[i], want[i])
		}
	}
	if got := parseGSIs(map[string]any{}); got != nil {
		t.Errorf("a table without indexes: %+v", got)
	}
}

// The meter counts index writes apart from the table's, doubles them in a transaction, and counts none
// for a failed write or a ConditionCheck; the table's own units are unchanged by them.
func TestMeterAccountsGSIWrites(t *testing.T) {
	const table = "orion-local-projections"
	m := &meter{keys: map[string][]string{table: tableKeys}, gsis: map[string][]gsi{table: {byStatus, byCustomer}},
		sizes: map[string]int{}, usage: map[string]*usage{}, errs: map[string]int{}, keyWRU: map[string]float64{}}
	key := `{"pk":{"S":"ORDER#1"},"sk":{"S":"VIEW"}}`
	var k map[string]any
	_ = json.Unmarshal([]byte(key), &k)
	id := itemRef{table: table, key: k}.id()
	img := func(item map[string]any) map[string]map[string]any { return map[string]map[string]any{id: item} }
	confirmed := gsiItem(set("status", str("CONFIRMED")))
	failure := []byte(`{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"}`)

	steps := []struct {
		name          string
		op, body      string
		status        int
		resp          []byte
		before, after map[string]map[string]any
		wru, gsiWRU   float64 // added by the step
		gsiTransact   float64
	}{
		// Put of a new item of 98 bytes: table 1; ByStatus 1 + ByCustomer 1.
		{"put enters both indexes", "PutItem", `{"TableName":"` + table + `","Item":` + mustJSON(gsiItem()) + `}`, 200, nil, img(nil), img(gsiItem()), 1, 2, 0},
		// Status change in a transaction: table 2 × 1; ByStatus key change 2 × (1 + 1); ByCustomer unchanged.
		{"transactional key change", "TransactWriteItems", `{"TransactItems":[{"Update":{"TableName":"` + table + `","Key":` + key + `}}]}`, 200, nil, img(gsiItem()), img(confirmed), 2, 4, 4},
		// The same update failing its condition: the table bills it, the indexes see nothing.
		{"failed update", "UpdateItem", `{"TableName":"` + table + `","Key":` + key + `}`, 400, failure, img(confirmed), nil, 1, 0, 0},
		// A ConditionCheck writes no index entry (but costs the table 2 in a transaction).
		{"condition check", "TransactWriteItems", `{"TransactItems":[{"ConditionCheck":{"TableName":"` + table + `","Key":` + key + `}}]}`, 200, nil, img(confirmed), img(confirmed), 2, 0, 0},
		// Delete: table 1; leaves both indexes, 1 each.
		{"delete leaves both", "DeleteItem", `{"TableName":"` + table + `","Key":` + key + `}`, 200, nil, img(confirmed), img(nil), 1, 2, 0},
		// Not in exact mode: no images, no index writes known.
		{"no images", "PutItem", `{"TableName":"` + table + `","Item":` + mustJSON(gsiItem()) + `}`, 200, nil, nil, nil, 1, 0, 0},
	}
	for _, s := range steps {
		before, _ := m.snapshot()
		m.account("projector", s.op, []byte(s.body), s.resp, s.status, s.before, s.after)
		after, _ := m.snapshot()
		b, a := before["projector"], after["projector"]
		if d := a.WRU - b.WRU; d != s.wru {
			t.Errorf("%s: table WRU +%v; want +%v", s.name, d, s.wru)
		}
		if d := a.GSIWRU - b.GSIWRU; d != s.gsiWRU {
			t.Errorf("%s: GSI WRU +%v; want +%v", s.name, d, s.gsiWRU)
		}
		if d := a.GSIWRUTransact - b.GSIWRUTransact; d != s.gsiTransact {
			t.Errorf("%s: transactional GSI WRU +%v; want +%v", s.name, d, s.gsiTransact)
		}
	}
	u, _ := m.snapshot()
	want := map[string]float64{"projections/ByStatus": 1 + 4 + 1, "projections/ByCustomer": 1 + 1}
	if got := u["projector"].GSIWRUByIndex; !maps.Equal(got, want) {
		t.Errorf("GSI WRU by index = %v; want %v", got, want)
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// The work-per-order table keeps "DynamoDB WRU" as the tables' own, as in earlier reports, and shows the
// index writes and the total beside it; each path names its indexes' share.
func TestWorkReportShowsGSIWRU(t *testing.T) {
	r := &Report{Work: []PathWork{{Path: "confirmed", Orders: 1, WRU: 20, GSIWRU: 12.5, GSIWRUTransact: 4,
		WRUByFn: map[string]float64{"projector": 9}, GSIWRUByFn: map[string]float64{"projector": 8.5}, Invocations: map[string]float64{"projector": 3},
		GSIWRUByIndex: map[string]float64{"projections/ByStatus": 8.5, "orders/ByCustomer": 4}}}}
	var b strings.Builder
	r.work(func(format string, args ...any) { b.WriteString(fmt.Sprintf(format, args...)) })
	for _, want := range []string{
		"| DynamoDB WRU | 20 |\n",
		"| DynamoDB GSI WRU | 12.50 |\n",
		"| DynamoDB WRU, table + GSI | 32.50 |\n",
		"| function | invocations | billed ms | RRU | WRU | GSI WRU | AWS calls |",
		"| projector | 3 | 0 | 0 | 9 | 8.50 |  |\n",
		"GSI WRU per index: orders/ByCustomer 4, projections/ByStatus 8.50; in transactions (counted twice) 4.\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("work section lacks %q:\n%s", want, b.String())
		}
	}
}
