package web

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"time"

	"github.com/orion-oss/orion/internal/platform/logging"
	"github.com/orion-oss/orion/internal/platform/metrics"
)

// Metrics receives Http5xxResponses, one per 5xx answered: what stops a gradual deployment of the API
// functions (template.yaml ApiFunctionErrorsAlarm). Lambda turns these stdout lines into metrics.
var Metrics = metrics.New(os.Stdout)

// HandlerFunc is an endpoint: it returns a response, or an error that Error turns into a problem.
type HandlerFunc func(ctx context.Context, req Request) (Response, error)

// Lambda adapts an endpoint for lambda.Start: it never returns a Lambda error for a request (API
// Gateway would answer a bare 500), recovers panics into a 500 problem without a stack trace to the
// client, and logs one line per request with its outcome and duration. Every response, problems
// included, carries Cache-Control: no-store unless the endpoint set its own: orders, accounts and
// tokens are personal data that no browser, proxy or CDN may keep; a public endpoint that wants to be
// cached says so itself.
func Lambda(log *slog.Logger, h HandlerFunc) func(context.Context, Request) (Response, error) {
	return func(ctx context.Context, req Request) (resp Response, _ error) {
		start := time.Now()
		ctx = logging.With(ctx, CorrelationID(req), req.PathParameters["orderId"])
		reqLog := log.With("requestId", req.RequestContext.RequestID, "route", req.RouteKey)
		client := ClientCorrelationID(req)
		if client != "" {
			reqLog = reqLog.With("clientCorrelationId", client)
		}
		defer func() {
			if p := recover(); p != nil {
				reqLog.ErrorContext(ctx, "handler panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				resp = Error(ctx, reqLog, fmt.Errorf("panic: %v", p))
			}
			if resp.Headers == nil {
				resp.Headers = map[string]string{}
			}
			resp.Headers["X-Correlation-Id"] = CorrelationID(req)
			if client != "" {
				resp.Headers["X-Client-Correlation-Id"] = client
			}
			if _, set := resp.Headers["Cache-Control"]; !set {
				resp.Headers["Cache-Control"] = "no-store"
			}
			if resp.StatusCode >= 500 {
				Metrics.Emit(nil, metrics.Metric{Name: "Http5xxResponses", Unit: metrics.Count, Value: 1})
			}
			reqLog.InfoContext(ctx, "request", "status", resp.StatusCode, "durationMs", time.Since(start).Milliseconds())
		}()
		resp, err := h(ctx, req)
		if err != nil {
			resp = Error(ctx, reqLog, err)
		}
		return resp, nil
	}
}
