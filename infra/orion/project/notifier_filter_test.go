package project_test

import (
	"fmt"
	"testing"

	"github.com/orion-oss/orion/infra/engine/eventpattern"
	"github.com/orion-oss/orion/infra/engine/sam"
)

// The notifier's event source mapping invokes it only for writes of order views (docs/adr/0026): not
// for the catalog views that share the table, and not for removals (a view is never deleted but by
// hand, which tells the client nothing).
func TestNotifierStreamTakesOnlyOrderViewWrites(t *testing.T) {
	tpl, err := sam.Load("../../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	props := tpl.Resources["NotifyOrderStatusEventSource"].Properties
	fc, _ := props["FilterCriteria"].(map[string]any)
	filters, _ := fc["Filters"].([]any)
	if len(filters) != 1 {
		t.Fatalf("filters %v; want one", fc)
	}
	f, _ := filters[0].(map[string]any)
	pattern, _ := f["Pattern"].(string)
	p, err := eventpattern.Compile([]byte(pattern))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, record string
		want         bool
	}{
		{"an order view's first write", `{"eventName":"INSERT","dynamodb":{"Keys":{"pk":{"S":"ORDER#01J"},"sk":{"S":"VIEW"}}}}`, true},
		{"an order view's change", `{"eventName":"MODIFY","dynamodb":{"Keys":{"pk":{"S":"ORDER#01J"},"sk":{"S":"VIEW"}}}}`, true},
		{"an order view removed", `{"eventName":"REMOVE","dynamodb":{"Keys":{"pk":{"S":"ORDER#01J"},"sk":{"S":"VIEW"}}}}`, false},
		{"a catalog view", `{"eventName":"MODIFY","dynamodb":{"Keys":{"pk":{"S":"SKU#A"},"sk":{"S":"CATALOG"}}}}`, false},
		{"another item of an order", `{"eventName":"MODIFY","dynamodb":{"Keys":{"pk":{"S":"ORDER#01J"},"sk":{"S":"OTHER"}}}}`, false},
	} {
		got, err := p.Match([]byte(tt.record))
		if err != nil || got != tt.want {
			t.Errorf("%s: matched %v (%v); want %v", tt.name, got, err, tt.want)
		}
	}
	if props["StartingPosition"] != "TRIM_HORIZON" || fmt.Sprint(props["ParallelizationFactor"]) != "1" {
		t.Errorf("starting position %v, parallelization %v; want TRIM_HORIZON and 1 (an order's pushes in order)",
			props["StartingPosition"], props["ParallelizationFactor"])
	}
}
