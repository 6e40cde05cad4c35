package saga

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/platform/logging"
)

// ReturnRefunder is the refund-return function's handler: an EventBridge rule on OrderReturnReceived
// invokes it asynchronously, and it refunds the received return (Steps.RefundReturn). The refund is
// keyed by the order and the return, and the step is a no-op once the return is REFUNDED, so the
// rule's and Lambda's repeated deliveries refund once.
type ReturnRefunder struct {
	Steps *Steps
	Log   *slog.Logger
}

// Handle is the rule's target. Every failure is returned, a malformed event included: money is owed
// to a customer, so what cannot be refunded must not vanish. Lambda's asynchronous retries take the
// transient ones; what is left lands in the function's dead-letter queue, whose alarm calls someone.
func (h ReturnRefunder) Handle(ctx context.Context, ev events.EventBridgeEvent) error {
	in, err := refundInput(ev)
	if err != nil {
		h.Log.ErrorContext(ctx, "return refund: event not usable", "eventId", ev.ID, "detailType", ev.DetailType, "error", err)
		return err
	}
	ctx = logging.With(ctx, in.CorrelationID, in.OrderID)
	r, err := Lambda(h.Log, "refund-return", h.Steps.RefundReturn)(ctx, in)
	if err != nil {
		return fmt.Errorf("refund return %s of order %s: %w", in.ReturnID, in.OrderID, err)
	}
	h.Log.InfoContext(ctx, "return refund settled", "returnId", in.ReturnID, "status", r.Status, "version", r.Version)
	return nil
}

// refundInput reads the step's input from an OrderReturnReceived envelope: the order, the return, and
// the event as the cause of the PaymentRefunded the step writes.
func refundInput(ev events.EventBridgeEvent) (Input, error) {
	env, err := event.Decode(ev.Detail)
	if err != nil {
		return Input{}, &InvalidInput{Err: fmt.Errorf("event %s: %w", ev.ID, err)}
	}
	p, err := env.Payload()
	if err != nil {
		return Input{}, &InvalidInput{Err: fmt.Errorf("event %s (%s): %w", env.ID, env.Type, err)}
	}
	rr, ok := p.(*event.OrderReturnReceived)
	if !ok {
		return Input{}, &InvalidInput{Err: fmt.Errorf("event %s is %s, not %s", env.ID, env.Type, event.TypeOrderReturnReceived)}
	}
	return Input{OrderID: rr.OrderID, CorrelationID: env.CorrelationID, CausationID: env.ID, ReturnID: rr.ReturnID}, nil
}
