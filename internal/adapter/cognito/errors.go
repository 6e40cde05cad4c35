package cognito

import (
	"errors"
	"fmt"

	"github.com/aws/smithy-go"

	"github.com/orion-oss/orion/internal/customer"
)

// refusal turns what a Cognito call returned into the error the account port promises: every
// exception a public account call can return (each call's API reference lists them) maps to a
// deliberate client error, so that no anonymous request produces a 5xx. op names the call for the log
// of what stays unexpected. Exceptions a call cannot return are harmless here.
//
// TODO(issue 20, helper "register"): the full table, with a table test over every operation's list.
func refusal(op string, err error) error {
	if err == nil {
		return nil
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "TooManyRequestsException", "LimitExceededException", "TooManyFailedAttemptsException",
			"InternalErrorException", "CodeDeliveryFailureException":
			return fmt.Errorf("cognito: %s: %w (%s)", op, customer.ErrTooManyAttempts, api.ErrorCode())
		case "NotAuthorizedException", "UserNotFoundException", "UserNotConfirmedException", "PasswordResetRequiredException":
			return fmt.Errorf("cognito: %s: %w (%s)", op, customer.ErrBadCredentials, api.ErrorCode())
		case "CodeMismatchException", "ExpiredCodeException":
			return fmt.Errorf("cognito: %s: %w (%s)", op, customer.ErrBadCode, api.ErrorCode())
		}
	}
	return fmt.Errorf("cognito: %s: %w", op, err)
}
