// Command outbox-relay is the enrichment step of the outbox Pipe: it turns outbox stream records into
// the event envelopes that the Pipe puts on the EventBridge bus (detail-type and source come from them).
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/orion-oss/orion/internal/adapter/dynamo/relay"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/platform/logging"
)

func main() {
	// Not boot.Logger: the relay has no AWS client, so it links no AWS configuration at all.
	log := logging.FromEnv()
	lambda.Start(func(ctx context.Context, records []events.DynamoDBEventRecord) ([]event.Envelope, error) {
		envs, err := relay.Records(records)
		if err != nil {
			log.ErrorContext(ctx, "outbox batch not relayed", "records", len(records), "error", err)
			return nil, err
		}
		log.InfoContext(ctx, "outbox batch relayed", "records", len(records), "events", len(envs))
		return envs, nil
	})
}
