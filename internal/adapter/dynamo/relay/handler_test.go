package relay_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orion-oss/orion/internal/adapter/dynamo/relay"
)

// The handler answers the Pipe with the batch's events, or fails the whole batch, with one log line
// either way.
func TestHandlerRelaysABatchOrFailsIt(t *testing.T) {
	tests := []struct {
		name    string
		records []events.DynamoDBEventRecord
		events  []string // the ids relayed; nil: the batch fails
		log     string
	}{
		{"single and batch items", []events.DynamoDBEventRecord{single(t, "rec-1", envelope(t, "e1")),
			batch(t, "rec-2", "INSERT", envelope(t, "e2"), envelope(t, "e3")), record(t, "REMOVE", "")},
			[]string{"e1", "e2", "e3"}, `"msg":"outbox batch relayed","records":3,"events":3`},
		{"a record without an envelope", []events.DynamoDBEventRecord{single(t, "rec-1", envelope(t, "e1")), record(t, "INSERT", "")},
			nil, `"msg":"outbox batch not relayed","records":2`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			h := relay.Handler{Logger: slog.New(slog.NewJSONHandler(&logs, nil))}
			envs, err := h.Handle(context.Background(), tt.records)
			if (err != nil) != (tt.events == nil) {
				t.Fatalf("Handle = %d events, %v", len(envs), err)
			}
			var ids []string
			for _, e := range envs {
				ids = append(ids, e.ID)
			}
			if strings.Join(ids, ",") != strings.Join(tt.events, ",") {
				t.Fatalf("relayed %v; want %v", ids, tt.events)
			}
			if lines := strings.Split(strings.TrimSpace(logs.String()), "\n"); len(lines) != 1 || !strings.Contains(lines[0], tt.log) {
				t.Fatalf("log:\n%s\nwant one line with %s", logs.String(), tt.log)
			}
		})
	}
}
