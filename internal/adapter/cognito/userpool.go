// Package cognito is the Cognito user pool behind package account's ports: sign-in and refresh
// through the sign-in app client (UserPool), sign-up, confirmation, codes and password resets through
// the registration client (Registration), with every Cognito exception turned into the customer error
// the ports promise (errors.go). Tokens are Cognito's; the HTTP API's JWT authorizer verifies them
// (internal/auth where a function verifies one itself). Only the account functions link it: the
// Cognito client's endpoint tables cost every function that links them time at each cold start.
package cognito

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/orion-oss/orion/internal/account"
)

// Cognito is the part of the Cognito API this package uses.
type Cognito interface {
	SignUp(context.Context, *cip.SignUpInput, ...func(*cip.Options)) (*cip.SignUpOutput, error)
	AdminConfirmSignUp(context.Context, *cip.AdminConfirmSignUpInput, ...func(*cip.Options)) (*cip.AdminConfirmSignUpOutput, error)
	AdminUpdateUserAttributes(context.Context, *cip.AdminUpdateUserAttributesInput, ...func(*cip.Options)) (*cip.AdminUpdateUserAttributesOutput, error)
	ConfirmSignUp(context.Context, *cip.ConfirmSignUpInput, ...func(*cip.Options)) (*cip.ConfirmSignUpOutput, error)
	InitiateAuth(context.Context, *cip.InitiateAuthInput, ...func(*cip.Options)) (*cip.InitiateAuthOutput, error)
}

// UserPool is the user pool as sign-in and refresh use it (account.Authenticator, account.Refresher).
type UserPool struct {
	idp      Cognito
	poolID   string
	clientID string
}

// NewUserPool builds the adapter for a pool and its sign-in app client.
func NewUserPool(idp Cognito, poolID, clientID string) *UserPool {
	return &UserPool{idp: idp, poolID: poolID, clientID: clientID}
}

// SignIn signs in with email and password.
func (p *UserPool) SignIn(ctx context.Context, email, password string) (account.Tokens, error) {
	return p.initiate(ctx, types.AuthFlowTypeUserPasswordAuth, map[string]string{"USERNAME": email, "PASSWORD": password})
}

// Refresh trades a refresh token for new access and id tokens.
func (p *UserPool) Refresh(ctx context.Context, refreshToken string) (account.Tokens, error) {
	return p.initiate(ctx, types.AuthFlowTypeRefreshTokenAuth, map[string]string{"REFRESH_TOKEN": refreshToken})
}

func (p *UserPool) initiate(ctx context.Context, flow types.AuthFlowType, params map[string]string) (account.Tokens, error) {
	out, err := p.idp.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(p.clientID), AuthFlow: flow, AuthParameters: params})
	switch {
	case err != nil:
		// One answer whether or not the account exists, so sign-in cannot enumerate users (refusal's
		// table: NotAuthorized, UserNotFound, UserNotConfirmed are all bad credentials).
		return account.Tokens{}, refusal("InitiateAuth", err)
	case out.AuthenticationResult == nil:
		return account.Tokens{}, fmt.Errorf("cognito: challenge %s is not supported", out.ChallengeName)
	}
	r := out.AuthenticationResult
	return account.Tokens{AccessToken: aws.ToString(r.AccessToken), IDToken: aws.ToString(r.IdToken), RefreshToken: aws.ToString(r.RefreshToken),
		ExpiresIn: r.ExpiresIn, TokenType: "Bearer"}, nil
}
