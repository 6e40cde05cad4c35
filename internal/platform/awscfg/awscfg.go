// Package awscfg builds the aws.Config of Orion's tools and tests, which run outside Lambda: the SDK's
// full configuration chain (profiles, SSO, shared files, IMDS) with Orion's retries and tracing. The
// functions themselves build theirs with envcfg, from the Lambda environment alone and without linking
// that chain (internal/platform/boot); both apply envcfg's Retryer and Instrument, so that retries and
// tracing are decided in one place.
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
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/orion-oss/orion/internal/platform/awscfg/envcfg"
)

// DefaultRegion is used when neither AWS_REGION nor AWS_DEFAULT_REGION is set, which only happens
// outside Lambda (Lambda always sets AWS_REGION).
const DefaultRegion = envcfg.DefaultRegion

// MaxAttempts bounds the SDK's own retries of throttling and 5xx answers. Lambda, EventBridge and
// Step Functions retry whole invocations on top of this, so a few quick attempts are enough.
const MaxAttempts = envcfg.MaxAttempts

// Load returns the configuration of a tool or test: the SDK's loader with Orion's retries and tracing.
// It does no network I/O (credentials resolve lazily on the first call). Functions use envcfg.Load.
func Load(ctx context.Context, opts ...func(*config.LoadOptions) error) (aws.Config, error) {
	base := []func(*config.LoadOptions) error{config.WithRetryer(envcfg.Retryer)}
	if os.Getenv("AWS_REGION") == "" && os.Getenv("AWS_DEFAULT_REGION") == "" {
		base = append(base, config.WithRegion(DefaultRegion))
	}
	cfg, err := config.LoadDefaultConfig(ctx, append(base, opts...)...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("awscfg: load: %w", err)
	}
	envcfg.Instrument(&cfg)
	return cfg, nil
}
