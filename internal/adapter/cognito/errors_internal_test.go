package cognito

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"

	"github.com/orion-oss/orion/internal/web"
)

// Every exception the API reference lists for each operation an account endpoint calls
// (docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_<Operation>.html, "Errors";
// the same lists as the service model's, botocore data cognito-idp 2016-04-18) gives the status
// written here, and none a 5xx. 202 means refusal returns nil: the endpoint answers as if the call had
// worked (resend and forgot-password, for anything that would tell whether the address has a user).
// UsernameExists is 409 here; register turns it into its one 202 (internal/account, register.go).
func TestRefusalTable(t *testing.T) {
	tests := []struct {
		op       string
		statuses map[int][]string // status -> documented exceptions, without the "Exception" suffix
	}{
		{"SignUp", map[int][]string{202: {"CodeDeliveryFailure"}, 400: {"InvalidParameter", "InvalidPassword"}, 409: {"UsernameExists"}, 429: {"ResourceNotFound", "UnexpectedLambda", "UserLambdaValidation", "NotAuthorized", "InvalidLambdaResponse", "TooManyRequests", "InternalError", "LimitExceeded", "InvalidSmsRoleAccessPolicy", "InvalidSmsRoleTrustRelationship", "InvalidEmailRoleAccessPolicy", "Forbidden"}}},
		{"ConfirmSignUp", map[int][]string{400: {"InvalidParameter", "NotAuthorized", "TooManyFailedAttempts", "CodeMismatch", "ExpiredCode", "AliasExists", "LimitExceeded", "UserNotFound"}, 429: {"ResourceNotFound", "UnexpectedLambda", "UserLambdaValidation", "InvalidLambdaResponse", "TooManyRequests", "InternalError", "Forbidden"}}},
		{"ResendConfirmationCode", map[int][]string{202: {"InvalidParameter", "NotAuthorized", "LimitExceeded", "CodeDeliveryFailure", "UserNotFound"}, 429: {"ResourceNotFound", "UnexpectedLambda", "UserLambdaValidation", "InvalidLambdaResponse", "TooManyRequests", "InvalidSmsRoleAccessPolicy", "InvalidSmsRoleTrustRelationship", "InvalidEmailRoleAccessPolicy", "InternalError", "Forbidden"}}},
		{"ForgotPassword", map[int][]string{202: {"InvalidParameter", "NotAuthorized", "LimitExceeded", "CodeDeliveryFailure", "UserNotFound"}, 429: {"ResourceNotFound", "UnexpectedLambda", "UserLambdaValidation", "InvalidLambdaResponse", "TooManyRequests", "InvalidSmsRoleAccessPolicy", "InvalidSmsRoleTrustRelationship", "InvalidEmailRoleAccessPolicy", "InternalError", "Forbidden"}}},
		{"ConfirmForgotPassword", map[int][]string{400: {"InvalidParameter", "InvalidPassword", "PasswordHistoryPolicyViolation", "NotAuthorized", "CodeMismatch", "ExpiredCode", "TooManyFailedAttempts", "LimitExceeded", "UserNotFound", "UserNotConfirmed"}, 429: {"ResourceNotFound", "UnexpectedLambda", "UserLambdaValidation", "InvalidLambdaResponse", "TooManyRequests", "InternalError", "Forbidden"}}},
		{"InitiateAuth", map[int][]string{401: {"InvalidParameter", "NotAuthorized", "PasswordResetRequired", "UserNotFound", "UserNotConfirmed"}, 429: {"UnsupportedOperation", "ResourceNotFound", "TooManyRequests", "UnexpectedLambda", "InvalidUserPoolConfiguration", "UserLambdaValidation", "InvalidLambdaResponse", "InternalError", "InvalidSmsRoleAccessPolicy", "InvalidEmailRoleAccessPolicy", "InvalidSmsRoleTrustRelationship", "Forbidden"}}},
		{"RespondToAuthChallenge", map[int][]string{400: {"CodeMismatch", "ExpiredCode", "InvalidPassword", "PasswordHistoryPolicyViolation"}, 401: {"InvalidParameter", "NotAuthorized", "MFAMethodNotFound", "PasswordResetRequired", "UserNotFound", "UserNotConfirmed", "AliasExists", "SoftwareTokenMFANotFound"}, 429: {"ResourceNotFound", "UnexpectedLambda", "UserLambdaValidation", "InvalidLambdaResponse", "TooManyRequests", "InvalidUserPoolConfiguration", "InvalidSmsRoleAccessPolicy", "InvalidSmsRoleTrustRelationship", "InvalidEmailRoleAccessPolicy", "InternalError", "Forbidden"}}},
		{"ChangePassword", map[int][]string{400: {"InvalidParameter", "InvalidPassword", "PasswordHistoryPolicyViolation"}, 401: {"NotAuthorized", "PasswordResetRequired", "UserNotFound", "UserNotConfirmed"}, 429: {"ResourceNotFound", "TooManyRequests", "LimitExceeded", "InternalError", "Forbidden"}}},
		{"RevokeToken", map[int][]string{401: {"Unauthorized", "InvalidParameter", "UnsupportedTokenType"}, 429: {"TooManyRequests", "InternalError", "UnsupportedOperation", "Forbidden"}}},
		{"GlobalSignOut", map[int][]string{401: {"InvalidParameter", "NotAuthorized", "PasswordResetRequired", "UserNotConfirmed"}, 429: {"ResourceNotFound", "TooManyRequests", "InternalError", "Forbidden"}}},
		{"UpdateUserAttributes", map[int][]string{400: {"InvalidParameter", "CodeMismatch", "ExpiredCode", "AliasExists"}, 401: {"NotAuthorized", "PasswordResetRequired", "UserNotFound", "UserNotConfirmed"}, 429: {"ResourceNotFound", "UnexpectedLambda", "UserLambdaValidation", "InvalidLambdaResponse", "TooManyRequests", "InvalidSmsRoleAccessPolicy", "InvalidSmsRoleTrustRelationship", "InvalidEmailRoleAccessPolicy", "CodeDeliveryFailure", "InternalError", "Forbidden"}}},
		{"VerifyUserAttribute", map[int][]string{400: {"InvalidParameter", "CodeMismatch", "ExpiredCode", "AliasExists"}, 401: {"NotAuthorized", "PasswordResetRequired", "UserNotFound", "UserNotConfirmed"}, 429: {"ResourceNotFound", "TooManyRequests", "LimitExceeded", "InternalError", "Forbidden"}}},
		{"GetUserAttributeVerificationCode", map[int][]string{400: {"InvalidParameter"}, 401: {"NotAuthorized", "PasswordResetRequired", "UserNotFound", "UserNotConfirmed"}, 429: {"ResourceNotFound", "TooManyRequests", "UnexpectedLambda", "UserLambdaValidation", "InvalidLambdaResponse", "InvalidSmsRoleAccessPolicy", "InvalidSmsRoleTrustRelationship", "InvalidEmailRoleAccessPolicy", "CodeDeliveryFailure", "LimitExceeded", "InternalError", "Forbidden"}}},
		{"AssociateSoftwareToken", map[int][]string{401: {"InvalidParameter", "NotAuthorized"}, 409: {"ConcurrentModification"}, 429: {"ResourceNotFound", "InternalError", "SoftwareTokenMFANotFound", "Forbidden"}}},
		{"VerifySoftwareToken", map[int][]string{400: {"InvalidParameter", "EnableSoftwareTokenMFA", "SoftwareTokenMFANotFound", "CodeMismatch"}, 401: {"NotAuthorized", "PasswordResetRequired", "UserNotFound", "UserNotConfirmed"}, 429: {"ResourceNotFound", "InvalidUserPoolConfiguration", "TooManyRequests", "InternalError", "Forbidden"}}},
		{"SetUserMFAPreference", map[int][]string{400: {"InvalidParameter"}, 401: {"NotAuthorized", "PasswordResetRequired", "UserNotFound", "UserNotConfirmed"}, 429: {"ResourceNotFound", "InternalError", "Forbidden"}}},
	}
	log := slog.New(slog.DiscardHandler)
	for _, tt := range tests {
		for want, codes := range tt.statuses {
			for _, code := range codes {
				t.Run(tt.op+"/"+code, func(t *testing.T) {
					err := &smithy.OperationError{ServiceID: "Cognito Identity Provider", OperationName: tt.op,
						Err: &smithy.GenericAPIError{Code: code + "Exception", Message: "from the test"}}
					got := refusal("some other op", err) // the operation in the error wins
					status := 202
					if got != nil {
						status = web.Error(context.Background(), log, got).StatusCode
					}
					if status >= 500 || status != want {
						t.Fatalf("%s %s: status %d (%v); want %d", tt.op, code, status, got, want)
					}
				})
			}
		}
	}
}

