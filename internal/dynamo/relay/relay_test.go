package relay_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orion-oss/orion/internal/dynamo/relay"
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
