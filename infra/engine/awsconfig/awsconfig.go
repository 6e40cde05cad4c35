// Package awsconfig builds the aws.Config of the engine and of its tests: the SDK's full configuration
// chain (environment, profiles, shared files) with a few quick retries, and a default region outside
// AWS. Endpoints follow the SDK's standard configuration: AWS_ENDPOINT_URL points every service at one
// endpoint (the emulator, or the runtime's edge), AWS_ENDPOINT_URL_<SERVICE> one service.
// https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html
//
// The engine's own calls (provisioning, polling streams, Step Functions tasks) are the emulated
// services' plumbing, so they are not traced: the functions it runs trace theirs.
package awsconfig

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
)

// DefaultRegion is used when neither AWS_REGION nor AWS_DEFAULT_REGION is set.
const DefaultRegion = "us-east-1"

// MaxAttempts bounds the SDK's own retries of throttling and 5xx answers.
const MaxAttempts = 4

// Retryer is every client's retry policy: the SDK's standard retryer with MaxAttempts attempts.
func Retryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = MaxAttempts })
}

// Load returns the SDK's default configuration with Retryer and, when the environment names no
// region, DefaultRegion; opts apply last. It does no network I/O (credentials resolve lazily).
func Load(ctx context.Context, opts ...func(*config.LoadOptions) error) (aws.Config, error) {
	base := []func(*config.LoadOptions) error{config.WithRetryer(Retryer)}
	if os.Getenv("AWS_REGION") == "" && os.Getenv("AWS_DEFAULT_REGION") == "" {
		base = append(base, config.WithRegion(DefaultRegion))
	}
	cfg, err := config.LoadDefaultConfig(ctx, append(base, opts...)...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("awsconfig: load: %w", err)
	}
	return cfg, nil
}