// What the table does not list still answers deliberately: an exception no reference names, a failure
// without one (the network, a deadline), a typed SDK error, and an operation named as the callers
// write it.
func TestRefusalBeyondTheTable(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	tests := []struct {
		name string
		op   string
		err  error
		want int
	}{
		{"an exception nobody documents", "SignUp", &smithy.GenericAPIError{Code: "BrandNewException"}, 429},
		{"no exception at all", "SignUp", fmt.Errorf("dial tcp: %w", errors.New("connection refused")), 429},
		{"a deadline", "InitiateAuth", context.DeadlineExceeded, 429},
		{"a typed SDK error", "initiate auth", &types.NotAuthorizedException{}, 401},
		{"op written with spaces and lower case", "confirm sign up", &types.NotAuthorizedException{}, 400},
		{"op from the SDK's operation error", "", &smithy.OperationError{OperationName: "ConfirmForgotPassword", Err: &types.UserNotFoundException{}}, 400},
		{"a busy software token", "AssociateSoftwareToken", &types.ConcurrentModificationException{}, 409},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := refusal(tt.op, tt.err)
			if got == nil {
				t.Fatal("refusal returned nil")
			}
			if s := web.Error(context.Background(), log, got).StatusCode; s != tt.want {
				t.Fatalf("status %d (%v); want %d", s, got, tt.want)
			}
		})
	}
	if refusal("SignUp", nil) != nil {
		t.Fatal("refusal of no error is an error")
	}
}
