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

var _ account.UserPool = (*cognito.UserPool)(nil)

// newPool creates a user pool and an app client shaped as template.yaml's (sign-in by email, the
// password and refresh flows) in the emulator.
func newPool(t *testing.T) (*cip.Client, *cognito.UserPool, string) {
	t.Helper()
	ctx := context.Background()
	idp := cip.NewFromConfig(awstest.Config(t))
	pool, err := idp.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String(awstest.Name(t, "pool")),
		UsernameAttributes: []ciptypes.UsernameAttributeType{ciptypes.UsernameAttributeTypeEmail}})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(pool.UserPool.Id)
	client, err := idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: &poolID, ClientName: aws.String("api"),
		ExplicitAuthFlows: []ciptypes.ExplicitAuthFlowsType{ciptypes.ExplicitAuthFlowsTypeAllowUserPasswordAuth, ciptypes.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	return idp, cognito.NewUserPool(idp, poolID, aws.ToString(client.UserPoolClient.ClientId)), poolID
}

// A registration through the adapter, confirmed without a code, signs in and refreshes; Cognito's
// refusals come back as the errors the account port promises.
func TestUserPoolRegistersAndSignsIn(t *testing.T) {
	ctx := context.Background()
	idp, pool, poolID := newPool(t)
	ann, _ := customer.ParseEmail("ann@example.com")
	const password = "Correct-Horse-9"
	sub, err := pool.SignUp(ctx, ann, password, "Ann")
	if err != nil || sub == "" {
		t.Fatalf("sign up: %q %v", sub, err)
	}
	if err := pool.ConfirmUser(ctx, ann); err != nil {
		t.Fatal(err)
	}
	u, err := idp.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: &poolID, Username: aws.String(ann.String())})
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
	signIn, err := pool.SignIn(ctx, ann.String(), password)
	tok := signIn.Tokens
	if err != nil || tok.AccessToken == "" || tok.RefreshToken == "" || tok.TokenType != "Bearer" || tok.ExpiresIn <= 0 {
		t.Fatalf("sign in: %+v %v", tok, err)
	}
	refreshed, err := pool.Refresh(ctx, tok.RefreshToken)
	if err != nil || refreshed.AccessToken == "" {
		t.Fatalf("refresh: %+v %v", refreshed, err)
	}

	bob, _ := customer.ParseEmail("bob@example.com")
	tests := []struct {
		name string
		call func() error
		want error
	}{
		{"the address again", func() error { _, err := pool.SignUp(ctx, ann, password, "Ann"); return err }, customer.ErrEmailTaken},
		{"a wrong password", func() error { _, err := pool.SignIn(ctx, ann.String(), password+"x"); return err }, customer.ErrBadCredentials},
		{"no such user", func() error { _, err := pool.SignIn(ctx, bob.String(), password); return err }, customer.ErrBadCredentials},
		{"a forged refresh token", func() error { _, err := pool.Refresh(ctx, "forged"); return err }, customer.ErrBadCredentials},
		{"a code for no such user", func() error { return pool.ConfirmSignUp(ctx, bob, "123456") }, customer.ErrBadCode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, tt.want) {
				t.Fatalf("err %v; want %v", err, tt.want)
			}
		})
	}
}
