// Package logging is Orion's log/slog setup: one JSON line per record on stdout, at the level the
// environment sets, and on every line the ids that tie it to its story — the function, Lambda's request
// id, the X-Ray trace id, the correlation id and the order id — taken from the context, so that "what
// happened to order X" is one Logs Insights query across every function without each call site repeating
// the ids, and each line leads to its trace.
package logging

import (
	"context"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/orion-oss/orion/internal/platform/traceheader"
)

type ctxKey struct{}

type ids struct{ correlationID, orderID string }

// With returns a context whose log lines carry the correlation id and the order id (either may be
// empty: an id already in the context is kept then).
func With(ctx context.Context, correlationID, orderID string) context.Context {
	cur, _ := ctx.Value(ctxKey{}).(ids)
	if correlationID != "" {
		cur.correlationID = correlationID
	}
	if orderID != "" {
		cur.orderID = orderID
	}
	return context.WithValue(ctx, ctxKey{}, cur)
}

// IDs returns the correlation id and the order id of ctx (either may be empty).
func IDs(ctx context.Context) (correlationID, orderID string) {
	v, _ := ctx.Value(ctxKey{}).(ids)
	return v.correlationID, v.orderID
}

// FromEnv is a Lambda function's logger: JSON on stdout, named by AWS_LAMBDA_FUNCTION_NAME, at the
// level LOG_LEVEL names (ParseLevel).
func FromEnv() *slog.Logger {
	return New(os.Stdout, ParseLevel(os.Getenv("LOG_LEVEL")), os.Getenv("AWS_LAMBDA_FUNCTION_NAME"))
}

// ParseLevel reads a level name in any case (DEBUG, info, WARN, ERROR, or an offset such as WARN+2);
// anything else, an unset variable included, is INFO: a wrong setting must not silence a function.
func ParseLevel(s string) slog.Level {
	var level slog.Level
	if err := level.UnmarshalText([]byte(strings.ToUpper(strings.TrimSpace(s)))); err != nil {
		return slog.LevelInfo
	}
	return level
}

// New returns a JSON logger for the function, writing to w at level.
func New(w io.Writer, level slog.Leveler, function string) *slog.Logger {
	return slog.New(&handler{inner: slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})}).With("function", function)
}

// handler adds the context's ids to each record that does not carry them already (a call site or a
// With may have set them explicitly; a key is never written twice).
type handler struct {
	inner slog.Handler
	keys  []string // top-level keys added by WithAttrs
	group bool     // attributes now go into a group: ids are added only at the top level
}

// The ids, by their log keys.
const (
	KeyRequestID     = "awsRequestId"
	KeyCorrelationID = "correlationId"
	KeyOrderID       = "orderId"
	// KeyTraceID is the invocation's X-Ray trace id (the Root of its trace header).
	KeyTraceID = "traceId"
)

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.inner.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	if h.group {
		return h.inner.Handle(ctx, r)
	}
	present := func(key string) bool {
		if slices.Contains(h.keys, key) {
			return true
		}
		found := false
		r.Attrs(func(a slog.Attr) bool {
			found = a.Key == key
			return !found
		})
		return found
	}
	add := func(key, value string) {
		if value != "" && !present(key) {
			r.AddAttrs(slog.String(key, value))
		}
	}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		add(KeyRequestID, lc.AwsRequestID)
		add(KeyTraceID, traceheader.RootFrom(ctx))
	}
	if v, ok := ctx.Value(ctxKey{}).(ids); ok {
		add(KeyCorrelationID, v.correlationID)
		add(KeyOrderID, v.orderID)
	}
	return h.inner.Handle(ctx, r)
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	keys := slices.Clone(h.keys)
	if !h.group {
		for _, a := range attrs {
			keys = append(keys, a.Key)
		}
	}
	return &handler{inner: h.inner.WithAttrs(attrs), keys: keys, group: h.group}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{inner: h.inner.WithGroup(name), keys: h.keys, group: true}
}
