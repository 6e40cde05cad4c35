package logging_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/orion-oss/orion/internal/platform/logging"
)

func TestEveryLineCarriesTheContextsIDsOnce(t *testing.T) {
	lambdaCtx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
	tests := []struct {
		name string
		ctx  context.Context
		log  func(*slog.Logger, context.Context)
		want map[string]any
	}{
		{"ids from the context", logging.With(lambdaCtx, "corr-1", "order-1"),
			func(l *slog.Logger, ctx context.Context) { l.InfoContext(ctx, "m") },
			map[string]any{"function": "fn", "awsRequestId": "req-1", "correlationId": "corr-1", "orderId": "order-1"}},
		{"the order id learnt later keeps the correlation", logging.With(logging.With(lambdaCtx, "corr-1", ""), "", "order-2"),
			func(l *slog.Logger, ctx context.Context) { l.InfoContext(ctx, "m") },
			map[string]any{"correlationId": "corr-1", "orderId": "order-2"}},
		{"an explicit attribute wins and is not repeated", logging.With(lambdaCtx, "corr-1", "order-1"),
			func(l *slog.Logger, ctx context.Context) { l.InfoContext(ctx, "m", "orderId", "explicit") },
			map[string]any{"orderId": "explicit", "correlationId": "corr-1"}},
		{"an id set with With is not repeated", logging.With(lambdaCtx, "corr-1", ""),
			func(l *slog.Logger, ctx context.Context) { l.With("correlationId", "from-with").InfoContext(ctx, "m") },
			map[string]any{"correlationId": "from-with"}},
		{"the invocation's trace id", logging.With(context.WithValue(lambdaCtx, "x-amzn-trace-id", //nolint:staticcheck // aws-lambda-go's key
			"Root=1-6745c1a0-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1"), "corr-1", ""),
			func(l *slog.Logger, ctx context.Context) { l.InfoContext(ctx, "m") },
			map[string]any{"traceId": "1-6745c1a0-0123456789abcdef01234567", "correlationId": "corr-1"}},
		{"no context: no ids", context.Background(),
			func(l *slog.Logger, ctx context.Context) { l.InfoContext(ctx, "m") },
			map[string]any{"function": "fn"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			tt.log(logging.New(&buf, slog.LevelInfo, "fn"), tt.ctx)
			line := buf.String()
			var got map[string]any
			if err := json.Unmarshal([]byte(line), &got); err != nil {
				t.Fatalf("not one JSON line: %q", line)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %v; want %v in %s", k, got[k], v, line)
				}
				if n := strings.Count(line, `"`+k+`"`); n != 1 {
					t.Errorf("%s appears %d times in %s", k, n, line)
				}
			}
			if tt.ctx == context.Background() && (got["correlationId"] != nil || got["awsRequestId"] != nil || got["traceId"] != nil) {
				t.Errorf("ids invented: %s", line)
			}
		})
	}
}

func TestLevelIsHonoured(t *testing.T) {
	var buf bytes.Buffer
	l := logging.New(&buf, slog.LevelWarn, "fn")
	l.Info("quiet")
	l.Warn("loud")
	if strings.Contains(buf.String(), "quiet") || !strings.Contains(buf.String(), "loud") {
		t.Fatalf("output %q", buf.String())
	}
}

func TestParseLevel(t *testing.T) {
	tests := []struct {
		in   string
		want slog.Level
	}{
		{"", slog.LevelInfo},
		{"debug", slog.LevelDebug},
		{"WARN", slog.LevelWarn},
		{" error ", slog.LevelError},
		{"warn+2", slog.LevelWarn + 2},
		{"verbose", slog.LevelInfo},
	}
	for _, tt := range tests {
		if got := logging.ParseLevel(tt.in); got != tt.want {
			t.Errorf("ParseLevel(%q) = %v; want %v", tt.in, got, tt.want)
		}
	}
}
