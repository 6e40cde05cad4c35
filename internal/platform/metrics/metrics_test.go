package metrics_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/orion-oss/orion/internal/platform/metrics"
)

type emf struct {
	AWS struct {
		Timestamp         int64
		CloudWatchMetrics []struct {
			Namespace  string
			Dimensions [][]string
			Metrics    []struct{ Name, Unit string }
		}
	} `json:"_aws"`
}

// lines decodes the EMF lines written, checking each against the specification's required shape:
// every declared metric and dimension has a value at the top level.
func lines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var all []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var doc emf
		var flat map[string]any
		if json.Unmarshal([]byte(l), &doc) != nil || json.Unmarshal([]byte(l), &flat) != nil {
			t.Fatalf("not JSON: %q", l)
		}
		if doc.AWS.Timestamp == 0 || len(doc.AWS.CloudWatchMetrics) != 1 || doc.AWS.CloudWatchMetrics[0].Namespace != metrics.Namespace {
			t.Fatalf("not EMF: %q", l)
		}
		d := doc.AWS.CloudWatchMetrics[0]
		for _, m := range d.Metrics {
			if _, ok := flat[m.Name].(float64); !ok || m.Unit == "" {
				t.Fatalf("metric %s has no value or unit: %q", m.Name, l)
			}
		}
		for _, set := range d.Dimensions {
			for _, k := range set {
				if _, ok := flat[k].(string); !ok {
					t.Fatalf("dimension %s has no value: %q", k, l)
				}
			}
		}
		all = append(all, flat)
	}
	return all
}

func TestOrderFunnel(t *testing.T) {
	tests := []struct {
		status, reason string
		since          time.Duration
		want           []map[string]any
	}{
		{"PENDING", "", 0, []map[string]any{{"OrdersPlaced": 1.0}}},
		{"RESERVED", "", time.Second, nil},
		{"CONFIRMED", "", 1500 * time.Millisecond, []map[string]any{{"OrdersConfirmed": 1.0}, {"SagaDuration": 1500.0, "Outcome": "CONFIRMED"}}},
		{"REJECTED", "OUT_OF_STOCK", 300 * time.Millisecond, []map[string]any{{"OrdersRejected": 1.0, "Reason": "OUT_OF_STOCK"}, {"SagaDuration": 300.0}}},
		{"SHIPPED", "", 48 * time.Hour, []map[string]any{{"OrdersShipped": 1.0}}},
		{"DELIVERED", "", 96 * time.Hour, []map[string]any{{"OrdersDelivered": 1.0}}},
		{"FAILED", "PAYMENT_UNAVAILABLE", 5 * time.Second, []map[string]any{{"OrdersFailed": 1.0, "Reason": "PAYMENT_UNAVAILABLE"}, {"SagaDuration": 5000.0}}},
	}
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			var buf bytes.Buffer
			metrics.New(&buf).OrderStatus(tt.status, tt.reason, tt.since)
			if tt.want == nil {
				if buf.Len() != 0 {
					t.Fatalf("emitted %q", buf.String())
				}
				return
			}
			got := lines(t, buf.String())
			if len(got) != len(tt.want) {
				t.Fatalf("%d lines; want %d: %s", len(got), len(tt.want), buf.String())
			}
			for i, w := range tt.want {
				for k, v := range w {
					if got[i][k] != v {
						t.Fatalf("line %d: %s = %v; want %v", i, k, got[i][k], v)
					}
				}
			}
		})
	}
	var none *metrics.Emitter
	none.Emit(nil, metrics.Metric{Name: "X", Unit: metrics.Count, Value: 1}) // a nil emitter is a no-op
}

// Every line carries the Stage dimension of its emitter, in the declared dimension set as well as the
// values, whatever the call site passes; without a stage, none.
func TestStageDimension(t *testing.T) {
	tests := []struct {
		name, stage string
		dims        map[string]string
		want        []string // the declared dimension set
	}{
		{"no dimensions", "prod", nil, []string{"Stage"}},
		{"call site dimensions", "dev", map[string]string{"Reason": "OUT_OF_STOCK"}, []string{"Reason", "Stage"}},
		{"call site cannot override", "prod", map[string]string{"Stage": "dev"}, []string{"Stage"}},
		{"no stage", "", map[string]string{"Kind": "x"}, []string{"Kind"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			in := map[string]string{}
			for k, v := range tt.dims {
				in[k] = v
			}
			metrics.NewForStage(&buf, tt.stage).Emit(tt.dims, metrics.Metric{Name: "X", Unit: metrics.Count, Value: 1})
			got := lines(t, buf.String())[0]
			var doc emf
			if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
				t.Fatal(err)
			}
			if set := doc.AWS.CloudWatchMetrics[0].Dimensions[0]; strings.Join(set, ",") != strings.Join(tt.want, ",") {
				t.Errorf("dimension set %v; want %v", set, tt.want)
			}
			if tt.stage != "" && got["Stage"] != tt.stage {
				t.Errorf("Stage = %v; want %q", got["Stage"], tt.stage)
			}
			if tt.stage == "" && got["Stage"] != nil {
				t.Errorf("Stage = %v without a stage", got["Stage"])
			}
			for k, v := range in {
				if tt.dims[k] != v {
					t.Errorf("the caller's dimensions changed: %v", tt.dims)
				}
			}
		})
	}
	t.Setenv("STAGE", "local")
	var buf bytes.Buffer
	metrics.New(&buf).Emit(nil, metrics.Metric{Name: "X", Unit: metrics.Count, Value: 1})
	if got := lines(t, buf.String())[0]["Stage"]; got != "local" {
		t.Errorf("New: Stage = %v; want the STAGE variable's local", got)
	}
}
