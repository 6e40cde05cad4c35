package ssm_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsssm "github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/internal/adapter/ssm"
)

// The secret source reads real SecureString parameters from the local emulator through the real SDK.
func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

// counted is the real client, counting the GetParameter calls that reach it; gate, when set, holds
// each call until it is closed.
type counted struct {
	*awsssm.Client
	calls atomic.Int32
	gate  chan struct{}
}

func (c *counted) GetParameter(ctx context.Context, in *awsssm.GetParameterInput, opts ...func(*awsssm.Options)) (*awsssm.GetParameterOutput, error) {
	c.calls.Add(1)
	if c.gate != nil {
		<-c.gate
	}
	return c.Client.GetParameter(ctx, in, opts...)
}

func client(t *testing.T) *counted {
	t.Helper()
	return &counted{Client: awsssm.NewFromConfig(awstest.Config(t))}
}

func put(t *testing.T, c *counted, name, value string) {
	t.Helper()
	_, err := c.Client.PutParameter(context.Background(), &awsssm.PutParameterInput{
		Name: aws.String(name), Value: aws.String(value), Type: types.ParameterTypeSecureString, Overwrite: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The value comes back decrypted, and only the first call reaches SSM: the container keeps it.
func TestSecretReadsOnceAndDecrypts(t *testing.T) {
	c := client(t)
	name := "/" + awstest.Name(t, "orion-test") + "/stripe/secret-key"
	put(t, c, name, "sk_test_4eC39HqLyjWDarjtT1zdp7dc")
	get := ssm.Secret(c, name)
	if c.calls.Load() != 0 {
		t.Fatal("Secret read the parameter before the first call: no network at init")
	}
	for range 3 {
		v, err := get(context.Background())
		if err != nil || v != "sk_test_4eC39HqLyjWDarjtT1zdp7dc" {
			t.Fatalf("got %q, %v", v, err)
		}
	}
	if n := c.calls.Load(); n != 1 {
		t.Fatalf("%d GetParameter calls; want 1", n)
	}
}

// A failed read is not kept: the parameter created after the first call is read by the next one. The
// error names the parameter and keeps SSM's own error for errors.As.
func TestSecretRetriesAfterAFailure(t *testing.T) {
	c := client(t)
	name := "/" + awstest.Name(t, "orion-test") + "/stripe/webhook-secret"
	get := ssm.Secret(c, name)
	_, err := get(context.Background())
	var missing *types.ParameterNotFound
	if !errors.As(err, &missing) || !strings.Contains(err.Error(), name) {
		t.Fatalf("missing parameter: %v; want ParameterNotFound naming %s", err, name)
	}
	put(t, c, name, "whsec_later")
	if v, err := get(context.Background()); err != nil || v != "whsec_later" {
		t.Fatalf("after creating it: %q, %v", v, err)
	}
	if v, err := get(context.Background()); err != nil || v != "whsec_later" || c.calls.Load() != 2 {
		t.Fatalf("third call: %q, %v, %d calls; want the kept value and 2 calls", v, err, c.calls.Load())
	}
}

// Concurrent first calls make one read between them, and all get the value.
func TestSecretConcurrentFirstCallsShareOneRead(t *testing.T) {
	c := client(t)
	name := "/" + awstest.Name(t, "orion-test") + "/stripe/secret-key"
	put(t, c, name, "sk_test_shared")
	c.gate = make(chan struct{})
	get := ssm.Secret(c, name)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() {
			v, err := get(context.Background())
			if err == nil && v != "sk_test_shared" {
				err = errors.New("wrong value " + v)
			}
			errs <- err
		})
	}
	time.Sleep(50 * time.Millisecond) // let every goroutine reach the lock before the read completes
	close(c.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := c.calls.Load(); n != 1 {
		t.Fatalf("%d GetParameter calls; want 1", n)
	}
}

// A caller waiting behind another's read gives up when its own context ends, and the read it waited
// for still serves the next caller.
func TestSecretWaitRespectsTheContext(t *testing.T) {
	c := client(t)
	name := "/" + awstest.Name(t, "orion-test") + "/stripe/secret-key"
	put(t, c, name, "sk_test_slow")
	c.gate = make(chan struct{})
	get := ssm.Secret(c, name)
	first := make(chan error, 1)
	go func() { _, err := get(context.Background()); first <- err }()
	for c.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := get(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiting caller: %v; want its deadline", err)
	}
	close(c.gate)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if v, err := get(context.Background()); err != nil || v != "sk_test_slow" || c.calls.Load() != 1 {
		t.Fatalf("after the read: %q, %v, %d calls", v, err, c.calls.Load())
	}
}

// empty answers a parameter without a value: SSM never stores one, so this is the one case the
// emulator cannot produce.
type empty struct{}

func (empty) GetParameter(context.Context, *awsssm.GetParameterInput, ...func(*awsssm.Options)) (*awsssm.GetParameterOutput, error) {
	return &awsssm.GetParameterOutput{Parameter: &types.Parameter{Name: aws.String("/x")}}, nil
}

func TestSecretRefusesAnEmptyValue(t *testing.T) {
	if _, err := ssm.Secret(empty{}, "/x")(context.Background()); !errors.Is(err, ssm.ErrEmpty) {
		t.Fatalf("got %v; want ErrEmpty", err)
	}
}

// failing is a GetParameterAPI (our port) whose every call fails with err, as the SDK returns it
// after its own retries.
type failing struct{ err error }

func (f failing) GetParameter(context.Context, *awsssm.GetParameterInput, ...func(*awsssm.Options)) (*awsssm.GetParameterOutput, error) {
	return nil, f.err
}

// A read that failed for a passing reason is ErrUnavailable, worth a later retry; a missing or
// forbidden parameter is not: that is configuration.
func TestSecretTellsPassingFailuresFromConfiguration(t *testing.T) {
	for _, c := range []struct {
		name      string
		err       error
		transient bool
	}{
		{"throttled", &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}, true},
		{"5xx", &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 503}}, Err: errors.New("unavailable")}, true},
		{"missing", &types.ParameterNotFound{Message: aws.String("not found")}, false},
		{"denied", &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ssm.Secret(failing{c.err}, "/orion/stripe/secret-key")(context.Background())
			if err == nil || errors.Is(err, ssm.ErrUnavailable) != c.transient {
				t.Fatalf("%v: transient %v; want %v", err, errors.Is(err, ssm.ErrUnavailable), c.transient)
			}
		})
	}
}
