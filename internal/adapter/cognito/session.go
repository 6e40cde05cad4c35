package cognito

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/orion-oss/orion/internal/account"
	"github.com/orion-oss/orion/internal/customer"
)

// signedIn reads what InitiateAuth or RespondToAuthChallenge answered: the tokens, or the TOTP
// challenge (docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_InitiateAuth.html,
// ChallengeName). Other challenges are not switched on in template.yaml (no SMS, MfaConfiguration
// OPTIONAL so never MFA_SETUP, users are never created with a temporary password by the API); one that
// shows up anyway is a refused sign-in, not a 5xx.
func signedIn(r *types.AuthenticationResultType, challenge types.ChallengeNameType, session *string, params map[string]string) (account.SignIn, error) {
	switch {
	case r != nil:
		c, err := claimsOf(aws.ToString(r.AccessToken))
		if err != nil {
			return account.SignIn{}, err
		}
		return account.SignIn{Groups: c.Groups, Tokens: account.Tokens{Username: c.Username, AccessToken: aws.ToString(r.AccessToken), IDToken: aws.ToString(r.IdToken),
			RefreshToken: aws.ToString(r.RefreshToken), ExpiresIn: r.ExpiresIn, TokenType: "Bearer"}}, nil
	case challenge == types.ChallengeNameTypeSoftwareTokenMfa && aws.ToString(session) != "":
		// The user's name in the pool, which the challenge's answer must use rather than the address
		// (an alias): InitiateAuth's ChallengeParameters carry it as USER_ID_FOR_SRP
		// (docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_InitiateAuth.html).
		name := params["USER_ID_FOR_SRP"]
		if name == "" {
			name = params["USERNAME"]
		}
		return account.SignIn{MFA: &account.MFAChallenge{Session: aws.ToString(session), Username: name}}, nil
	}
	return account.SignIn{}, fmt.Errorf("cognito: challenge %q is not supported: %w", challenge, customer.ErrBadCredentials)
}

// accessClaims are the claims of an access token the sign-in reads: its groups, and the user's
// username in the pool, which a refresh's SECRET_HASH needs (UserPool.Refresh).
type accessClaims struct {
	Groups   []string `json:"cognito:groups"`
	Username string   `json:"username"`
}

// claimsOf reads an access token Cognito has just issued to this function over TLS: its signature
// needs no check here, the login only decides whether to hand it out. A token that does not decode
// fails the sign-in (closed): an admin's could otherwise pass without MFA.
func claimsOf(accessToken string) (accessClaims, error) {
	parts := strings.Split(accessToken, ".")
	if len(parts) != 3 {
		return accessClaims{}, errors.New("cognito: the access token is not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return accessClaims{}, fmt.Errorf("cognito: access token payload: %w", err)
	}
	var c accessClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return accessClaims{}, fmt.Errorf("cognito: access token claims: %w", err)
	}
	return c, nil
}

// Revoke revokes a refresh token and the access and id tokens issued from it for Cognito's own APIs
// (docs.aws.amazon.com/cognito/latest/developerguide/token-revocation.html). API Gateway's JWT
// authorizer checks only signature and expiry: those access tokens still pass it until they expire.
// A client with a secret must send it (ClientSecret, API_RevokeToken.html).
func (p *UserPool) Revoke(ctx context.Context, refreshToken string) error {
	secret, err := p.secret.get(ctx)
	if err != nil {
		return err
	}
	_, err = p.idp.RevokeToken(ctx, &cip.RevokeTokenInput{ClientId: aws.String(p.clientID), ClientSecret: aws.String(secret), Token: aws.String(refreshToken)})
	if err != nil {
		return refusal("revoke token", err)
	}
	return nil
}

// ChangePassword changes the signed-in user's password; accessToken is the caller's, which the HTTP
// API's JWT authorizer verified and Cognito checks again (not revoked, not signed out).
func (p *UserPool) ChangePassword(ctx context.Context, accessToken, current, proposed string) error {
	_, err := p.idp.ChangePassword(ctx, &cip.ChangePasswordInput{AccessToken: aws.String(accessToken),
		PreviousPassword: aws.String(current), ProposedPassword: aws.String(proposed)})
	if errors.As(err, new(*types.InvalidPasswordException)) {
		return errWeakPassword("newPassword")
	}
	if err != nil {
		return refusal("change password", err)
	}
	return nil
}

// SignOutEverywhere invalidates every refresh token of the user of accessToken, and the access and id
// tokens issued from them for Cognito's own APIs (docs.aws.amazon.com/cognito-user-identity-pools/
// latest/APIReference/API_GlobalSignOut.html). Access tokens already handed out still pass the HTTP
// API's JWT authorizer until they expire (an hour at most).
func (p *UserPool) SignOutEverywhere(ctx context.Context, accessToken string) error {
	if _, err := p.idp.GlobalSignOut(ctx, &cip.GlobalSignOutInput{AccessToken: aws.String(accessToken)}); err != nil {
		return refusal("GlobalSignOut", err)
	}
	return nil
}
