package e2e

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orion-oss/orion/infra/engine/edge"
	"github.com/orion-oss/orion/infra/engine/monitoring"
	"github.com/orion-oss/orion/internal/order"
)

// emitted holds every metric the run's EMF lines declared (runLog feeds it each line the functions
// print), by namespace, name and exact dimension set, with the values seen for each dimension.
var emitted = metricLog{sets: map[string]map[string]map[string]bool{}}

type metricLog struct {
	mu sync.Mutex
	// sets: "Namespace Name" -> "K1,K2" (sorted keys) -> "K=v" seen.
	sets map[string]map[string]map[string]bool
}

// observe reads one output line: "[function] {EMF JSON}" (the local Lambda's prefix) or the JSON alone.
// CloudWatch turns each (dimension set, metric) of each CloudWatchMetrics directive into a data point
// of that metric with exactly that set.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
func (m *metricLog) observe(line string) {
	i := strings.IndexByte(line, '{')
	if i < 0 || !strings.Contains(line[i:], `"_aws"`) {
		return
	}
	var doc map[string]any
	if json.Unmarshal([]byte(line[i:]), &doc) != nil {
		return
	}
	var meta struct {
		CloudWatchMetrics []struct {
			Namespace  string
			Dimensions [][]string
			Metrics    []struct{ Name string }
		}
	}
	raw, _ := json.Marshal(doc["_aws"])
	if json.Unmarshal(raw, &meta) != nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, d := range meta.CloudWatchMetrics {
		for _, set := range d.Dimensions {
			keys := slices.Sorted(slices.Values(set))
			for _, metric := range d.Metrics {
				id := d.Namespace + " " + metric.Name
				if m.sets[id] == nil {
					m.sets[id] = map[string]map[string]bool{}
				}
				k := strings.Join(keys, ",")
				if m.sets[id][k] == nil {
					m.sets[id][k] = map[string]bool{}
				}
				for _, key := range keys {
					m.sets[id][k][key+"="+fmt.Sprint(doc[key])] = true
				}
			}
		}
	}
}

// lookup returns the dimension sets a metric was emitted with ("K1,K2" -> values seen).
func (m *metricLog) lookup(ns, name string) map[string]map[string]bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]map[string]bool{}
	for k, v := range m.sets[ns+" "+name] {
		out[k] = cloneValues(v)
	}
	return out
}

func (m *metricLog) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.sets)
}

