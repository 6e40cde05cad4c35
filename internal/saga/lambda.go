package saga

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Step is one saga step as a Lambda handler.
type Step func(ctx context.Context, in Input) (Result, error)

// Lambda wraps a step for lambda.Start: one log line per invocation with the order, correlation and
// request ids, the outcome and the duration. Errors keep their type, which Step Functions sees as the
// error name its Retry and Catch match.
func Lambda(log *slog.Logger, name string, step Step) Step {
	return func(ctx context.Context, in Input) (Result, error) {
		start := time.Now()
		r, err := step(ctx, in)
		attrs := []any{"step", name, "orderId", in.OrderID, "correlationId", in.CorrelationID, "attempt", in.Attempt,
			"durationMs", time.Since(start).Milliseconds()}
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			attrs = append(attrs, "requestId", lc.AwsRequestID)
		}
		if err != nil {
			level := slog.LevelError
			var unavailable *PaymentUnavailable
			if errors.As(err, &unavailable) {
				level = slog.LevelWarn // expected now and then; the state machine retries it
			}
			log.Log(ctx, level, "saga step failed", append(attrs, "error", err)...)
			return r, err
		}
		log.InfoContext(ctx, "saga step", append(attrs, "status", r.Status, "reason", r.Reason, "payment", r.Payment,
			"cancellationRequested", r.CancellationRequested)...)
		return r, nil
	}
}
