// Package envcfg builds the functions' aws.Config from the process environment alone, which is all a
// Lambda function has: Lambda puts the execution role's credentials in AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN and the region in AWS_REGION
// (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime).
//
// It exists for cold starts. The SDK's config.LoadDefaultConfig links, and initializes at every start,
// the whole credential chain (SSO, SSO OIDC, sign-in, STS, IMDS, the container and process providers,
// the shared config file parser) and looks for ~/.aws/config and ~/.aws/credentials, none of which a
// function uses, at a cost in binary size and cold start that docs/adr/0009-package-splits-for-cold-start.md
// records. Nothing a function links imports the config package (a test checks it); tools and tests
// outside Lambda keep the full chain through awscfg.Load, which applies the same retries and tracing (Retryer, Instrument).
//
// What it honours, as the SDK does:
//   - credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_ACCOUNT_ID;
//   - region: AWS_REGION, else AWS_DEFAULT_REGION, else DefaultRegion;
//   - endpoints: AWS_ENDPOINT_URL for every service, AWS_ENDPOINT_URL_<SERVICE> for one (the SDK id in
//     capitals, spaces as underscores: AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI, which the local runtime
//     sets for its WebSocket gateway), AWS_IGNORE_CONFIGURED_ENDPOINT_URLS to ignore both,
//     AWS_USE_FIPS_ENDPOINT and AWS_USE_DUALSTACK_ENDPOINT
//     (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html);
//   - SDK warnings on stderr, as LoadDefaultConfig's logger writes them.
//
// What it does not: profiles and the shared config and credentials files (AWS_PROFILE, AWS_CONFIG_FILE),
// SSO, web identity and assumed roles, IMDS, the container and process credential providers,
// AWS_CA_BUNDLE, AWS_DEFAULTS_MODE, AWS_SDK_UA_APP_ID, the checksum, compression, account-id endpoint
// and auth scheme overrides. A Lambda function has no home directory or profile, no IMDS, and its
// credentials are always in the environment; Orion sets none of the overrides. AWS_MAX_ATTEMPTS and
// AWS_RETRY_MODE are not read either, as LoadDefaultConfig does not read them when given a retryer:
// MaxAttempts decides.
package envcfg

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go/logging"

	orionlog "github.com/orion-oss/orion/internal/platform/logging"
	"github.com/orion-oss/orion/internal/platform/tracing"
)

// DefaultRegion is used when neither AWS_REGION nor AWS_DEFAULT_REGION is set, which only happens
// outside Lambda (Lambda always sets AWS_REGION).
const DefaultRegion = "us-east-1"

// MaxAttempts bounds the SDK's own retries of throttling and 5xx answers. Lambda, EventBridge and
// Step Functions retry whole invocations on top of this, so a few quick attempts are enough.
const MaxAttempts = 4

// ErrNoCredentials means the environment has no access key: the function is not running under Lambda
// (or a runtime that gives it credentials the same way).
var ErrNoCredentials = errors.New("envcfg: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set")

// Load returns the configuration the environment describes. It reads variables only: no file, no
// network (credentials are static), so it is safe and quick at Lambda init.
func Load() (aws.Config, error) {
	id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if id == "" || secret == "" {
		return aws.Config{}, ErrNoCredentials
	}
	var src source
	var err error
	if src.ignoreEndpoints, err = envBool("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"); err != nil {
		return aws.Config{}, err
	}
	if src.fips, err = envBool("AWS_USE_FIPS_ENDPOINT"); err != nil {
		return aws.Config{}, err
	}
	if src.dualStack, err = envBool("AWS_USE_DUALSTACK_ENDPOINT"); err != nil {
		return aws.Config{}, err
	}
	creds := credentials.StaticCredentialsProvider{
		Value: aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: os.Getenv("AWS_SESSION_TOKEN"),
			AccountID: os.Getenv("AWS_ACCOUNT_ID"), Source: "EnvConfigCredentials"},
		Source: []aws.CredentialSource{aws.CredentialSourceEnvVars},
	}
	cfg := aws.Config{
		Region:        Region(),
		Credentials:   aws.NewCredentialsCache(creds),
		Retryer:       Retryer,
		Logger:        logging.NewStandardLogger(os.Stderr),
		ConfigSources: []any{src},
	}
	if e := os.Getenv("AWS_ENDPOINT_URL"); e != "" && !src.ignoreEndpoints.value {
		cfg.BaseEndpoint = aws.String(e)
	}
	Instrument(&cfg)
	return cfg, nil
}

