package relay_test

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orion-oss/orion/internal/adapter/dynamo/relay"
)

// The outbox relay reads a batch of stream records as the pipe sends them (JSON): any batch either
// becomes envelopes of valid events or fails as a whole (the pipe retries, then dead-letters it), never
// a partial or invented event.
func FuzzRecords(f *testing.F) {
	f.Add([]byte(`[{"eventID":"1","eventName":"INSERT","dynamodb":{"NewImage":{"envelope":{"S":"{}"}}}}]`))
	f.Add([]byte(`[{"eventID":"2","eventName":"REMOVE","dynamodb":{}}]`))
	f.Add([]byte(`[{"eventName":"INSERT","dynamodb":{"NewImage":{"envelope":{"N":"1"}}}}]`))
	f.Add([]byte(`[{"eventID":"3","eventName":"INSERT","dynamodb":{"NewImage":{"kind":{"S":"batch"},"envelopes":{"L":[{"S":"{}"},{"S":"{}"}]}}}}]`))
	f.Fuzz(func(t *testing.T, batch []byte) {
		var records []events.DynamoDBEventRecord
		if json.Unmarshal(batch, &records) != nil {
			return
		}
		envs, err := relay.Records(records)
		if err != nil {
			if envs != nil {
				t.Fatalf("a failed batch returned %d envelopes", len(envs))
			}
			return
		}
		// One envelope per INSERT of an event, and one per element of a batch (a list of envelopes).
		want := 0
		for _, r := range records {
			if r.EventName != "INSERT" {
				continue
			}
			if b, ok := r.Change.NewImage["envelopes"]; ok && b.DataType() == events.DataTypeList {
				want += len(b.List())
			} else {
				want++
			}
		}
		if len(envs) != want {
			t.Fatalf("%d envelopes from inserts holding %d", len(envs), want)
		}
		for _, e := range envs {
			if _, err := e.Payload(); err != nil {
				t.Fatalf("relayed an envelope whose payload does not decode: %v", err)
			}
		}
	})
}
