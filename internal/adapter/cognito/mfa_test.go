package cognito_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/orion-oss/orion/internal/adapter/cognito"
	"github.com/orion-oss/orion/internal/customer"
)

// answers fakes the adapter's own Cognito port for the answers the emulator never gives: each method
// the test needs answers what its field says; the rest are the nil interface (a call panics).
type answers struct {
	cognito.Cognito
	initiate *cip.InitiateAuthOutput
	verify   *cip.VerifySoftwareTokenOutput
	err      error
}

func (a answers) DescribeUserPoolClient(context.Context, *cip.DescribeUserPoolClientInput, ...func(*cip.Options)) (*cip.DescribeUserPoolClientOutput, error) {
	return &cip.DescribeUserPoolClientOutput{UserPoolClient: &ciptypes.UserPoolClientType{ClientSecret: aws.String("secret")}}, nil
}

func (a answers) InitiateAuth(context.Context, *cip.InitiateAuthInput, ...func(*cip.Options)) (*cip.InitiateAuthOutput, error) {
	return a.initiate, a.err
}

func (a answers) VerifySoftwareToken(context.Context, *cip.VerifySoftwareTokenInput, ...func(*cip.Options)) (*cip.VerifySoftwareTokenOutput, error) {
	return a.verify, a.err
}

func (a answers) SetUserMFAPreference(context.Context, *cip.SetUserMFAPreferenceInput, ...func(*cip.Options)) (*cip.SetUserMFAPreferenceOutput, error) {
	return &cip.SetUserMFAPreferenceOutput{}, nil
}

// Cognito's answers per its API reference that moto never gives still end in a 4xx error, and never in
// tokens: a challenge Orion does not switch on, an access token that is no JWT, VerifySoftwareToken's
// EnableSoftwareTokenMFAException and its ERROR status.
func TestUserPoolRefusesWhatItCannotHandle(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		idp  answers
		call func(p *cognito.UserPool) error
		want error
	}{
		{"a new-password challenge", answers{initiate: &cip.InitiateAuthOutput{ChallengeName: ciptypes.ChallengeNameTypeNewPasswordRequired, Session: aws.String("s")}},
			func(p *cognito.UserPool) error { _, err := p.SignIn(ctx, "ann@example.com", "pw"); return err }, customer.ErrBadCredentials},
		{"an MFA challenge without a session", answers{initiate: &cip.InitiateAuthOutput{ChallengeName: ciptypes.ChallengeNameTypeSoftwareTokenMfa}},
			func(p *cognito.UserPool) error { _, err := p.SignIn(ctx, "ann@example.com", "pw"); return err }, customer.ErrBadCredentials},
		{"a challenge on refresh", answers{initiate: &cip.InitiateAuthOutput{ChallengeName: ciptypes.ChallengeNameTypeSoftwareTokenMfa, Session: aws.String("s")}},
			func(p *cognito.UserPool) error { _, err := p.Refresh(ctx, "u-1", "r"); return err }, customer.ErrBadCredentials},
		{"a code the enrolment refuses", answers{err: &ciptypes.EnableSoftwareTokenMFAException{Message: aws.String("Code mismatch")}},
			func(p *cognito.UserPool) error { return p.VerifyTOTP(ctx, "a", "123456") }, customer.ErrBadCode},
		{"a code whose status is ERROR", answers{verify: &cip.VerifySoftwareTokenOutput{Status: ciptypes.VerifySoftwareTokenResponseTypeError}},
			func(p *cognito.UserPool) error { return p.VerifyTOTP(ctx, "a", "123456") }, customer.ErrBadCode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(cognito.NewUserPool(tt.idp, "pool", "client")); !errors.Is(err, tt.want) {
				t.Fatalf("err %v; want %v", err, tt.want)
			}
		})
	}
	// Tokens whose access token does not decode are no sign-in (an admin's could pass without MFA).
	p := cognito.NewUserPool(answers{initiate: &cip.InitiateAuthOutput{AuthenticationResult: &ciptypes.AuthenticationResultType{AccessToken: aws.String("opaque")}}}, "pool", "client")
	if s, err := p.SignIn(ctx, "ann@example.com", "pw"); err == nil || s.Tokens.AccessToken != "" {
		t.Fatalf("an undecodable token: %+v %v; want an error and no tokens", s, err)
	}
}
