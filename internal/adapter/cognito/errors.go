package cognito

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/smithy-go"

	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/validation"
)

// answer is what a Cognito exception becomes for the client.
type answer int

const (
	// later: the provider refuses for now (throttled, a limit, its own fault): 429 with Retry-After.
	later answer = iota
	// unavailable: Orion's configuration or the pool's is at fault (a missing client, a trigger, an
	// IAM refusal of an admin call): 429 as well, since an anonymous request must never produce a 5xx,
	// but logged as an error so that an operator hears of it.
	unavailable
	badCredentials // 401, one answer whether or not the user exists
	badCode        // 400, one answer for a wrong code, an expired one and an unknown user
	taken          // the address has a user (register turns it into a 202 and a mail)
	invalid        // 400 on answer.field
	busy           // 409: changed by a concurrent request; retry
	// done: the call answers as if it had worked. Resend and forgot-password take it for every
	// exception that would tell whether the address has a user (unknown, unconfirmed, confirmed,
	// limited per user), as Cognito does itself for an unknown user with PreventUserExistenceErrors.
	done
)

// rule is one line of the table: the answer and, for invalid, the field it names.
type rule struct {
	answer answer
	field  string
}

// common is what an exception means in any operation that does not say otherwise (ops).
var common = map[string]rule{
	"TooManyRequestsException":       {answer: later},
	"LimitExceededException":         {answer: later},
	"TooManyFailedAttemptsException": {answer: later},
	"InternalErrorException":         {answer: later},
	"CodeDeliveryFailureException":   {answer: later},
	// A web ACL on the pool refused the request: in practice a rate-based rule.
	"ForbiddenException": {answer: later},

	"ResourceNotFoundException":                {answer: unavailable},
	"InvalidLambdaResponseException":           {answer: unavailable},
	"UnexpectedLambdaException":                {answer: unavailable},
	"UserLambdaValidationException":            {answer: unavailable},
	"InvalidSmsRoleAccessPolicyException":      {answer: unavailable},
	"InvalidSmsRoleTrustRelationshipException": {answer: unavailable},
	"InvalidEmailRoleAccessPolicyException":    {answer: unavailable},
	"InvalidUserPoolConfigurationException":    {answer: unavailable},
	"UnsupportedOperationException":            {answer: unavailable},

	"NotAuthorizedException":                  {answer: badCredentials},
	"UserNotFoundException":                   {answer: badCredentials},
	"UserNotConfirmedException":               {answer: badCredentials},
	"PasswordResetRequiredException":          {answer: badCredentials},
	"UnauthorizedException":                   {answer: badCredentials},
	"UnsupportedTokenTypeException":           {answer: badCredentials},
	"MFAMethodNotFoundException":              {answer: badCredentials},
	"SoftwareTokenMFANotFoundException":       {answer: badCredentials},
	"InvalidParameterException":               {answer: badCredentials},
	"CodeMismatchException":                   {answer: badCode},
	"ExpiredCodeException":                    {answer: badCode},
	"EnableSoftwareTokenMFAException":         {answer: badCode},
	"AliasExistsException":                    {answer: badCode},
	"InvalidPasswordException":                {answer: invalid, field: "password"},
	"PasswordHistoryPolicyViolationException": {answer: invalid, field: "password"},
	"UsernameExistsException":                 {answer: taken},
	"ConcurrentModificationException":         {answer: busy},
}

// hidden are the answers of resend and forgot-password: nothing that depends on the address's user.
// A wrong or missing SECRET_HASH is a NotAuthorized too and is hidden here; SignUp and the code checks
// meet the same misconfiguration first and answer it as ErrUnavailable, which is logged as an error.
var hidden = map[string]rule{
	"UserNotFoundException":          {answer: done},
	"UserNotConfirmedException":      {answer: done},
	"NotAuthorizedException":         {answer: done}, // a disabled user; self-service off for the user
	"InvalidParameterException":      {answer: done}, // already confirmed; no verified address to mail
	"LimitExceededException":         {answer: done}, // per user: the codes already sent are in the mailbox
	"TooManyFailedAttemptsException": {answer: done},
	"CodeDeliveryFailureException":   {answer: done}, // the user's own address refused the mail
}

// codeChecks are the answers of a code check (confirm a registration or a reset): one bad-code answer
// for a wrong or expired code, an unknown user, one already confirmed and one locked by attempts.
var codeChecks = map[string]rule{
	"CodeMismatchException":          {answer: badCode},
	"ExpiredCodeException":           {answer: badCode},
	"UserNotFoundException":          {answer: badCode},
	"UserNotConfirmedException":      {answer: badCode},
	"NotAuthorizedException":         {answer: badCode}, // "User cannot be confirmed. Current status is CONFIRMED"
	"AliasExistsException":           {answer: badCode},
	"InvalidParameterException":      {answer: badCode},
	"LimitExceededException":         {answer: badCode},
	"TooManyFailedAttemptsException": {answer: badCode},
}

