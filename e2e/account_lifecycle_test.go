package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/internal/adapter/cognito"
)

// What the emulator does differently from Cognito, and how these tests live with it (moto 5.2):
//   - ResendConfirmationCode is not implemented (a 500). The run's stack auto-confirms users, where no
//     code is ever outstanding, so /auth/confirm/resend answers without calling Cognito here; the path
//     that calls it is covered by internal/account and refusal's table (internal/adapter/cognito).
//   - ConfirmSignUp takes any code and confirms a confirmed user again (AWS refuses both:
//     CodeMismatch, NotAuthorized), so a right and a wrong code cannot be told apart here.
//   - ConfirmForgotPassword answers ResourceNotFound for an unknown user, where Cognito answers
//     CodeMismatch with PreventUserExistenceErrors: the unknown-user reset is covered by the adapter's
//     table test, not here. Its codes are checked, and handed to the caller in a header
//     (x-moto-forgot-password-confirmation-code) where Cognito mails them: TestPasswordReset reads it.
//   - SECRET_HASH is checked in InitiateAuth only (internal/adapter/cognito TestSecretHashIsCognitos).

// registrationClient returns a Cognito client and the registration client's id and secret, as the
// stack's deployer may read them, to act as someone calling Cognito around Orion would with the secret.
func registrationClient(t *testing.T, spy func(*smithyhttp.Response)) (*cip.Client, string, string) {
	t.Helper()
	id := sys.out["RegistrationClientId"]
	c := cip.NewFromConfig(awstest.Config(t), func(o *cip.Options) {
		if spy == nil {
			return
		}
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Deserialize.Add(middleware.DeserializeMiddlewareFunc("spy", func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleDeserialize(ctx, in)
				if r, ok := out.RawResponse.(*smithyhttp.Response); ok {
					spy(r)
				}
				return out, md, err
			}), middleware.After)
		})
	})
	out, err := c.DescribeUserPoolClient(context.Background(), &cip.DescribeUserPoolClientInput{UserPoolId: aws.String(sys.pool), ClientId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	secret := aws.ToString(out.UserPoolClient.ClientSecret)
	if id == "" || secret == "" {
		t.Fatalf("registration client %q has no secret", id)
	}
	return c, id, secret
}

// secretHash is Cognito's SECRET_HASH of a call about username, as the SDK's input takes it.
func secretHash(secret, username, clientID string) *string {
	return aws.String(cognito.SecretHash(secret, username, clientID))
}

// POST /auth/register answers every address alike, byte for byte: a new one, the owner of an account
// (who is mailed "you already have an account" instead), and a registration stuck unconfirmed, which
// the new registration replaces (on this auto-confirming stack no code can ever confirm it).
func TestRegistrationAnswersAlikeForEveryAddress(t *testing.T) {
	inProcessOnly(t, "reads the emulator's mailbox and makes a user around Orion")
	ctx := context.Background()
	const pass, other = "Correct-Horse-9-Battery", "Another-Horse-8-Staple"
	fresh := strings.ToLower(awstest.Name(t, "fresh")) + "@example.com"
	owner := strings.ToLower(awstest.Name(t, "owner")) + "@example.com"
	stuck := strings.ToLower(awstest.Name(t, "stuck")) + "@example.com"
	if _, err := user(ctx, owner, false); err != nil {
		t.Fatal(err)
	}
	c, id, secret := registrationClient(t, nil)
	if _, err := c.SignUp(ctx, &cip.SignUpInput{ClientId: &id, SecretHash: secretHash(secret, stuck, id), Username: aws.String(stuck), Password: aws.String(other)}); err != nil {
		t.Fatal(err)
	}

	answers := map[string]string{}
	for _, email := range []string{fresh, owner, stuck} {
		answers[email] = string(register(t, email, pass, "Ann").body)
	}
	if answers[fresh] != answers[owner] || answers[fresh] != answers[stuck] {
		t.Fatalf("answers differ: %q", answers)
	}
	// The new address and the replaced one sign in with the password just registered; the owner's
	// password is unchanged.
	for email, password := range map[string]string{fresh: pass, stuck: pass, owner: testPassword} {
		if r := do(t, "POST", "/auth/login", "", fmt.Sprintf(`{"email":%q,"password":%q}`, email, password)); r.status != 200 {
			t.Errorf("%s: login %d %s", email, r.status, r.body)
		}
	}
	problemOf(t, do(t, "POST", "/auth/login", "", fmt.Sprintf(`{"email":%q,"password":%q}`, owner, pass)), 401)
	mail := expectMail(t, owner, 1)
	if mail[0].Subject != "You already have an account" || !strings.Contains(mail[0].Body, "/password/forgot") {
		t.Fatalf("the owner's mail: %+v", mail[0])
	}
	if got := inbox(t, fresh); len(got) != 0 {
		t.Fatalf("a new address (auto-confirmed) got %d messages", len(got))
	}
}

// Resend and forgot-password answer every address alike (202, one body), and refuse a malformed one
// for its field alone.
func TestCodeRequestsAnswerAlike(t *testing.T) {
	owner := strings.ToLower(awstest.Name(t, "codes")) + "@example.com"
	if _, err := user(context.Background(), owner, false); err != nil {
		t.Fatal(err)
	}
	nobody := "nobody-" + owner
	for _, path := range []string{"/auth/confirm/resend", "/auth/password/forgot"} {
		known := do(t, "POST", path, "", fmt.Sprintf(`{"email":%q}`, owner))
		unknown := do(t, "POST", path, "", fmt.Sprintf(`{"email":%q}`, nobody))
		if known.status != 202 || string(known.body) != string(unknown.body) || unknown.status != 202 {
			t.Errorf("%s: %d %s for an account, %d %s for none; want one 202", path, known.status, known.body, unknown.status, unknown.body)
		}
		problemOf(t, do(t, "POST", path, "", `{"email":"not-an-address"}`), 400)
	}
}

// A forgotten password is reset with the mailed code, and only with it: a wrong code is a bad code,
// and the old password stops working.
func TestPasswordReset(t *testing.T) {
	inProcessOnly(t, "reads the reset code the emulator hands out")
	ctx := context.Background()
	email := strings.ToLower(awstest.Name(t, "reset")) + "@example.com"
	const newPassword = "Brand-New-Horse-7"
	if _, err := user(ctx, email, false); err != nil {
		t.Fatal(err)
	}
	if r := do(t, "POST", "/auth/password/forgot", "", fmt.Sprintf(`{"email":%q}`, email)); r.status != 202 {
		t.Fatalf("forgot: %d %s", r.status, r.body)
	}
	// The code the function asked for went to the (emulated) mailbox, out of reach: ask again, as the
	// mailbox's owner, to read one. Each request replaces the last code.
	var code atomic.Value
	c, id, secret := registrationClient(t, func(r *smithyhttp.Response) {
		if v := r.Header.Get("x-moto-forgot-password-confirmation-code"); v != "" {
			code.Store(v)
		}
	})
	if _, err := c.ForgotPassword(ctx, &cip.ForgotPasswordInput{ClientId: &id, SecretHash: secretHash(secret, email, id), Username: aws.String(email)}); err != nil {
		t.Fatal(err)
	}
	mailed, _ := code.Load().(string)
	if mailed == "" {
		t.Fatal("the emulator handed out no code")
	}
	reset := func(code, password string) reply {
		return do(t, "POST", "/auth/password/reset", "", fmt.Sprintf(`{"email":%q,"code":%q,"password":%q}`, email, code, password))
	}
	if fields := problemOf(t, reset(mailed, "weak"), 400); len(fields) != 1 || fields[0] != "password" {
		t.Fatalf("a weak password: fields %v", fields)
	}
	wrong := reset("moto-confirmation-code:000000", newPassword)
	if problemOf(t, wrong, 400); !strings.Contains(string(wrong.body), "bad-code") {
		t.Fatalf("a wrong code: %s", wrong.body)
	}
	if r := reset(mailed, newPassword); r.status != 204 {
		t.Fatalf("the mailed code: %d %s", r.status, r.body)
	}
	if r := do(t, "POST", "/auth/login", "", fmt.Sprintf(`{"email":%q,"password":%q}`, email, newPassword)); r.status != 200 {
		t.Fatalf("login with the new password: %d %s", r.status, r.body)
	}
	problemOf(t, do(t, "POST", "/auth/login", "", fmt.Sprintf(`{"email":%q,"password":%q}`, email, testPassword)), 401)
}
