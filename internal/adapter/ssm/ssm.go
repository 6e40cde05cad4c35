// Package ssm reads secrets (the Stripe secret key, the webhook signing secret) from SSM Parameter
// Store SecureString parameters, lazily: a function's init makes no network call (the cold-start
// rule of docs/benchmarks.md), and the first call that needs the secret fetches it once per
// container. Parameter Store rather than a plain environment variable keeps the value out of the
// template, the function's configuration and its logs.
//
// The SSM client module is held at its last release before schema-based serialization, like the
// DynamoDB and SES v2 modules (docs/adr/0006-held-sdk-versions.md; go.mod says why).
package ssm

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"
)

// GetParameterAPI is the part of the SSM client Secret calls (*ssm.Client).
type GetParameterAPI interface {
	GetParameter(ctx context.Context, in *awsssm.GetParameterInput, opts ...func(*awsssm.Options)) (*awsssm.GetParameterOutput, error)
}

// ErrEmpty: the parameter exists but holds nothing, which no secret Orion reads may be.
var ErrEmpty = errors.New("ssm: parameter is empty")

// ErrUnavailable wraps a read that failed for a passing reason: throttled (GetParameter's default
// throughput is shared by the account's region, and a cold-start storm reads once per container:
// docs/adr/0014-secrets-read-lazily-once-per-container.md), a 5xx, or the network, still failing after
// the SDK's own retries. A caller retries later; any other failure (the parameter missing, access
// denied) is configuration.
var ErrUnavailable = errors.New("ssm: parameter store unavailable")

// Secret returns a function that reads the SecureString parameter name, decrypted, on its first call
// and returns the same value on every later call. Only a success is kept: a failed read (throttled,
// the parameter not yet created, a KMS hiccup) is tried again by the next call, so one bad moment does
// not poison the container. Concurrent first calls share one read; a caller whose context ends while
// it waits for that read returns its context's error.
//
// Errors name the parameter, never its value. A rotated secret reaches a container when it starts
// again (Lambda recycles containers within hours); rotating the Stripe key therefore keeps the old key
// valid for a while, which Stripe's key rolling does (https://docs.stripe.com/keys#rolling-keys).
// Why lazily and not the Parameters and Secrets extension: docs/adr/0014-secrets-read-lazily-once-per-container.md.
func Secret(client GetParameterAPI, name string) func(context.Context) (string, error) {
	s := &secret{client: client, name: name, lock: make(chan struct{}, 1)}
	return s.get
}

type secret struct {
	client GetParameterAPI
	name   string
	// lock is a one-slot semaphore rather than a sync.Mutex so that a caller waiting for another's
	// read can still give up when its own context ends.
	lock  chan struct{}
	value string // set once, under lock, on the first successful read
}

func (s *secret) get(ctx context.Context) (string, error) {
	select {
	case s.lock <- struct{}{}:
	case <-ctx.Done():
		return "", fmt.Errorf("ssm: reading %s: %w", s.name, ctx.Err())
	}
	defer func() { <-s.lock }()
	if s.value != "" {
		return s.value, nil
	}
	out, err := s.client.GetParameter(ctx, &awsssm.GetParameterInput{Name: aws.String(s.name), WithDecryption: aws.Bool(true)})
	if err != nil {
		if transient(err) {
			return "", fmt.Errorf("%w: reading %s: %w", ErrUnavailable, s.name, err)
		}
		return "", fmt.Errorf("ssm: reading %s: %w", s.name, err)
	}
	if out.Parameter == nil || aws.ToString(out.Parameter.Value) == "" {
		return "", fmt.Errorf("%w: %s", ErrEmpty, s.name)
	}
	s.value = aws.ToString(out.Parameter.Value)
	return s.value, nil
}

// transient reports an error the SDK's standard retryer classes as retryable or as a throttle.
func transient(err error) bool {
	return retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary ||
		retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary
}
