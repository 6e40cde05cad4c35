package cognito_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/internal/account"
	"github.com/orion-oss/orion/internal/adapter/cognito"
	"github.com/orion-oss/orion/internal/customer"
)

var (
	_ account.Authenticator = (*cognito.UserPool)(nil)
	_ account.Refresher     = (*cognito.UserPool)(nil)
)

// testPool is a user pool shaped as template.yaml's (sign-in by email) with its two app clients: the
// sign-in client (password and refresh flows) and the registration client, which has a secret.
type testPool struct {
	idp          *cip.Client
	id           string
	signIn       *cognito.UserPool
	registration *cognito.Registration
	regClient    string // the registration client's id
	regSecret    string
}

func newPool(t *testing.T) testPool {
	t.Helper()
	ctx := context.Background()
	idp := cip.NewFromConfig(awstest.Config(t))
	pool, err := idp.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String(awstest.Name(t, "pool")),
		UsernameAttributes: []ciptypes.UsernameAttributeType{ciptypes.UsernameAttributeTypeEmail}})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(pool.UserPool.Id)
	client, err := idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: &id, ClientName: aws.String("api"),
		ExplicitAuthFlows: []ciptypes.ExplicitAuthFlowsType{ciptypes.ExplicitAuthFlowsTypeAllowUserPasswordAuth, ciptypes.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	// The SRP flow only so that the tests can have the emulator check a SECRET_HASH: it checks it in
	// InitiateAuth alone (TestSecretHashIsCognitos). template.yaml's registration client signs nobody in.
	reg, err := idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: &id, ClientName: aws.String("registration"), GenerateSecret: true,
		PreventUserExistenceErrors: ciptypes.PreventUserExistenceErrorTypesEnabled,
		ExplicitAuthFlows:          []ciptypes.ExplicitAuthFlowsType{ciptypes.ExplicitAuthFlowsTypeAllowUserSrpAuth, ciptypes.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	regID := aws.ToString(reg.UserPoolClient.ClientId)
	return testPool{idp: idp, id: id, signIn: cognito.NewUserPool(idp, id, aws.ToString(client.UserPoolClient.ClientId)),
		registration: cognito.NewRegistration(idp, id, regID), regClient: regID, regSecret: aws.ToString(reg.UserPoolClient.ClientSecret)}
}

// A registration through the adapters, confirmed without a code, signs in and refreshes; Cognito's
// refusals come back as the errors the account ports promise.
func TestUserPoolRegistersAndSignsIn(t *testing.T) {
	ctx := context.Background()
	p := newPool(t)
	ann, _ := customer.ParseEmail("ann@example.com")
	const password = "Correct-Horse-9"
	if err := p.registration.SignUp(ctx, ann, password, "Ann"); err != nil {
		t.Fatalf("sign up: %v", err)
	}
	if err := p.registration.ConfirmUser(ctx, ann); err != nil {
		t.Fatal(err)
	}
	u, err := p.idp.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: &p.id, Username: aws.String(ann.String())})
	if err != nil {
		t.Fatal(err)
	}
	attrs := map[string]string{}
	for _, a := range u.UserAttributes {
		attrs[aws.ToString(a.Name)] = aws.ToString(a.Value)
	}
	if u.UserStatus != ciptypes.UserStatusTypeConfirmed || attrs["email_verified"] != "true" || attrs["name"] != "Ann" {
		t.Fatalf("user %s %v; want CONFIRMED with a verified address", u.UserStatus, attrs)
	}
	if h, err := p.registration.Holder(ctx, ann); err != nil || !h.Exists || !h.Confirmed {
		t.Fatalf("holder %+v %v; want a confirmed one", h, err)
	}
	signIn, err := p.signIn.SignIn(ctx, ann.String(), password)
	tok := signIn.Tokens
	if err != nil || tok.AccessToken == "" || tok.RefreshToken == "" || tok.TokenType != "Bearer" || tok.ExpiresIn <= 0 {
		t.Fatalf("sign in: %+v %v", tok, err)
	}
	refreshed, err := p.signIn.Refresh(ctx, tok.RefreshToken)
	if err != nil || refreshed.AccessToken == "" {
		t.Fatalf("refresh: %+v %v", refreshed, err)
	}

	bob, _ := customer.ParseEmail("bob@example.com")
	tests := []struct {
		name string
		call func() error
		want error
	}{
		{"the address again", func() error { return p.registration.SignUp(ctx, ann, password, "Ann") }, customer.ErrEmailTaken},
		{"a wrong password", func() error { _, err := p.signIn.SignIn(ctx, ann.String(), password+"x"); return err }, customer.ErrBadCredentials},
		{"no such user", func() error { _, err := p.signIn.SignIn(ctx, bob.String(), password); return err }, customer.ErrBadCredentials},
		{"a forged refresh token", func() error { _, err := p.signIn.Refresh(ctx, "forged"); return err }, customer.ErrBadCredentials},
		{"a code for no such user", func() error { return p.registration.ConfirmSignUp(ctx, bob, "123456") }, customer.ErrBadCode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, tt.want) {
				t.Fatalf("err %v; want %v", err, tt.want)
			}
		})
	}
}
