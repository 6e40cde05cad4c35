package ssm_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/internal/adapter/ssm"
)

// The two costs of a secret read lazily once per container (docs/adr/0014-secrets-read-lazily-once-per-container.md):
// what every request pays once the value is kept, and what the first request of a container pays.

const benchValue = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"

// benchParameter creates a SecureString parameter on the emulator and returns the client and its name.
func benchParameter(b *testing.B) (*awsssm.Client, string) {
	b.Helper()
	c := awsssm.NewFromConfig(awstest.Config(b))
	name := "/" + awstest.Name(b, "orion-bench") + "/stripe/secret-key"
	_, err := c.PutParameter(context.Background(), &awsssm.PutParameterInput{
		Name: aws.String(name), Value: aws.String(benchValue), Type: types.ParameterTypeSecureString, Overwrite: aws.Bool(true),
	})
	if err != nil {
		b.Fatal(err)
	}
	return c, name
}

// BenchmarkSecretCached is the per-request cost once the container holds the value: the semaphore and
// the check, no call to SSM.
func BenchmarkSecretCached(b *testing.B) {
	c, name := benchParameter(b)
	get := ssm.Secret(c, name)
	ctx := context.Background()
	if v, err := get(ctx); err != nil || v != benchValue {
		b.Fatalf("first read: %q, %v", v, err)
	}
	for b.Loop() {
		if v, err := get(ctx); err != nil || v != benchValue {
			b.Fatalf("%q, %v", v, err)
		}
	}
}

// BenchmarkSecretFirstRead is a container's first read: a fresh Secret per iteration, so each pays one
// GetParameter WithDecryption round trip through the real SDK (SigV4, HTTP, JSON) to the emulator, over
// a connection the client keeps alive. On Lambda the first one also dials and does TLS.
func BenchmarkSecretFirstRead(b *testing.B) {
	c, name := benchParameter(b)
	ctx := context.Background()
	for b.Loop() {
		if v, err := ssm.Secret(c, name)(ctx); err != nil || v != benchValue {
			b.Fatalf("%q, %v", v, err)
		}
	}
}