// Region is AWS_REGION, else AWS_DEFAULT_REGION, else DefaultRegion.
func Region() string {
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		if r := os.Getenv(k); r != "" {
			return r
		}
	}
	return DefaultRegion
}

// Retryer is every client's retry policy: the SDK's standard retryer with MaxAttempts attempts.
func Retryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = MaxAttempts })
}

// Instrument adds the X-Ray subsegments of every SDK call when AWS_XRAY_DAEMON_ADDRESS is set (Lambda
// sets it with active tracing on), annotated with the correlation and order ids of the call's context.
// Without it nothing is added.
func Instrument(cfg *aws.Config) {
	tracing.Instrument(&cfg.APIOptions, tracing.Options{Daemon: tracing.DaemonFromEnv(), Annotations: annotations})
}

// annotations are the X-Ray annotations of an SDK call: the ids of the story it belongs to. The Pipe
// and the bus start new traces (docs/operations.md, "Tracing"), and these ids join them again:
// `annotation.correlationId = "<id>"` finds every trace of an order.
func annotations(ctx context.Context) map[string]string {
	corr, order := orionlog.IDs(ctx)
	if corr == "" && order == "" {
		return nil
	}
	a := make(map[string]string, 2)
	if corr != "" {
		a[orionlog.KeyCorrelationID] = corr
	}
	if order != "" {
		a[orionlog.KeyOrderID] = order
	}
	return a
}

// source is what each client asks of its configuration sources when it is built (aws.Config's
// ConfigSources): the per-service endpoint and the endpoint variants. The interfaces are the SDK's
// (internal/configsources), matched by method set; config.EnvConfig answers them the same way.
type source struct {
	ignoreEndpoints, fips, dualStack flag
}

// flag is an optional boolean setting.
type flag struct{ set, value bool }

func envBool(name string) (flag, error) {
	switch v := os.Getenv(name); strings.ToLower(v) {
	case "":
		return flag{}, nil
	case "true":
		return flag{set: true, value: true}, nil
	case "false":
		return flag{set: true}, nil
	default:
		return flag{}, fmt.Errorf("envcfg: %s=%q, want true or false", name, v)
	}
}

// GetServiceBaseEndpoint reads AWS_ENDPOINT_URL_<SERVICE> for the client whose SDK id is sdkID.
func (s source) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	v := os.Getenv("AWS_ENDPOINT_URL_" + strings.ReplaceAll(strings.ToUpper(sdkID), " ", "_"))
	return v, v != "", nil
}

// GetIgnoreConfiguredEndpoints reports AWS_IGNORE_CONFIGURED_ENDPOINT_URLS.
func (s source) GetIgnoreConfiguredEndpoints(context.Context) (bool, bool, error) {
	return s.ignoreEndpoints.value, s.ignoreEndpoints.set, nil
}

// GetUseFIPSEndpoint reports AWS_USE_FIPS_ENDPOINT.
func (s source) GetUseFIPSEndpoint(context.Context) (aws.FIPSEndpointState, bool, error) {
	if !s.fips.set {
		return aws.FIPSEndpointStateUnset, false, nil
	}
	if s.fips.value {
		return aws.FIPSEndpointStateEnabled, true, nil
	}
	return aws.FIPSEndpointStateDisabled, true, nil
}

// GetUseDualStackEndpoint reports AWS_USE_DUALSTACK_ENDPOINT.
func (s source) GetUseDualStackEndpoint(context.Context) (aws.DualStackEndpointState, bool, error) {
	if !s.dualStack.set {
		return aws.DualStackEndpointStateUnset, false, nil
	}
	if s.dualStack.value {
		return aws.DualStackEndpointStateEnabled, true, nil
	}
	return aws.DualStackEndpointStateDisabled, true, nil
}
