// Command project-orders builds the order views of the query side from order events (EventBridge rule).
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orion-oss/orion/internal/dynamo"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/platform/boot"
	"github.com/orion-oss/orion/internal/platform/logging"
)

func main() {
	log := boot.Logger()
	p := dynamo.NewProjections(dynamodb.NewFromConfig(boot.AWS(log)), os.Getenv("PROJECTIONS_TABLE"))
	lambda.Start(func(ctx context.Context, ev events.EventBridgeEvent) error {
		env, err := event.Decode(ev.Detail)
		if err == nil {
			ctx = logging.With(ctx, env.CorrelationID, env.OrderID())
			err = p.Apply(ctx, env)
		}
		if err != nil {
			// Returning the error makes Lambda retry the event, then send it to the function's DLQ.
			log.ErrorContext(ctx, "event not projected", "eventId", ev.ID, "detailType", ev.DetailType, "error", err)
			return err
		}
		log.InfoContext(ctx, "event projected", "eventId", env.ID, "type", env.Type)
		return nil
	})
}
