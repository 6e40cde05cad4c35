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
	"github.com/orion-oss/orion/internal/customer"
)

// Cognito is the part of the Cognito API this package uses.
type Cognito interface {
	SignUp(context.Context, *cip.SignUpInput, ...func(*cip.Options)) (*cip.SignUpOutput, error)
	AdminConfirmSignUp(context.Context, *cip.AdminConfirmSignUpInput, ...func(*cip.Options)) (*cip.AdminConfirmSignUpOutput, error)
	AdminUpdateUserAttributes(context.Context, *cip.AdminUpdateUserAttributesInput, ...func(*cip.Options)) (*cip.AdminUpdateUserAttributesOutput, error)
	ConfirmSignUp(context.Context, *cip.ConfirmSignUpInput, ...func(*cip.Options)) (*cip.ConfirmSignUpOutput, error)
	InitiateAuth(context.Context, *cip.InitiateAuthInput, ...func(*cip.Options)) (*cip.InitiateAuthOutput, error)
	// The signed-in account's calls (session.go, mfa.go, email.go).
	RespondToAuthChallenge(context.Context, *cip.RespondToAuthChallengeInput, ...func(*cip.Options)) (*cip.RespondToAuthChallengeOutput, error)
	RevokeToken(context.Context, *cip.RevokeTokenInput, ...func(*cip.Options)) (*cip.RevokeTokenOutput, error)
	ChangePassword(context.Context, *cip.ChangePasswordInput, ...func(*cip.Options)) (*cip.ChangePasswordOutput, error)
	AssociateSoftwareToken(context.Context, *cip.AssociateSoftwareTokenInput, ...func(*cip.Options)) (*cip.AssociateSoftwareTokenOutput, error)
	VerifySoftwareToken(context.Context, *cip.VerifySoftwareTokenInput, ...func(*cip.Options)) (*cip.VerifySoftwareTokenOutput, error)
	SetUserMFAPreference(context.Context, *cip.SetUserMFAPreferenceInput, ...func(*cip.Options)) (*cip.SetUserMFAPreferenceOutput, error)
	VerifyUserAttribute(context.Context, *cip.VerifyUserAttributeInput, ...func(*cip.Options)) (*cip.VerifyUserAttributeOutput, error)
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

// SignIn signs in with email and password: tokens, or the TOTP challenge of a user with MFA.
func (p *UserPool) SignIn(ctx context.Context, email, password string) (account.SignIn, error) {
	return p.initiate(ctx, types.AuthFlowTypeUserPasswordAuth, map[string]string{"USERNAME": email, "PASSWORD": password})
}

// Refresh trades a refresh token for new access and id tokens.
func (p *UserPool) Refresh(ctx context.Context, refreshToken string) (account.Tokens, error) {
	s, err := p.initiate(ctx, types.AuthFlowTypeRefreshTokenAuth, map[string]string{"REFRESH_TOKEN": refreshToken})
	if err == nil && s.MFA != nil { // Cognito asks no challenge on refresh; should it, no tokens pass
		return account.Tokens{}, fmt.Errorf("cognito: refresh: %w (challenge)", customer.ErrBadCredentials)
	}
	return s.Tokens, err
}

func (p *UserPool) initiate(ctx context.Context, flow types.AuthFlowType, params map[string]string) (account.SignIn, error) {
	out, err := p.idp.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(p.clientID), AuthFlow: flow, AuthParameters: params})
	switch {
	case err != nil:
		// One answer whether or not the account exists, so sign-in cannot enumerate users (refusal's
		// table: NotAuthorized, UserNotFound, UserNotConfirmed are all bad credentials).
		return account.SignIn{}, refusal("InitiateAuth", err)
	}
	return signedIn(out.AuthenticationResult, out.ChallengeName, out.Session)
}
