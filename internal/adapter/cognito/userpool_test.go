package cognito_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

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
// sign-in client (password and refresh flows) and the registration client, both with a secret and
// EnablePropagateAdditionalUserContextData.
type testPool struct {
	idp          *cip.Client
	id           string
	signIn       *cognito.UserPool
	registration *cognito.Registration
	regClient    string // the registration client's id
	regSecret    string
	client       string // the sign-in client's id
	secret       string // and its secret
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
	client, err := idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: &id, ClientName: aws.String("api"), GenerateSecret: true,
		EnableTokenRevocation: aws.Bool(true), EnablePropagateAdditionalUserContextData: aws.Bool(true),
		ExplicitAuthFlows: []ciptypes.ExplicitAuthFlowsType{ciptypes.ExplicitAuthFlowsTypeAllowUserPasswordAuth, ciptypes.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	// The SRP flow only so that the tests can have the emulator check a SECRET_HASH: it checks it in
	// InitiateAuth alone (TestSecretHashIsCognitos). template.yaml's registration client signs nobody in.
	reg, err := idp.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: &id, ClientName: aws.String("registration"), GenerateSecret: true,
		PreventUserExistenceErrors: ciptypes.PreventUserExistenceErrorTypesEnabled, EnablePropagateAdditionalUserContextData: aws.Bool(true),
		ExplicitAuthFlows: []ciptypes.ExplicitAuthFlowsType{ciptypes.ExplicitAuthFlowsTypeAllowUserSrpAuth, ciptypes.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	if err != nil {
		t.Fatal(err)
	}
	regID := aws.ToString(reg.UserPoolClient.ClientId)
	return testPool{idp: idp, id: id, signIn: cognito.NewUserPool(idp, id, aws.ToString(client.UserPoolClient.ClientId)),
		registration: cognito.NewRegistration(idp, id, regID), regClient: regID, regSecret: aws.ToString(reg.UserPoolClient.ClientSecret),
		client: aws.ToString(client.UserPoolClient.ClientId), secret: aws.ToString(client.UserPoolClient.ClientSecret)}
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
	if tok.Username == "" || tok.Username == ann.String() {
		t.Fatalf("sign in: username %q; want the user's name in the pool, not the address", tok.Username)
	}
	refreshed, err := p.signIn.Refresh(ctx, tok.Username, tok.RefreshToken)
	if err != nil || refreshed.Tokens.AccessToken == "" || refreshed.Tokens.Username != tok.Username {
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
		{"a forged refresh token", func() error { _, err := p.signIn.Refresh(ctx, tok.Username, "forged"); return err }, customer.ErrBadCredentials},
		// The SECRET_HASH of a refresh names the user in the pool: not the address, nor another user.
		{"a refresh naming the address", func() error { _, err := p.signIn.Refresh(ctx, ann.String(), tok.RefreshToken); return err }, customer.ErrBadCredentials},
		{"a refresh naming another user", func() error { _, err := p.signIn.Refresh(ctx, "someone-else", tok.RefreshToken); return err }, customer.ErrBadCredentials},
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

// The sign-in client has a secret (template.yaml UserPoolClient), so that nobody signs in at Cognito
// around Orion's login: a password sign-in, a refresh or a revocation without it, or with a wrong one,
// is refused, as on AWS (the local emulator is patched to check USER_PASSWORD_AUTH and RevokeToken:
// infra/engine/localaws/motoserver.py).
func TestSignInClientNeedsItsSecret(t *testing.T) {
	ctx := context.Background()
	p := newPool(t)
	const password = "Correct-Horse-9"
	confirmedUser(t, p.idp, p.id, "ann@example.com", password, "")
	s, err := p.signIn.SignIn(ctx, "ann@example.com", password)
	if err != nil {
		t.Fatal(err)
	}
	initiate := func(flow ciptypes.AuthFlowType, params map[string]string) error {
		_, err := p.idp.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: &p.client, AuthFlow: flow, AuthParameters: params})
		return err
	}
	tests := []struct {
		name string
		call func() error
		ok   bool
	}{
		{"a password sign-in without SECRET_HASH", func() error {
			return initiate(ciptypes.AuthFlowTypeUserPasswordAuth, map[string]string{"USERNAME": "ann@example.com", "PASSWORD": password})
		}, false},
		{"a password sign-in with another client's secret", func() error {
			return initiate(ciptypes.AuthFlowTypeUserPasswordAuth, map[string]string{"USERNAME": "ann@example.com", "PASSWORD": password,
				"SECRET_HASH": cognito.SecretHash(p.regSecret, "ann@example.com", p.client)})
		}, false},
		{"a password sign-in with the secret", func() error {
			return initiate(ciptypes.AuthFlowTypeUserPasswordAuth, map[string]string{"USERNAME": "ann@example.com", "PASSWORD": password,
				"SECRET_HASH": cognito.SecretHash(p.secret, "ann@example.com", p.client)})
		}, true},
		{"a refresh without SECRET_HASH", func() error {
			return initiate(ciptypes.AuthFlowTypeRefreshTokenAuth, map[string]string{"REFRESH_TOKEN": s.Tokens.RefreshToken})
		}, false},
		{"a revocation without the secret", func() error {
			_, err := p.idp.RevokeToken(ctx, &cip.RevokeTokenInput{ClientId: &p.client, Token: aws.String(s.Tokens.RefreshToken)})
			return err
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			var api smithy.APIError
			if tt.ok != (err == nil) || (err != nil && (!errors.As(err, &api) || api.ErrorCode() != "NotAuthorizedException")) {
				t.Fatalf("err %v; want ok=%v or NotAuthorizedException", err, tt.ok)
			}
		})
	}
	// Nothing above revoked the token: the adapter, with the secret, still refreshes it.
	if _, err := p.signIn.Refresh(ctx, s.Tokens.Username, s.Tokens.RefreshToken); err != nil {
		t.Fatalf("refresh with the secret: %v", err)
	}
}
