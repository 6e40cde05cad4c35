// Package awscfg builds the one aws.Config every Orion client is made from, so that endpoints, retries
// and tracing are decided in one place.
//
// Endpoints follow the SDK's standard configuration: AWS_ENDPOINT_URL points every service at one
// endpoint (http://127.0.0.1:4566 locally: LocalStack or moto) and AWS_ENDPOINT_URL_<SERVICE> overrides
// one service (e.g. AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI for the local WebSocket gateway). On AWS
// neither is set and the SDK resolves the regional endpoints. See
// https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html
//
// Tracing: when AWS_XRAY_DAEMON_ADDRESS is set (Lambda sets it with active tracing on), every call of
// every client is an X-Ray subsegment under the invocation's segment (internal/platform/tracing),
// annotated with the correlation and order ids of its context. Without it nothing is added.
package awscfg

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/orion-oss/orion/internal/platform/logging"
	"github.com/orion-oss/orion/internal/platform/tracing"
)

// DefaultRegion is used when neither AWS_REGION nor AWS_DEFAULT_REGION is set, which only happens
// outside Lambda (Lambda always sets AWS_REGION).
const DefaultRegion = "us-east-1"

// MaxAttempts bounds the SDK's own retries of throttling and 5xx answers. Lambda, EventBridge and
// Step Functions retry whole invocations on top of this, so a few quick attempts are enough.
const MaxAttempts = 4

// Load returns the shared configuration. It does no network I/O (credentials resolve lazily on the first
// call), so it is safe to call at Lambda init.
func Load(ctx context.Context, opts ...func(*config.LoadOptions) error) (aws.Config, error) {
	base := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = MaxAttempts })
		}),
	}
	if os.Getenv("AWS_REGION") == "" && os.Getenv("AWS_DEFAULT_REGION") == "" {
		base = append(base, config.WithRegion(DefaultRegion))
	}
	cfg, err := config.LoadDefaultConfig(ctx, append(base, opts...)...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("awscfg: load: %w", err)
	}
	tracing.Instrument(&cfg.APIOptions, tracing.Options{Daemon: tracing.DaemonFromEnv(), Annotations: annotations})
	return cfg, nil
}

// annotations are the X-Ray annotations of an SDK call: the ids of the story it belongs to. The Pipe
// and the bus start new traces (docs/operations.md, "Tracing"), and these ids join them again:
// `annotation.correlationId = "<id>"` finds every trace of an order.
func annotations(ctx context.Context) map[string]string {
	corr, order := logging.IDs(ctx)
	if corr == "" && order == "" {
		return nil
	}
	a := make(map[string]string, 2)
	if corr != "" {
		a[logging.KeyCorrelationID] = corr
	}
	if order != "" {
		a[logging.KeyOrderID] = order
	}
	return a
}
