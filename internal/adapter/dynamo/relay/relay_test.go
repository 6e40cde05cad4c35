package relay_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orion-oss/orion/internal/adapter/dynamo/relay"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/money"
)

func record(t *testing.T, name, envelope string) events.DynamoDBEventRecord {
	t.Helper()
	img := `{}`
	if envelope != "" {
		b, _ := json.Marshal(map[string]any{"eventId": map[string]string{"S": "e"}, "envelope": map[string]string{"S": envelope}})
		img = string(b)
	}
	raw := `{"eventID":"1","eventName":"` + name + `","eventSource":"aws:dynamodb","dynamodb":{"NewImage":` + img + `,"SequenceNumber":"1"}}`
	var r events.DynamoDBEventRecord
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRecords(t *testing.T) {
	price, _ := money.New(100, "USD")
	env, err := event.Wrap(event.InventoryUpdated{SKU: "A", Name: "a", Price: price, Available: 1, ItemVersion: 1},
		event.Meta{ID: "e1", OccurredAt: time.Now(), CorrelationID: "c1"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(env)
	out, err := relay.Records([]events.DynamoDBEventRecord{record(t, "INSERT", string(b)), record(t, "REMOVE", "")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out[0].ID != "e1" || out[0].Type != "InventoryUpdated" || out[0].Source != "orion.inventory" || out[0].CorrelationID != "c1" {
		t.Fatalf("relayed %+v", out)
	}
	for _, bad := range []events.DynamoDBEventRecord{record(t, "INSERT", "{not json"), record(t, "INSERT", "")} {
		if _, err := relay.Records([]events.DynamoDBEventRecord{bad}); err == nil || (!errors.Is(err, event.ErrMalformed) && !strings.Contains(err.Error(), "no envelope")) {
			t.Fatalf("a broken outbox record was not refused: %v", err)
		}
	}
}

// envelope is the JSON of a valid event with the given id, as the outbox holds it.
func envelope(t *testing.T, id string) string {
	t.Helper()
	env, err := event.Wrap(event.InventoryLow{SKU: "A", Name: "a", Available: 1, Threshold: 3, ItemVersion: 2},
		event.Meta{ID: id, OccurredAt: time.Now(), CorrelationID: "c1"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(env)
	return string(b)
}

// image is a stream record of the given outbox item image, in DynamoDB JSON.
func image(t *testing.T, eventID, name string, img map[string]any) events.DynamoDBEventRecord {
	t.Helper()
	b, err := json.Marshal(map[string]any{"eventID": eventID, "eventName": name, "eventSource": "aws:dynamodb",
		"dynamodb": map[string]any{"NewImage": img, "SequenceNumber": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	var r events.DynamoDBEventRecord
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func single(t *testing.T, eventID, body string) events.DynamoDBEventRecord {
	return image(t, eventID, "INSERT", map[string]any{"eventId": map[string]string{"S": eventID}, "envelope": map[string]string{"S": body}})
}

// batch is the record of an outbox batch item, its envelopes as a list of strings.
func batch(t *testing.T, eventID, name string, bodies ...string) events.DynamoDBEventRecord {
	list := make([]any, len(bodies))
	for i, b := range bodies {
		list[i] = map[string]string{"S": b}
	}
	return image(t, eventID, name, map[string]any{"eventId": map[string]string{"S": eventID}, "kind": map[string]string{"S": "batch"},
		"envelopes": map[string]any{"L": list}})
}

func TestBatchRecordsBecomeOneEventEachInOrder(t *testing.T) {
	e := func(id string) string { return envelope(t, id) }
	for _, tc := range []struct {
		name    string
		records []events.DynamoDBEventRecord
		want    []string
	}{
		{"a batch", []events.DynamoDBEventRecord{batch(t, "r1", "INSERT", e("e1"), e("e2"), e("e3"))}, []string{"e1", "e2", "e3"}},
		{"single, batch, single", []events.DynamoDBEventRecord{single(t, "r1", e("e1")), batch(t, "r2", "INSERT", e("e2"), e("e3"), e("e4")), single(t, "r3", e("e5"))},
			[]string{"e1", "e2", "e3", "e4", "e5"}},
		{"two batches", []events.DynamoDBEventRecord{batch(t, "r1", "INSERT", e("e1"), e("e2")), batch(t, "r2", "INSERT", e("e3"))}, []string{"e1", "e2", "e3"}},
		{"a batch's TTL deletion", []events.DynamoDBEventRecord{batch(t, "r1", "REMOVE", e("e1")), single(t, "r2", e("e2"))}, []string{"e2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := relay.Records(tc.records)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, env := range out {
				if env.Type != event.TypeInventoryLow || env.Source != "orion.inventory" || env.CorrelationID != "c1" {
					t.Fatalf("relayed %+v", env)
				}
				got = append(got, env.ID)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("relayed %v; want %v", got, tc.want)
			}
		})
	}
}

// A batch item that does not hold only valid envelopes fails the stream batch, naming the record.
func TestABrokenBatchRecordFailsTheBatch(t *testing.T) {
	ok := envelope(t, "e1")
	for _, tc := range []struct {
		name      string
		record    events.DynamoDBEventRecord
		want      string
		malformed bool // the envelope itself is broken (event.ErrMalformed)
	}{
		{"an undecodable envelope", batch(t, "rec-7", "INSERT", ok, "{not json", ok), "envelope 1 of 3", true},
		{"an envelope without its fields", batch(t, "rec-7", "INSERT", ok, "{}"), "envelope 1 of 2", true},
		{"an empty batch", batch(t, "rec-7", "INSERT"), "no envelope", false},
		{"an element that is not a string", image(t, "rec-7", "INSERT", map[string]any{"envelopes": map[string]any{"L": []any{map[string]string{"N": "1"}}}}), "no envelope", false},
		{"envelopes that are not a list", image(t, "rec-7", "INSERT", map[string]any{"envelopes": map[string]string{"S": ok}}), "no envelope", false},
		{"both an envelope and a batch", image(t, "rec-7", "INSERT", map[string]any{"envelope": map[string]string{"S": ok},
			"envelopes": map[string]any{"L": []any{map[string]string{"S": ok}}}}), "both", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := relay.Records([]events.DynamoDBEventRecord{single(t, "rec-6", ok), tc.record})
			if err == nil || out != nil {
				t.Fatalf("relayed %d envelopes, error %v; want the batch refused", len(out), err)
			}
			if !strings.Contains(err.Error(), "outbox record 1 (rec-7)") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not name the record and say %q", err, tc.want)
			}
			if errors.Is(err, event.ErrMalformed) != tc.malformed {
				t.Fatalf("error %q: malformed %v; want %v", err, errors.Is(err, event.ErrMalformed), tc.malformed)
			}
		})
	}
}
