// Command project-orders builds the order views of the query side from order events (EventBridge rule).
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/platform/boot"
	"github.com/orion-oss/orion/internal/platform/logging"
	"github.com/orion-oss/orion/internal/platform/metrics"
)

func main() {
	log := boot.Logger()
	p := dynamo.NewProjections(dynamodb.NewFromConfig(boot.AWS(log)), os.Getenv("PROJECTIONS_TABLE"))
	funnel := metrics.New(os.Stdout)
	lambda.Start(func(ctx context.Context, ev events.EventBridgeEvent) error {
		env, err := event.Decode(ev.Detail)
		var res dynamo.Projected
		if err == nil {
			ctx = logging.With(ctx, env.CorrelationID, env.OrderID())
			res, err = p.Apply(ctx, env)
		}
		if err != nil {
			// Returning the error makes Lambda retry the event, then send it to the function's DLQ.
			log.ErrorContext(ctx, "event not projected", "eventId", ev.ID, "detailType", ev.DetailType, "error", err)
			return err
		}
		if res.First {
			// The order funnel, counted once per status change: the first delivery is the one that projects it.
			funnel.OrderStatus(res.Status, res.Reason, res.SincePlaced)
		}
		log.InfoContext(ctx, "event projected", "eventId", env.ID, "type", env.Type)
		return nil
	})
}
