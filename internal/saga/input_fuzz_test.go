package saga

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/order"
)

// A step's input comes from the state machine (the ASL's Parameters over the execution input): any JSON
// either names a valid order, with a correlation to stamp on its events, or is an InvalidInput, which
// the state machine does not retry.
func FuzzStepInput(f *testing.F) {
	f.Add([]byte(`{"orderId":"01JDQ7Z3M6X9V0YB2C4D5E6F7G","correlationId":"c","attempt":1}`))
	f.Add([]byte(`{"orderId":"../../x","outcome":{"status":"CANCELLED","reason":"x"}}`))
	f.Add([]byte(`{"orderId":7}`))
	f.Add([]byte(`{"orderId":"01JDQ7Z3M6X9V0YB2C4D5E6F7G","execution":{"lines":[{"sku":"A-1","quantity":-1}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var in Input
		if json.Unmarshal(b, &in) != nil {
			return
		}
		// The lines an input tells are only ever valid ones, or none.
		for _, l := range in.stockLines() {
			if _, err := inventory.ParseSKU(string(l.SKU)); err != nil || l.Quantity < 1 {
				t.Fatalf("stock line %+v from %s", l, b)
			}
		}
		id, cause, err := in.parse()
		if err != nil {
			var invalid *InvalidInput
			if !errors.As(err, &invalid) {
				t.Fatalf("err = %v; want an InvalidInput", err)
			}
			if !errors.As(classify(err), &invalid) {
				t.Fatalf("classify(%v) is retried", err)
			}
			return
		}
		if _, err := order.ParseID(string(id)); err != nil || cause.CorrelationID == "" {
			t.Fatalf("accepted %q (%v) with correlation %q", id, err, cause.CorrelationID)
		}
	})
}

// The stock steps take the order's lines from the execution's input when it tells them, and from
// nowhere when any is not a line: the order's own are read then.
func TestStepInputStockLines(t *testing.T) {
	tests := []struct {
		name, in string
		want     []inventory.Line
	}{
		{"the execution's", `{"execution":{"lines":[{"sku":"A-1","quantity":2},{"sku":"B-2","quantity":1}]}}`,
			[]inventory.Line{{SKU: "A-1", Quantity: 2}, {SKU: "B-2", Quantity: 1}}},
		{"the input's own", `{"lines":[{"sku":"A-1","quantity":2}]}`, []inventory.Line{{SKU: "A-1", Quantity: 2}}},
		{"the execution's first", `{"lines":[{"sku":"A-1","quantity":9}],"execution":{"lines":[{"sku":"A-1","quantity":2}]}}`,
			[]inventory.Line{{SKU: "A-1", Quantity: 2}}},
		{"an execution started without", `{"execution":{"orderId":"x"}}`, nil},
		{"none", `{}`, nil},
		{"a bad SKU", `{"execution":{"lines":[{"sku":"A-1","quantity":2},{"sku":"../x","quantity":1}]}}`, nil},
		{"no quantity", `{"execution":{"lines":[{"sku":"A-1","quantity":0}]}}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in Input
			if err := json.Unmarshal([]byte(tt.in), &in); err != nil {
				t.Fatal(err)
			}
			if got := in.stockLines(); !slices.Equal(got, tt.want) || (tt.want == nil) != (len(got) == 0) {
				t.Errorf("stockLines() = %v; want %v", got, tt.want)
			}
		})
	}
}
