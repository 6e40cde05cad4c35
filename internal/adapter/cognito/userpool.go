// Package cognito is the Cognito user pool behind package account's UserPool port: sign-up,
// confirmation, sign-in and refresh, with Cognito's exceptions turned into the customer errors the port
// promises. Tokens are Cognito's; the HTTP API's JWT authorizer verifies them (internal/auth where a
// function verifies one itself). Only the four account functions link it: the Cognito client's endpoint
// tables cost every function that links them time at each cold start.
package cognito

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/orion-oss/orion/internal/account"
	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/validation"
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

// UserPool is the user pool of the account functions (account.UserPool).
type UserPool struct {
	idp      Cognito
	poolID   string
	clientID string
}

// NewUserPool builds the adapter for a pool and its app client (poolID is needed only by ConfirmUser).
func NewUserPool(idp Cognito, poolID, clientID string) *UserPool {
	return &UserPool{idp: idp, poolID: poolID, clientID: clientID}
}

// SignUp creates an unconfirmed user and returns its id (the token's sub).
func (p *UserPool) SignUp(ctx context.Context, email customer.Email, password, name string) (string, error) {
	out, err := p.idp.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(p.clientID), Username: aws.String(email.String()), Password: aws.String(password),
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String(email.String())}, {Name: aws.String("name"), Value: aws.String(name)}}})
	var exists *types.UsernameExistsException
	var weak *types.InvalidPasswordException
	var invalid *types.InvalidParameterException
	switch {
	case errors.As(err, &exists):
		return "", customer.ErrEmailTaken
	case errors.As(err, &weak):
		return "", validation.New("password", "does not meet the password policy")
	case errors.As(err, &invalid):
		return "", validation.New("email", "was refused by the identity provider")
	case err != nil:
		return "", fmt.Errorf("cognito: sign up: %w", err)
	}
	return aws.ToString(out.UserSub), nil
}

// ConfirmUser confirms a user without a code and marks the address verified.
func (p *UserPool) ConfirmUser(ctx context.Context, email customer.Email) error {
	if _, err := p.idp.AdminConfirmSignUp(ctx, &cip.AdminConfirmSignUpInput{UserPoolId: aws.String(p.poolID), Username: aws.String(email.String())}); err != nil {
		return fmt.Errorf("cognito: confirm: %w", err)
	}
	// Without auto-verified attributes (template.yaml: none when users are auto-confirmed, so that
	// SignUp mails no code) the address would stay unverified, and a forgotten password could not be
	// recovered through it (AccountRecoverySetting verified_email).
	if _, err := p.idp.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: aws.String(p.poolID), Username: aws.String(email.String()),
		UserAttributes: []types.AttributeType{{Name: aws.String("email_verified"), Value: aws.String("true")}}}); err != nil {
		return fmt.Errorf("cognito: mark email verified: %w", err)
	}
	return nil
}

// ConfirmSignUp completes a registration with the emailed code.
func (p *UserPool) ConfirmSignUp(ctx context.Context, email customer.Email, code string) error {
	_, err := p.idp.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(p.clientID), Username: aws.String(email.String()), ConfirmationCode: aws.String(code)})
	var mismatch *types.CodeMismatchException
	var expired *types.ExpiredCodeException
	var missing *types.UserNotFoundException
	switch {
	case errors.As(err, &mismatch), errors.As(err, &expired), errors.As(err, &missing):
		return customer.ErrBadCode
	case err != nil:
		return fmt.Errorf("cognito: confirm: %w", err)
	}
	return nil
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
	var notAuth *types.NotAuthorizedException
	var notFound *types.UserNotFoundException
	var notConfirmed *types.UserNotConfirmedException
	switch {
	case errors.As(err, &notAuth), errors.As(err, &notFound), errors.As(err, &notConfirmed):
		// One answer whether or not the account exists, so sign-in cannot enumerate users.
		return account.SignIn{}, customer.ErrBadCredentials
	case err != nil:
		return account.SignIn{}, refusal("initiate auth", err)
	}
	return signedIn(out.AuthenticationResult, out.ChallengeName, out.Session)
}
