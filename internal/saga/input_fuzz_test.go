package saga

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/orion-oss/orion/internal/order"
)

// A step's input comes from the state machine (the ASL's Parameters over the execution input): any JSON
// either names a valid order, with a correlation to stamp on its events, or is an InvalidInput, which
// the state machine does not retry.
func FuzzStepInput(f *testing.F) {
	f.Add([]byte(`{"orderId":"01JDQ7Z3M6X9V0YB2C4D5E6F7G","correlationId":"c","attempt":1}`))
	f.Add([]byte(`{"orderId":"../../x","outcome":{"status":"CANCELLED","reason":"x"}}`))
	f.Add([]byte(`{"orderId":7}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var in Input
		if json.Unmarshal(b, &in) != nil {
			return
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
