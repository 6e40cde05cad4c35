package cognito

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/orion-oss/orion/internal/account"
	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/validation"
)

// RespondMFA answers the SOFTWARE_TOKEN_MFA challenge of a sign-in with a TOTP code
// (docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_RespondToAuthChallenge.html):
// customer.ErrBadCode for a wrong code, customer.ErrBadCredentials for a session that expired (three
// minutes) or was used.
func (p *UserPool) RespondMFA(ctx context.Context, username, session, code string) (account.SignIn, error) {
	h, err := p.secret.hash(ctx, username) // the USERNAME the challenge response sends
	if err != nil {
		return account.SignIn{}, err
	}
	out, err := p.idp.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{ClientId: aws.String(p.clientID),
		ChallengeName: types.ChallengeNameTypeSoftwareTokenMfa, Session: aws.String(session), UserContextData: userContext(ctx),
		ChallengeResponses: map[string]string{"USERNAME": username, "SOFTWARE_TOKEN_MFA_CODE": code, "SECRET_HASH": aws.ToString(h)}})
	if err != nil {
		return account.SignIn{}, refusal("respond to auth challenge", err)
	}
	return signedIn(out.AuthenticationResult, out.ChallengeName, out.Session, out.ChallengeParameters)
}

// AssociateTOTP starts a TOTP enrolment for the user of accessToken and returns the shared secret
// (base32) the authenticator app needs.
func (p *UserPool) AssociateTOTP(ctx context.Context, accessToken string) (string, error) {
	out, err := p.idp.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{AccessToken: aws.String(accessToken)})
	if err != nil {
		return "", refusal("associate software token", err)
	}
	return aws.ToString(out.SecretCode), nil
}

// VerifyTOTP completes the enrolment with a code of the new secret and makes TOTP the user's MFA, so
// that every later sign-in, through Orion or straight at Cognito, meets the SOFTWARE_TOKEN_MFA
// challenge (docs.aws.amazon.com/cognito/latest/developerguide/user-pool-settings-mfa-totp.html).
// customer.ErrBadCode for a wrong code.
func (p *UserPool) VerifyTOTP(ctx context.Context, accessToken, code string) error {
	out, err := p.idp.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{AccessToken: aws.String(accessToken), UserCode: aws.String(code),
		FriendlyDeviceName: aws.String("Orion")})
	if errors.As(err, new(*types.EnableSoftwareTokenMFAException)) { // "the code is wrong" on some paths
		return customer.ErrBadCode
	}
	if err != nil {
		return refusal("verify software token", err)
	}
	if out.Status != types.VerifySoftwareTokenResponseTypeSuccess {
		return customer.ErrBadCode
	}
	_, err = p.idp.SetUserMFAPreference(ctx, &cip.SetUserMFAPreferenceInput{AccessToken: aws.String(accessToken),
		SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: true, PreferredMfa: true}})
	if err != nil {
		return refusal("set user mfa preference", err)
	}
	return nil
}

// errWeakPassword is Cognito's InvalidPasswordException as the field problem the client can act on.
func errWeakPassword(field string) error {
	return validation.New(field, "does not meet the password policy")
}