// ops are the operations' own lines, over common. Each operation's exceptions are those its API
// reference lists (docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_<Operation>.html,
// "Errors"); TestRefusalTable holds the lists and the status each must produce.
var ops = map[string]map[string]rule{
	"SignUp": {
		"InvalidParameterException": {answer: invalid, field: "email"},
		// Self-service sign-up off for the client, or a wrong SECRET_HASH: Orion's own configuration.
		"NotAuthorizedException": {answer: unavailable},
		// The user exists but the code's mail bounced at the address: a 429 here would tell a new
		// address (SignUp ran) from a taken one (202); the user can ask for the code again.
		"CodeDeliveryFailureException": {answer: done},
	},
	"ConfirmSignUp":          codeChecks,
	"ConfirmForgotPassword":  codeChecks,
	"ResendConfirmationCode": hidden,
	"ForgotPassword":         hidden,
	"RespondToAuthChallenge": {"CodeMismatchException": {answer: badCode}, "ExpiredCodeException": {answer: badCode},
		"AliasExistsException": {answer: badCredentials}},
	"ChangePassword":                   {"InvalidParameterException": {answer: invalid, field: "password"}},
	"UpdateUserAttributes":             {"InvalidParameterException": {answer: invalid, field: "email"}, "AliasExistsException": {answer: invalid, field: "email"}},
	"VerifyUserAttribute":              {"InvalidParameterException": {answer: badCode}, "LimitExceededException": {answer: later}},
	"GetUserAttributeVerificationCode": {"InvalidParameterException": {answer: invalid, field: "attribute"}},
	"AssociateSoftwareToken":           {"SoftwareTokenMFANotFoundException": {answer: unavailable}},
	"VerifySoftwareToken":              {"SoftwareTokenMFANotFoundException": {answer: badCode}, "InvalidParameterException": {answer: badCode}},
	"SetUserMFAPreference":             {"InvalidParameterException": {answer: invalid, field: "mfa"}},
	// The admin calls of registration: a refusal is Orion's role or configuration.
	"AdminGetUser":              admin,
	"AdminDeleteUser":           admin,
	"AdminConfirmSignUp":        admin,
	"AdminUpdateUserAttributes": admin,
	"DescribeUserPoolClient":    admin,
}

var admin = map[string]rule{
	"NotAuthorizedException":    {answer: unavailable},
	"InvalidParameterException": {answer: unavailable},
	"UserNotFoundException":     {answer: unavailable}, // the callers look for it before refusal
	"AliasExistsException":      {answer: unavailable},
}

// busyError is a concurrent change (web answers 409 "retry" for errors with Busy).
type busyError struct{ error }

func (busyError) Busy() bool { return true }

// refusal turns what a Cognito call returned into the error the account port promises: every
// exception a public account call can return (each call's API reference lists them) maps to a
// deliberate client error, so that no anonymous request produces a 5xx (a 500 is also an oracle, and
// every 5xx rolls back a canary). op names the call: Cognito's operation name ("InitiateAuth"; case
// and spaces do not matter, "initiate auth" is the same), used when the error does not carry it. It
// returns nil where the call must answer as if it had worked (done). Anything the table does not know,
// an unknown exception or a failure without one (the network, a deadline), is "try again later".
func refusal(op string, err error) error {
	if err == nil {
		return nil
	}
	var oe *smithy.OperationError
	if errors.As(err, &oe) && oe.OperationName != "" {
		op = oe.OperationName
	}
	var api smithy.APIError
	if !errors.As(err, &api) {
		return fmt.Errorf("cognito: %s: %w: %w", op, customer.ErrTooManyAttempts, err)
	}
	code := api.ErrorCode()
	r, ok := lookup(op)[code]
	if !ok {
		if r, ok = common[code]; !ok {
			r = rule{answer: later}
		}
	}
	switch r.answer {
	case done:
		return nil
	case unavailable:
		return fmt.Errorf("cognito: %s: %w (%s: %s)", op, customer.ErrUnavailable, code, api.ErrorMessage())
	case badCredentials:
		return fmt.Errorf("cognito: %s: %w (%s)", op, customer.ErrBadCredentials, code)
	case badCode:
		return fmt.Errorf("cognito: %s: %w (%s)", op, customer.ErrBadCode, code)
	case taken:
		return fmt.Errorf("cognito: %s: %w", op, customer.ErrEmailTaken)
	case invalid:
		return validation.New(r.field, "was refused by the identity provider")
	case busy:
		return busyError{fmt.Errorf("cognito: %s: %s", op, code)}
	}
	return fmt.Errorf("cognito: %s: %w (%s)", op, customer.ErrTooManyAttempts, code)
}

// lookup finds an operation's own lines whatever the case and spacing of its name.
func lookup(op string) map[string]rule {
	key := strings.ToLower(strings.ReplaceAll(op, " ", ""))
	for name, rules := range ops {
		if strings.ToLower(name) == key {
			return rules
		}
	}
	return nil
}
