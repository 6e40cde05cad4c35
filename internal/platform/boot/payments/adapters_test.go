package payments

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/orion-oss/orion/internal/payment"
	"github.com/orion-oss/orion/internal/platform/boot"
)

// parameters counts the reads of a fake SSM client (the SSM adapter has its integration test against
// moto; this one is about when the reads happen).
type parameters struct{ reads atomic.Int32 }

func (p *parameters) GetParameter(_ context.Context, in *awsssm.GetParameterInput, _ ...func(*awsssm.Options)) (*awsssm.GetParameterOutput, error) {
	p.reads.Add(1)
	return &awsssm.GetParameterOutput{Parameter: &types.Parameter{Name: in.Name, Value: aws.String("whsec_test")}}, nil
}

// A cold start reads no secret (no network I/O at init, docs/benchmarks.md); the first signed webhook
// request does, and a stale one is refused as the sender's fault, in the port's terms.
func TestSecretsAreReadOnFirstUse(t *testing.T) {
	for k, v := range stripeEnv(map[string]string{EnvWebhookSecretParameter: "/orion-prod/stripe/webhook-secret"}) {
		t.Setenv(k, v)
	}
	params := &parameters{}
	if p := Provider(boot.Logger(), params); p == nil || p == (payment.Sandbox{}) {
		t.Fatalf("provider %#v; want Stripe's", p)
	}
	w := Webhook(boot.Logger(), params)
	if n := params.reads.Load(); n != 0 {
		t.Fatalf("%d parameter reads at start; want none", n)
	}
	_, _, err := w.Parse(context.Background(), []byte(`{"id":"evt_1","object":"event"}`), "t=1,v1=00")
	if !errors.Is(err, payment.ErrInvalidEvent) {
		t.Fatalf("a request signed in 1970: %v; want payment.ErrInvalidEvent", err)
	}
	if n := params.reads.Load(); n != 1 {
		t.Fatalf("%d parameter reads after the first signed request; want 1", n)
	}
}
