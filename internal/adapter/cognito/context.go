package cognito

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/orion-oss/orion/internal/account"
)

// userContext is the UserContextData of an unauthenticated call made for a caller: its IP address
// (account.ClientIP, the HTTP API's requestContext.http.sourceIp), nil when there is none. The
// functions call Cognito from Lambda, so without it Cognito's threat protection would see a Lambda
// address for every user. Cognito takes it only from an app client with
// EnablePropagateAdditionalUserContextData, which only a client with a secret can have
// (docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_UserPoolClientType.html);
// both of template.yaml's clients have both. SignUp, ConfirmSignUp, ResendConfirmationCode,
// ForgotPassword, ConfirmForgotPassword, InitiateAuth and RespondToAuthChallenge take it (their API
// references, UserContextData); the calls with a user's access token and the Admin* calls do not.
// Cognito acts on it only with threat protection, the Plus feature plan (docs/security.md).
func userContext(ctx context.Context) *types.UserContextDataType {
	ip := account.ClientIP(ctx)
	if ip == "" {
		return nil
	}
	return &types.UserContextDataType{IpAddress: aws.String(ip)}
}
