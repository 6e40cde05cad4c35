package benchreport

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestParseGoBenchTakesMedians(t *testing.T) {
	out := `goos: linux
pkg: github.com/orion-oss/orion/internal/api
BenchmarkPlace-2   	  50000	     30000 ns/op	    8905 B/op	     123 allocs/op
BenchmarkPlace-2   	  50000	     20000 ns/op	    8905 B/op	     121 allocs/op
BenchmarkPlace-2   	  50000	     25000 ns/op	    8905 B/op	     125 allocs/op
pkg: github.com/orion-oss/orion/internal/web
BenchmarkPlumbing/EncodeJSON-2 	 1000	 896.4 ns/op	 1104 B/op	 16 allocs/op
`
	got := parseGoBench(out)
	if len(got) != 2 {
		t.Fatalf("got %+v", got)
	}
	if p := got[0]; p.Package != "internal/api" || p.Name != "BenchmarkPlace" || p.NsPerOp != 25000 || p.Allocs != 123 || p.Runs != 3 {
		t.Fatalf("place: %+v", p)
	}
	if w := got[1]; w.Package != "internal/web" || w.Name != "BenchmarkPlumbing/EncodeJSON" || w.NsPerOp != 896.4 {
		t.Fatalf("web: %+v", w)
	}
}

// DynamoDB's sizes: names plus values; numbers about a byte per two digits plus one; maps and lists 3 bytes plus
// one per element.
func TestItemSizeAndUnits(t *testing.T) {
	item := map[string]any{
		"pk":  map[string]any{"S": "ITEM#MUG"},                                     // 2 + 8
		"n":   map[string]any{"N": "1250"},                                         // 1 + 3
		"ok":  map[string]any{"BOOL": true},                                        // 2 + 1
		"res": map[string]any{"M": map[string]any{"a": map[string]any{"S": "xy"}}}, // 3 + 3 + (1 + 1 + 2)
	}
	if got := itemSize(item); got != 10+4+3+10 {
		t.Fatalf("itemSize = %d", got)
	}
	for _, c := range []struct {
		size, unit int
		want       float64
	}{{0, 1024, 1}, {1024, 1024, 1}, {1025, 1024, 2}, {4097, 4096, 2}} {
		if got := units(c.size, c.unit); got != c.want {
			t.Fatalf("units(%d, %d) = %v; want %v", c.size, c.unit, got, c.want)
		}
	}
}

// A read is named by its tables and index; continuation pages and writes are not reads of their own.
func TestReadTarget(t *testing.T) {
	tests := []struct {
		op, req string
		want    string
		ok      bool
	}{
		{"GetItem", `{"TableName":"orion-local-orders","Key":{}}`, "orders", true},
		{"Query", `{"TableName":"orion-local-connections","IndexName":"ByUser"}`, "connections/ByUser", true},
		{"Query", `{"TableName":"orion-local-connections","IndexName":"ByUser","ExclusiveStartKey":{"pk":{"S":"x"}}}`, "", false},
		{"BatchGetItem", `{"RequestItems":{"orion-local-orders":{},"orion-local-inventory":{}}}`, "inventory+orders", true},
		{"TransactGetItems", `{"TransactItems":[{"Get":{"TableName":"orion-local-orders"}},{"Get":{"TableName":"orion-local-orders"}}]}`, "orders", true},
		{"PutItem", `{"TableName":"orion-local-orders"}`, "", false},
	}
	for _, tt := range tests {
		var req map[string]any
		if err := json.Unmarshal([]byte(tt.req), &req); err != nil {
			t.Fatal(err)
		}
		got, ok := readTarget(tt.op, req)
		if got != tt.want || ok != tt.ok {
			t.Errorf("readTarget(%s, %s) = %q, %v; want %q, %v", tt.op, tt.req, got, ok, tt.want, tt.ok)
		}
	}
}

// A failed run names its failing packages and lines, wherever they are in the output.
func TestFailuresNamesWhatFailed(t *testing.T) {
	out := "goos: linux\npkg: x/a\n--- FAIL: BenchmarkA\n    a_test.go:12: store: timeout\nFAIL\tx/a\t3.1s\npkg: x/b\nBenchmarkB-2 10 5 ns/op\nok\tx/b\t1s\nFAIL\n"
	got := failures(out)
	for _, want := range []string{"--- FAIL: BenchmarkA", "a_test.go:12: store: timeout", "FAIL\tx/a\t3.1s"} {
		if !strings.Contains(got, want) {
			t.Errorf("failures() = %q; want it to contain %q", got, want)
		}
	}
	if strings.Contains(got, "x/b") {
		t.Errorf("failures() = %q names the package that passed", got)
	}
	if got := failures("ok\tx/b\t1s\n"); got != "no failing package named in the output" {
		t.Errorf("failures(passing output) = %q", got)
	}
}

// A saturated emulator never goes idle, so its busy period is still open when a load level measures
// it: the stats count it up to now, and a level taken inside one long period reads as fully busy.
func TestMeterCountsAnOpenBusyPeriod(t *testing.T) {
	m := &meter{}
	m.begin(true)
	m.begin(false)
	before := m.stats()
	time.Sleep(20 * time.Millisecond)
	m.end(false, time.Millisecond) // requests overlap: the emulator stays busy
	m.begin(false)
	after := m.stats()
	if busy := after.Busy - before.Busy; busy < 20*time.Millisecond {
		t.Errorf("busy %v over 20ms with requests always in flight; want all of it", busy)
	}
	if busy := after.DDBBusy - before.DDBBusy; busy < 20*time.Millisecond {
		t.Errorf("DynamoDB busy %v over 20ms with a DynamoDB request in flight; want all of it", busy)
	}
	m.end(false, time.Millisecond)
	m.end(true, time.Millisecond)
	idle := m.stats()
	time.Sleep(5 * time.Millisecond)
	if later := m.stats(); later.Busy != idle.Busy || later.DDBBusy != idle.DDBBusy {
		t.Errorf("an idle emulator grew busy: %v -> %v", idle, later)
	}
}
