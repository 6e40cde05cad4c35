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
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/orion-oss/orion/internal/account"
	"github.com/orion-oss/orion/internal/customer"
)

// Cognito is the part of the Cognito API the sign-in client's calls use (registration has its own,
// RegistrationAPI).
type Cognito interface {
	DescribeClientAPI // the sign-in client's secret
	GetUser(context.Context, *cip.GetUserInput, ...func(*cip.Options)) (*cip.GetUserOutput, error)
	GlobalSignOut(context.Context, *cip.GlobalSignOutInput, ...func(*cip.Options)) (*cip.GlobalSignOutOutput, error)
	AdminUpdateUserAttributes(context.Context, *cip.AdminUpdateUserAttributesInput, ...func(*cip.Options)) (*cip.AdminUpdateUserAttributesOutput, error)
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

// UserPool is the user pool as the sign-in client's calls use it (account.Authenticator,
// account.Refresher and the signed-in account's ports). The client has a secret (template.yaml
// UserPoolClient), so that nobody signs in at Cognito around Orion's login, which refuses an admin
// without TOTP (docs/adr/0017): every InitiateAuth and RespondToAuthChallenge carries SECRET_HASH,
// RevokeToken the secret itself. The secret is read at the first call that needs it, as the
// registration client's is (secret.go).
type UserPool struct {
	idp      Cognito
	poolID   string
	clientID string
	secret   *clientSecret
}

// NewUserPool builds the adapter for a pool and its sign-in app client. Nothing is called until the
// first request.
func NewUserPool(idp Cognito, poolID, clientID string) *UserPool {
	return &UserPool{idp: idp, poolID: poolID, clientID: clientID, secret: newClientSecret(idp, poolID, clientID)}
}

// SignIn signs in with email and password: tokens, or the TOTP challenge of a user with MFA.
func (p *UserPool) SignIn(ctx context.Context, email, password string) (account.SignIn, error) {
	return p.initiate(ctx, types.AuthFlowTypeUserPasswordAuth, email, map[string]string{"USERNAME": email, "PASSWORD": password})
}

// Refresh trades a refresh token for new access and id tokens and the groups they carry. username is
// the user's username in the pool (Tokens.Username, the tokens' username claim), not the address: a
// refresh's SECRET_HASH is computed with it, the one name Cognito keeps with the refresh token
// (docs.aws.amazon.com/cognito/latest/developerguide/signing-up-users-in-your-app.html#cognito-user-pools-computing-secret-hash;
// repost.aws/knowledge-center/cognito-unable-to-verify-secret-hash). A wrong one is refused as a
// wrong token is.
func (p *UserPool) Refresh(ctx context.Context, username, refreshToken string) (account.SignIn, error) {
	s, err := p.initiate(ctx, types.AuthFlowTypeRefreshTokenAuth, username, map[string]string{"REFRESH_TOKEN": refreshToken})
	if err == nil && s.MFA != nil { // Cognito asks no challenge on refresh; should it, no tokens pass
		return account.SignIn{}, fmt.Errorf("cognito: refresh: %w (challenge)", customer.ErrBadCredentials)
	}
	return s, err
}

// HasTOTP tells whether the user of accessToken has TOTP as their MFA: enabled and preferred, which is
// what makes Cognito challenge every password sign-in (VerifyTOTP sets both; SetUserMFAPreference
// with the user's own token can switch it off). GetUser answers UserMFASettingList and
// PreferredMfaSetting (docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_GetUser.html).
func (p *UserPool) HasTOTP(ctx context.Context, accessToken string) (bool, error) {
	out, err := p.idp.GetUser(ctx, &cip.GetUserInput{AccessToken: aws.String(accessToken)})
	if err != nil {
		return false, refusal("GetUser", err)
	}
	const totp = "SOFTWARE_TOKEN_MFA"
	return aws.ToString(out.PreferredMfaSetting) == totp && slices.Contains(out.UserMFASettingList, totp), nil
}

func (p *UserPool) initiate(ctx context.Context, flow types.AuthFlowType, username string, params map[string]string) (account.SignIn, error) {
	h, err := p.secret.hash(ctx, username)
	if err != nil {
		return account.SignIn{}, err
	}
	params["SECRET_HASH"] = aws.ToString(h)
	out, err := p.idp.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(p.clientID), AuthFlow: flow, AuthParameters: params,
		UserContextData: userContext(ctx)})
	switch {
	case err != nil:
		// One answer whether or not the account exists, so sign-in cannot enumerate users (refusal's
		// table: NotAuthorized, UserNotFound, UserNotConfirmed are all bad credentials).
		return account.SignIn{}, refusal("InitiateAuth", err)
	}
	return signedIn(out.AuthenticationResult, out.ChallengeName, out.Session, out.ChallengeParameters)
}
