package cognito_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/orion-oss/orion/internal/adapter/cognito"
	"github.com/orion-oss/orion/internal/customer"
)

// The SECRET_HASH the adapter computes is the one Cognito expects: the emulator checks it and refuses
// a wrong one. moto 5.2 checks it only in InitiateAuth's USER_SRP_AUTH (against USERNAME, before any
// SRP math) and REFRESH_TOKEN_AUTH flows, not in SignUp, ConfirmSignUp, ResendConfirmationCode,
// ForgotPassword or ConfirmForgotPassword, where AWS does; so the check is made there.
func TestSecretHashIsCognitos(t *testing.T) {
	ctx := context.Background()
	p := newPool(t)
	ann, _ := customer.ParseEmail("hash@example.com")
	const password = "Correct-Horse-9"
	if err := p.registration.SignUp(ctx, ann, password, "Hash"); err != nil {
		t.Fatal(err)
	}
	if err := p.registration.ConfirmUser(ctx, ann); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, hash string
		ok         bool
	}{
		{"computed", cognito.SecretHash(p.regSecret, ann.String(), p.regClient), true},
		{"of another user", cognito.SecretHash(p.regSecret, "bob@example.com", p.regClient), false},
		{"with another secret", cognito.SecretHash(p.regSecret+"x", ann.String(), p.regClient), false},
	} {
		_, err := p.idp.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: &p.regClient, AuthFlow: ciptypes.AuthFlowTypeUserSrpAuth,
			AuthParameters: map[string]string{"USERNAME": ann.String(), "SRP_A": "1", "SECRET_HASH": tt.hash}})
		if (err == nil) != tt.ok {
			t.Errorf("%s: err %v; want ok=%v", tt.name, err, tt.ok)
		}
	}
}

// counting counts the DescribeUserPoolClient calls that go through it to the emulator.
type counting struct {
	*cip.Client
	describes atomic.Int32
}

func (c *counting) DescribeUserPoolClient(ctx context.Context, in *cip.DescribeUserPoolClientInput, opts ...func(*cip.Options)) (*cip.DescribeUserPoolClientOutput, error) {
	c.describes.Add(1)
	return c.Client.DescribeUserPoolClient(ctx, in, opts...)
}

// The client secret is read on the first call that needs it, not before, and once for all the calls
// after it, concurrent first calls included (docs/adr/0014's rule for secrets).
func TestRegistrationReadsTheSecretOnceOnFirstUse(t *testing.T) {
	ctx := context.Background()
	p := newPool(t)
	c := &counting{Client: p.idp}
	reg := cognito.NewRegistration(c, p.id, p.regClient)
	if n := c.describes.Load(); n != 0 {
		t.Fatalf("%d reads before the first call", n)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e, _ := customer.ParseEmail("forgot" + string(rune('a'+i)) + "@example.com")
			if err := reg.ForgotPassword(ctx, e); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := c.describes.Load(); n != 1 {
		t.Fatalf("%d reads of the secret; want 1", n)
	}
}

// An unconfirmed registration is seen as such, with its age, and can be deleted; deleting what is gone
// is no error.
func TestRegistrationHolderAndDelete(t *testing.T) {
	ctx := context.Background()
	p := newPool(t)
	eve, _ := customer.ParseEmail("eve@example.com")
	if h, err := p.registration.Holder(ctx, eve); err != nil || h.Exists {
		t.Fatalf("nobody: %+v %v", h, err)
	}
	before := time.Now().Add(-time.Minute)
	if err := p.registration.SignUp(ctx, eve, "Correct-Horse-9", "Eve"); err != nil {
		t.Fatal(err)
	}
	h, err := p.registration.Holder(ctx, eve)
	if err != nil || !h.Exists || h.Confirmed || h.Since.Before(before) || h.Since.After(time.Now().Add(time.Minute)) {
		t.Fatalf("unconfirmed: %+v %v", h, err)
	}
	for range 2 {
		if err := p.registration.DeleteUser(ctx, eve); err != nil {
			t.Fatal(err)
		}
	}
	if h, err := p.registration.Holder(ctx, eve); err != nil || h.Exists {
		t.Fatalf("deleted: %+v %v", h, err)
	}
}

// Forgot-password answers alike for a user and for nobody; the reset takes the mailed code (the
// emulator hands it to the caller in a header, x-moto-forgot-password-confirmation-code, where AWS
// mails it) and refuses another one as a bad code, as it does a code for nobody.
func TestRegistrationResetsAPassword(t *testing.T) {
	ctx := context.Background()
	p := newPool(t)
	var code atomic.Value
	spy := cip.New(p.idp.Options(), func(o *cip.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Deserialize.Add(middleware.DeserializeMiddlewareFunc("mailbox", func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleDeserialize(ctx, in)
				if r, ok := out.RawResponse.(*smithyhttp.Response); ok {
					if c := r.Header.Get("x-moto-forgot-password-confirmation-code"); c != "" {
						code.Store(c)
					}
				}
				return out, md, err
			}), middleware.After)
		})
	})
	reg := cognito.NewRegistration(spy, p.id, p.regClient)
	ann, _ := customer.ParseEmail("reset@example.com")
	nobody, _ := customer.ParseEmail("nobody@example.com")
	const password, newPassword = "Correct-Horse-9", "Battery-Staple-7"
	if err := reg.SignUp(ctx, ann, password, "Ann"); err != nil {
		t.Fatal(err)
	}
	if err := reg.ConfirmUser(ctx, ann); err != nil {
		t.Fatal(err)
	}
	for _, e := range []customer.Email{nobody, ann} {
		if err := reg.ForgotPassword(ctx, e); err != nil {
			t.Fatalf("forgot %s: %v", e.Masked(), err)
		}
	}
	mailed, _ := code.Load().(string)
	if mailed == "" {
		t.Fatal("no code was mailed")
	}
	if err := reg.ResetPassword(ctx, ann, "moto-confirmation-code:000000", newPassword); !errors.Is(err, customer.ErrBadCode) {
		t.Fatalf("a wrong code: %v; want a bad code", err)
	}
	if err := reg.ResetPassword(ctx, ann, mailed, newPassword); err != nil {
		t.Fatalf("the mailed code: %v", err)
	}
	if _, err := p.signIn.SignIn(ctx, ann.String(), newPassword); err != nil {
		t.Fatalf("sign in with the new password: %v", err)
	}
	if _, err := p.signIn.SignIn(ctx, ann.String(), password); !errors.Is(err, customer.ErrBadCredentials) {
		t.Fatalf("sign in with the old password: %v", err)
	}
}
