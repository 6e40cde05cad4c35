// Command recover-order compensates the order of a saga run that failed, timed out or was aborted
// (Step Functions' execution status change events, EventBridge rule on the default bus).
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/orion-oss/orion/internal/platform/boot"
	"github.com/orion-oss/orion/internal/saga/sagalambda"
)

func main() {
	log := boot.Logger()
	steps := sagalambda.Steps(log)
	lambda.Start(func(ctx context.Context, ev events.EventBridgeEvent) error {
		r, err := steps.RecoverExecution(ctx, ev.Detail)
		if err != nil {
			log.ErrorContext(ctx, "order not recovered", "eventId", ev.ID, "error", err)
			return err // retried by Lambda's async policy, then kept in the DLQ
		}
		log.WarnContext(ctx, "order recovered after a failed saga run", "orderId", r.OrderID, "status", r.Status, "reason", r.Reason)
		return nil
	})
}