func cloneValues(in map[string]bool) map[string]bool {
	out := make(map[string]bool, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}

// The EMF reader takes each directive's dimension sets and metrics, with the local prefix or without,
// and ignores lines that are not EMF.
func TestMetricLogReadsEMF(t *testing.T) {
	tests := []struct {
		line string
		want map[string]string // "Namespace Name" -> "keys"
	}{
		{`[orion-local-ProjectOrdersFunction] {"Reason":"CUSTOMER_REQUEST","Stage":"dev","OrdersCancelled":1,"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"Orion","Dimensions":[["Reason","Stage"]],"Metrics":[{"Name":"OrdersCancelled","Unit":"Count"}]}]}}`,
			map[string]string{"Orion OrdersCancelled": "Reason,Stage"}},
		{`{"Stage":"dev","WebSocketPushes":2,"StaleConnections":0,"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"Orion","Dimensions":[["Stage"]],"Metrics":[{"Name":"WebSocketPushes"},{"Name":"StaleConnections"}]}]}}`,
			map[string]string{"Orion WebSocketPushes": "Stage", "Orion StaleConnections": "Stage"}},
		{`{"OrdersPlaced":1,"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"Orion","Dimensions":[[]],"Metrics":[{"Name":"OrdersPlaced"}]}]}}`,
			map[string]string{"Orion OrdersPlaced": ""}},
		{`{"level":"INFO","msg":"request","status":500}`, nil},
		{`[fn] plain text`, nil},
	}
	for _, tt := range tests {
		m := metricLog{sets: map[string]map[string]map[string]bool{}}
		m.observe(tt.line)
		got := map[string]string{}
		for id, sets := range m.sets {
			for k := range sets {
				got[id] = k
			}
		}
		if len(got) != len(tt.want) {
			t.Errorf("%s: read %v; want %v", tt.line, got, tt.want)
		}
		for id, k := range tt.want {
			if got[id] != k {
				t.Errorf("%s: %s with %q; want %q", tt.line, id, got[id], k)
			}
		}
	}
	m := metricLog{sets: map[string]map[string]map[string]bool{}}
	m.observe(tests[0].line)
	if v := m.lookup("Orion", "OrdersCancelled")["Reason,Stage"]; !v["Stage=dev"] || !v["Reason=CUSTOMER_REQUEST"] {
		t.Errorf("values %v", v)
	}
}

// A 5xx answered by an API function is what stops a gradual deployment (ApiFunctionErrorsAlarm); no
// other test provokes one, so this one does (a DynamoDB failure behind GET /orders/{id}) for the
// whole-run check below to see the metric the alarm reads.
func TestMetricsHttp5xxIsEmitted(t *testing.T) {
	inProcessOnly(t, "injects a DynamoDB fault into the in-process runtime")
	tok := customerToken(t)
	id := "01JDQ7Z3M6X9V0YB2C4D5E6F7" + fmt.Sprint(time.Now().UnixNano()%10)
	remove := sys.stack.InjectFault(edge.Fault{Service: "dynamodb", Status: 500, Code: "InternalServerError", Message: "injected",
		Match: func(_ *http.Request, body []byte) bool { return strings.Contains(string(body), id) }})
	defer remove()
	// Not do(): the contract documents no 500 for the route, and this one is provoked on purpose.
	req, err := http.NewRequest("GET", sys.api+"/orders/"+id, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode < 500 {
		t.Fatalf("GET with DynamoDB failing: %d; want a 5xx", resp.StatusCode)
	}
	deadline := time.Now().Add(3 * time.Second)
	for len(emitted.lookup("Orion", "Http5xxResponses")) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the 5xx answered emitted no Http5xxResponses metric line")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Metrics a whole run of this package may never emit, each with why; their dimension sets are then
// checked whenever a run does emit them. Kept short: a metric belongs here only when provoking it would
// need a failure the tests cannot cause.
var mayNotEmit = map[string]string{}

// Dimension values an alarm or the dashboard fixes that a whole run may not produce, each with why.
var valueMayNotBeEmitted = map[string]string{
	// No test makes a saga step fail past every retry (a whole run emits OrdersFailed with other
	// reasons, PAYMENT_UNAVAILABLE among them); the reason is order.StepFailed, the value the saga
	// writes, so a rename breaks this line.
	"OrdersFailed Reason=" + string(order.StepFailed): "a saga step failing past its retries",
}

// After every other test of the package (a whole-run check: wholerun_test.go): every Orion metric an
// alarm or the dashboard reads was emitted during the run with exactly its dimension set (CloudWatch
// treats each dimension set as a separate metric) and with the values the template fixes (this stack's
// Stage above all). In a run of selected tests (-run) only the metrics the selection emitted are checked.
func metricsOfAlarmsAndDashboardAreEmitted(t *testing.T) {
	inProcessOnly(t, "reads the run's log (runLog) and the in-process stack's template")
	whole := flag.Lookup("test.run").Value.String() == ""
	// make test ran the externally observable tests against a dev system (infra/scripts/test.sh) and
	// runs only the in-process ones here: the two logs together are the whole run.
	if path := os.Getenv("ORION_E2E_DEV_LOG"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("the dev system's log: %v", err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			emitted.observe(line)
		}
		whole = true
	}
	if !whole && emitted.count() == 0 {
		t.Skip("no metric emitted by the selected tests")
	}
	if emitted.count() == 0 {
		t.Fatal("a whole run emitted no EMF line: does LoggingConfig let Lambda drop them, or is the harness no longer feeding runLog?")
	}
	refs, err := monitoring.Refs(sys.stack.Template(), sys.stack.Resolve)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, r := range refs {
		if r.Namespace != "Orion" {
			continue // AWS's own metrics: infra/orion/project holds them against AWS's documented sets
		}
		sets := emitted.lookup(r.Namespace, r.Name)
		if len(sets) == 0 {
			if why, ok := mayNotEmit[r.Name]; ok || !whole {
				t.Logf("%s: not emitted in this run (%s), not checked", r, why)
				continue
			}
			t.Errorf("%s: never emitted in a whole run of the package: no function emits it, or no test reaches it", r)
			continue
		}
		keys := strings.Join(r.Keys(), ",")
		values, ok := sets[keys]
		if !ok {
			var have []string
			for k := range sets {
				have = append(have, "["+k+"]")
			}
			sort.Strings(have)
			t.Errorf("%s: reads the dimension set [%s]; the functions emit %s %s with %s only", r, keys, r.Namespace, r.Name, strings.Join(have, ", "))
			continue
		}
		checked++
		for _, k := range r.Keys() {
			v := r.Dims[k]
			if v == "" || values[k+"="+v] {
				continue // any value (a SEARCH without a term on it), or seen
			}
			if why, ok := valueMayNotBeEmitted[r.Name+" "+k+"="+v]; ok && k != "Stage" {
				t.Logf("%s: %s=%s not emitted in this run (%s)", r, k, v, why)
				continue
			}
			var seen []string
			for s := range values {
				if strings.HasPrefix(s, k+"=") {
					seen = append(seen, s)
				}
			}
			sort.Strings(seen)
			if k == "Stage" || whole {
				t.Errorf("%s: selects %s=%q; the run emitted %v", r, k, v, seen)
			}
		}
	}
	if checked == 0 {
		t.Error("no alarm or dashboard metric on Orion matched an emitted one")
	}
}
