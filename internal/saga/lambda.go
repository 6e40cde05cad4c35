package saga

import (
	"context"
	"errors"
	"log/slog"
	"reflect"
	"time"

	"github.com/orion-oss/orion/internal/platform/logging"
)

// Step is one saga step as a Lambda handler.
type Step func(ctx context.Context, in Input) (Result, error)

// Lambda wraps a step for lambda.Start: one log line per invocation with its outcome and duration; the
// order, correlation and request ids go on every line of the step through the context. Errors keep their type, which Step Functions sees as the
// error name its Retry and Catch match.
func Lambda(log *slog.Logger, name string, step Step) Step {
	return func(ctx context.Context, in Input) (Result, error) {
		start := time.Now()
		ctx = logging.With(ctx, in.CorrelationID, in.OrderID)
		r, err := step(ctx, in)
		attrs := []any{"step", name, "attempt", in.Attempt, "durationMs", time.Since(start).Milliseconds()}
		var off offPath
		if errors.As(err, &off) {
			// An answer, not a failure: the state machine routes the order by the error's name.
			log.InfoContext(ctx, "saga step left the happy path", append(attrs, "route", reflect.TypeOf(off).Elem().Name(), "error", err)...)
			return r, err
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
