package relay

import (
	"context"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orion-oss/orion/internal/event"
)

// Handler is the outbox-relay function, the outbox Pipes' enrichment step: a batch of stream records
// in, their envelopes out (Records), one log line per batch. A batch that fails is returned as an
// error: the Pipe retries it and then sends it to its dead-letter queue, since skipping it would lose
// events.
type Handler struct {
	Logger *slog.Logger
}

// Handle relays one batch.
func (h Handler) Handle(ctx context.Context, records []events.DynamoDBEventRecord) ([]event.Envelope, error) {
	log := h.Logger
	if log == nil {
		log = slog.Default()
	}
	envs, err := Records(records)
	if err != nil {
		log.ErrorContext(ctx, "outbox batch not relayed", "records", len(records), "error", err)
		return nil, err
	}
	log.InfoContext(ctx, "outbox batch relayed", "records", len(records), "events", len(envs))
	return envs, nil
}
