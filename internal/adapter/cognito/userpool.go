// Package cognito is registration and sign-in against the Cognito user pool: the seed system's
// AuthController, done serverless. Tokens are Cognito's; the HTTP API's JWT authorizer verifies them
// (internal/auth where a function verifies one itself). Only the four account functions link it: the
// Cognito client's endpoint tables cost every function that links them time at each cold start.
package cognito

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

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
}

// Service registers users and signs them in.
type Service struct {
	idp         Cognito
	poolID      string
	clientID    string
	autoConfirm bool
}

// NewService builds the service; autoConfirm confirms users at registration (dev and local).
func NewService(idp Cognito, poolID, clientID string, autoConfirm bool) *Service {
	return &Service{idp: idp, poolID: poolID, clientID: clientID, autoConfirm: autoConfirm}
}

// Tokens are what a successful sign-in returns.
type Tokens struct {
	AccessToken  string `json:"accessToken"`
	IDToken      string `json:"idToken"`
	RefreshToken string `json:"refreshToken,omitempty"`
	ExpiresIn    int32  `json:"expiresIn"`
	TokenType    string `json:"tokenType"`
}

// Register creates an account. It returns the user id (the token's sub).
func (s *Service) Register(ctx context.Context, email customer.Email, password, name string) (string, error) {
	var c validation.Collector
	c.Merge("", customer.ValidatePassword(password))
	if n := utf8.RuneCountInString(strings.TrimSpace(name)); n == 0 || n > 200 {
		c.Add("name", "is required (at most 200 characters)")
	}
	if err := c.Err(); err != nil {
		return "", err
	}
	out, err := s.idp.SignUp(ctx, &cip.SignUpInput{ClientId: aws.String(s.clientID), Username: aws.String(email.String()), Password: aws.String(password),
		UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String(email.String())}, {Name: aws.String("name"), Value: aws.String(strings.TrimSpace(name))}}})
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
	if s.autoConfirm {
		if _, err := s.idp.AdminConfirmSignUp(ctx, &cip.AdminConfirmSignUpInput{UserPoolId: aws.String(s.poolID), Username: aws.String(email.String())}); err != nil {
			return "", fmt.Errorf("cognito: confirm: %w", err)
		}
		// Without auto-verified attributes (template.yaml: none when users are auto-confirmed, so that
		// SignUp mails no code) the address would stay unverified, and a forgotten password could not be
		// recovered through it (AccountRecoverySetting verified_email).
		if _, err := s.idp.AdminUpdateUserAttributes(ctx, &cip.AdminUpdateUserAttributesInput{UserPoolId: aws.String(s.poolID), Username: aws.String(email.String()),
			UserAttributes: []types.AttributeType{{Name: aws.String("email_verified"), Value: aws.String("true")}}}); err != nil {
			return "", fmt.Errorf("cognito: mark email verified: %w", err)
		}
	}
	return aws.ToString(out.UserSub), nil
}

// Confirm completes a registration with the emailed code.
func (s *Service) Confirm(ctx context.Context, email customer.Email, code string) error {
	if code == "" || len(code) > 16 {
		return validation.New("code", "is required")
	}
	_, err := s.idp.ConfirmSignUp(ctx, &cip.ConfirmSignUpInput{ClientId: aws.String(s.clientID), Username: aws.String(email.String()), ConfirmationCode: aws.String(code)})
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

// Login signs in with email and password.
func (s *Service) Login(ctx context.Context, email, password string) (Tokens, error) {
	if email == "" || password == "" {
		return Tokens{}, customer.ErrBadCredentials
	}
	return s.initiate(ctx, types.AuthFlowTypeUserPasswordAuth, map[string]string{"USERNAME": email, "PASSWORD": password})
}

// Refresh trades a refresh token for new access and id tokens.
func (s *Service) Refresh(ctx context.Context, refreshToken string) (Tokens, error) {
	if refreshToken == "" {
		return Tokens{}, customer.ErrBadCredentials
	}
	return s.initiate(ctx, types.AuthFlowTypeRefreshTokenAuth, map[string]string{"REFRESH_TOKEN": refreshToken})
}

func (s *Service) initiate(ctx context.Context, flow types.AuthFlowType, params map[string]string) (Tokens, error) {
	out, err := s.idp.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(s.clientID), AuthFlow: flow, AuthParameters: params})
	var notAuth *types.NotAuthorizedException
	var notFound *types.UserNotFoundException
	var notConfirmed *types.UserNotConfirmedException
	switch {
	case errors.As(err, &notAuth), errors.As(err, &notFound), errors.As(err, &notConfirmed):
		// One answer whether or not the account exists, so sign-in cannot enumerate users.
		return Tokens{}, customer.ErrBadCredentials
	case err != nil:
		return Tokens{}, fmt.Errorf("cognito: initiate auth: %w", err)
	case out.AuthenticationResult == nil:
		return Tokens{}, fmt.Errorf("cognito: challenge %s is not supported", out.ChallengeName)
	}
	r := out.AuthenticationResult
	return Tokens{AccessToken: aws.ToString(r.AccessToken), IDToken: aws.ToString(r.IdToken), RefreshToken: aws.ToString(r.RefreshToken),
		ExpiresIn: r.ExpiresIn, TokenType: "Bearer"}, nil
}
