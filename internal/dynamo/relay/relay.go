// Package relay turns the outbox table's stream records into the events the outbox Pipe puts on the
// bus (the outbox-relay function, the Pipe's enrichment). It is apart from package dynamo because it
// needs no DynamoDB client: the function that runs it should not link and initialize one at each cold
// start.
package relay

import (
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orion-oss/orion/internal/event"
)

// Records turns outbox stream records into the envelopes the outbox Pipe puts on the bus, in stream
// order. Records that are not outbox INSERTs (TTL deletions) are skipped; the pipe's filter drops them
// already. A record whose envelope cannot be decoded fails the whole batch: the pipe retries and then
// dead-letters it, because skipping it would lose an event.
func Records(records []events.DynamoDBEventRecord) ([]event.Envelope, error) {
	out := make([]event.Envelope, 0, len(records))
	for i, r := range records {
		if r.EventName != "INSERT" {
			continue
		}
		av, ok := r.Change.NewImage["envelope"]
		if !ok || av.DataType() != events.DataTypeString {
			return nil, fmt.Errorf("relay: outbox record %d (%s) has no envelope", i, r.EventID)
		}
		env, err := event.Decode([]byte(av.String()))
		if err != nil {
			return nil, fmt.Errorf("relay: outbox record %d (%s): %w", i, r.EventID, err)
		}
		out = append(out, env)
	}
	return out, nil
}
