// Package projection is the project-orders function's handler: it applies each order or stock event
// from the bus to the query side's views and counts the order funnel. The views themselves (DynamoDB,
// idempotent, indifferent to delivery order) are the Projector port's business; the adapter in
// internal/adapter/dynamo implements it.
package projection

import (
	"context"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/platform/logging"
	"github.com/orion-oss/orion/internal/platform/metrics"
)

// Result is what applying one event did.
type Result struct {
	// First is true for the first delivery of a status change (its history entry was not in the view
	// yet), in whatever order events arrive, so counting First results counts each change once.
	First          bool
	Status, Reason string
	// SincePlaced is the time from placing the order to this event, when the view knows the former.
	SincePlaced time.Duration
}

// Projector applies one event to the views. It ignores events that are not about orders or stock; an
// error means the event was not applied and is worth a retry.
type Projector interface {
	Apply(ctx context.Context, env event.Envelope) (Result, error)
}

// Handler projects the events of the function's EventBridge rule.
type Handler struct {
	Projector Projector
	Logger    *slog.Logger
	// Metrics receives the order funnel (metrics.Emitter.OrderStatus) once per status change; nil: none.
	Metrics *metrics.Emitter
}

// HandleEventBridge projects one event, whose detail is an event envelope. An envelope that does not
// decode and a failed write are returned as errors: Lambda retries the event, then sends it to the
// function's dead-letter queue, where it can be inspected and redriven.
func (h Handler) HandleEventBridge(ctx context.Context, ev events.EventBridgeEvent) error {
	env, err := event.Decode(ev.Detail)
	var res Result
	if err == nil {
		ctx = logging.With(ctx, env.CorrelationID, env.OrderID())
		res, err = h.Projector.Apply(ctx, env)
	}
	if err != nil {
		h.logger().ErrorContext(ctx, "event not projected", "eventId", ev.ID, "detailType", ev.DetailType, "error", err)
		return err
	}
	if res.First {
		// The order funnel, counted once per status change: the first delivery is the one that projects it.
		h.Metrics.OrderStatus(res.Status, res.Reason, res.SincePlaced)
	}
	h.logger().InfoContext(ctx, "event projected", "eventId", env.ID, "type", env.Type)
	return nil
}

func (h Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}
