package e2e

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/infra/engine/sam"
	"github.com/orion-oss/orion/infra/orion/totp"
	"github.com/orion-oss/orion/internal/account"
	"github.com/orion-oss/orion/internal/platform/awscfg"
)

func idp(t *testing.T) *cip.Client {
	t.Helper()
	cfg, err := awscfg.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return cip.NewFromConfig(cfg)
}

// wrongCode is a six-digit code other than the current one of secret.
func wrongCode(t *testing.T, secret string) string {
	t.Helper()
	code, err := totp.Code(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

// An admin gets no tokens from /auth/login until they enrol TOTP; after enrolment both Orion's login
// and Cognito itself ask for the code, a wrong code gets no tokens, the right one an admin's tokens;
// the enrolment cannot be repeated with the password alone.
func TestAdminSignsInWithTOTP(t *testing.T) {
	// Parallel: making its admin waits for a new TOTP step (Cognito takes a code once), which the
	// other parallel tests can use.
	t.Parallel()
	ctx := context.Background()
	c := idp(t)
	email := strings.ToLower(awstest.Name(t, "root")) + "@example.com"
	if _, err := user(ctx, email, false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: &sys.pool, Username: &email, GroupName: aws.String("admin")}); err != nil {
		t.Fatal(err)
	}
	creds := fmt.Sprintf(`{"email":%q,"password":%q}`, email, testPassword)

	r := do(t, "POST", "/auth/login", "", creds)
	if problemOf(t, r, 403); !strings.Contains(string(r.body), "mfa-setup-required") || strings.Contains(string(r.body), "eyJ") {
		t.Fatalf("an admin without TOTP: %s", r.body)
	}
	problemOf(t, do(t, "POST", "/auth/mfa/setup", "", fmt.Sprintf(`{"email":%q,"password":"Wrong-Password-1"}`, email)), 401)

	setup := do(t, "POST", "/auth/mfa/setup", "", creds)
	if setup.status != 200 {
		t.Fatalf("setup: %d %s", setup.status, setup.body)
	}
	secret, _ := setup.json(t)["secret"].(string)
	if uri, _ := setup.json(t)["uri"].(string); !strings.Contains(uri, "secret="+secret) {
		t.Fatalf("setup: %s", setup.body)
	}
	problemOf(t, do(t, "POST", "/auth/mfa/verify", "", fmt.Sprintf(`{"email":%q,"password":%q,"code":%q}`, email, testPassword, wrongCode(t, secret))), 400)
	code, err := totpCode(secret) // remembered, so that the login below does not reuse it against AWS
	if err != nil {
		t.Fatal(err)
	}
	if r := do(t, "POST", "/auth/mfa/verify", "", fmt.Sprintf(`{"email":%q,"password":%q,"code":%q}`, email, testPassword, code)); r.status != 204 {
		t.Fatalf("verify: %d %s", r.status, r.body)
	}
	totpSecrets.Store(email, secret)
	problemOf(t, do(t, "POST", "/auth/mfa/setup", "", creds), 409) // the password alone cannot move the second factor

	// Cognito itself now asks for the code, even of a caller that holds the client's secret.
	direct, err := passwordSignIn(ctx, c, email, testPassword)
	if err != nil || direct.AuthenticationResult != nil || direct.ChallengeName != ciptypes.ChallengeNameTypeSoftwareTokenMfa {
		t.Fatalf("direct sign-in: %+v %v; want the challenge and no tokens", direct, err)
	}

	challenge := do(t, "POST", "/auth/login", "", creds).json(t)
	if challenge["challenge"] != "SOFTWARE_TOKEN_MFA" || challenge["accessToken"] != nil {
		t.Fatalf("login: %v; want the challenge", challenge)
	}
	problemOf(t, do(t, "POST", "/auth/login/mfa", "", fmt.Sprintf(`{"email":%q,"session":%q,"code":%q}`, email, challenge["session"], wrongCode(t, secret))), 400)
	problemOf(t, do(t, "POST", "/auth/login/mfa", "", fmt.Sprintf(`{"email":%q,"session":"forged","code":"123456"}`, email)), 401)
	tok := login(t, email, testPassword)["accessToken"].(string)
	if groups, _ := claimsOf(t, tok)["cognito:groups"].([]any); !slices.Contains(groups, any("admin")) {
		t.Fatalf("the admin's token has groups %v", groups)
	}
	if r := do(t, "PUT", "/inventory/"+sku(t), tok, `{"name":"MFA","price":{"amount":100,"currency":"USD"},"available":1}`); r.status != 201 {
		t.Fatalf("an admin route with the MFA admin's token: %d %s", r.status, r.body)
	}
}

// Logout revokes the refresh token: it refreshes no more, a repeated logout succeeds, and the access
// token keeps passing the JWT authorizer until it expires (docs/openapi.yaml /auth/logout says so).
func TestLogoutRevokesTheRefreshToken(t *testing.T) {
	email := strings.ToLower(awstest.Name(t, "out")) + "@example.com"
	if _, err := user(context.Background(), email, false); err != nil {
		t.Fatal(err)
	}
	tok := login(t, email, testPassword)
	refresh := tok["refreshToken"].(string)
	runLog.forbid(refresh, "refresh token")
	body := refreshBody(t, tok)
	if r := do(t, "POST", "/auth/refresh", "", body); r.status != 200 {
		t.Fatalf("refresh before logout: %d", r.status)
	}
	for i := range 2 {
		if r := do(t, "POST", "/auth/logout", "", fmt.Sprintf(`{"refreshToken":%q}`, refresh)); r.status != 204 {
			t.Fatalf("logout %d: %d %s", i+1, r.status, r.body)
		}
	}
	problemOf(t, do(t, "POST", "/auth/refresh", "", body), 401)
	problemOf(t, do(t, "POST", "/auth/logout", "", `{}`), 400)
	if r := do(t, "GET", "/orders", tok["accessToken"].(string), ""); r.status != 200 {
		t.Fatalf("the access token after logout: %d; the contract says it passes until it expires", r.status)
	}
}

// refreshBody is the body of POST /auth/refresh for the tokens of a sign-in: the refresh token and
// the username the sign-in answered, which the refresh's SECRET_HASH needs.
func refreshBody(t *testing.T, tokens map[string]any) string {
	t.Helper()
	name, _ := tokens["username"].(string)
	if name == "" || strings.Contains(name, "@") {
		t.Fatalf("the sign-in answered username %q; want the user's name in the pool, not the address", name)
	}
	return fmt.Sprintf(`{"username":%q,"refreshToken":%q}`, name, tokens["refreshToken"])
}

// A password change needs the signed-in user's token and current password; the old password stops
// signing in, and every other session ends: a thief who signed in with the old password keeps no
// refresh token (Cognito keeps them valid across a password change unless signed out).
func TestChangePassword(t *testing.T) {
	email := strings.ToLower(awstest.Name(t, "pw")) + "@example.com"
	tok, err := user(context.Background(), email, false)
	if err != nil {
		t.Fatal(err)
	}
	thief := refreshBody(t, login(t, email, testPassword))
	if r := do(t, "POST", "/auth/refresh", "", thief); r.status != 200 {
		t.Fatalf("the other session's refresh before the change: %d %s", r.status, r.body)
	}
	const next = "N3w!Passw0rd-e2e"
	runLog.forbid(next, "password")
	if r := do(t, "POST", "/auth/password/change", "", `{"currentPassword":"x","newPassword":"`+next+`"}`); r.status != 401 {
		t.Fatalf("without a token: %d", r.status)
	}
	problemOf(t, do(t, "POST", "/auth/password/change", tok, `{"currentPassword":"Wrong-Passw0rd!","newPassword":"`+next+`"}`), 401)
	if f := problemOf(t, do(t, "POST", "/auth/password/change", tok, `{"currentPassword":"`+testPassword+`","newPassword":"short"}`), 400); !slices.Equal(f, []string{"newPassword"}) {
		t.Fatalf("weak password: fields %v", f)
	}
	if r := do(t, "POST", "/auth/password/change", tok, `{"currentPassword":"`+testPassword+`","newPassword":"`+next+`"}`); r.status != 204 {
		t.Fatalf("change: %d %s", r.status, r.body)
	}
	problemOf(t, do(t, "POST", "/auth/login", "", fmt.Sprintf(`{"email":%q,"password":%q}`, email, testPassword)), 401)
	problemOf(t, do(t, "POST", "/auth/refresh", "", thief), 401)
	fresh := login(t, email, next)
	if r := do(t, "POST", "/auth/refresh", "", refreshBody(t, fresh)); r.status != 200 {
		t.Fatalf("a session begun after the change: %d %s", r.status, r.body)
	}
}

// The sign-in client has a secret, so nobody signs in at Cognito around POST /auth/login (which
// refuses an admin without TOTP): a direct InitiateAuth with the right password but without
// SECRET_HASH, or with a hash of a guessed secret, is refused, for an admin who never enrolled TOTP as
// for anyone; Orion's login still refuses that admin tokens.
func TestDirectSignInAtCognitoIsRefused(t *testing.T) {
	ctx := context.Background()
	c := idp(t)
	email := strings.ToLower(awstest.Name(t, "around")) + "@example.com"
	if _, err := user(ctx, email, false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: &sys.pool, Username: &email, GroupName: aws.String("admin")}); err != nil {
		t.Fatal(err)
	}
	other, err := signInHash("someone@example.com")
	if err != nil {
		t.Fatal(err)
	}
	for name, params := range map[string]map[string]string{
		"without SECRET_HASH": {"USERNAME": email, "PASSWORD": testPassword},
		"with a guessed hash": {"USERNAME": email, "PASSWORD": testPassword, "SECRET_HASH": aws.ToString(secretHash("guess", email, sys.client))},
		"with another's hash": {"USERNAME": email, "PASSWORD": testPassword, "SECRET_HASH": other},
	} {
		out, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: &sys.client, AuthFlow: ciptypes.AuthFlowTypeUserPasswordAuth, AuthParameters: params})
		if refused := new(ciptypes.NotAuthorizedException); !errors.As(err, &refused) || out != nil {
			t.Errorf("direct sign-in %s: %+v %v; want NotAuthorizedException and no tokens", name, out, err)
		}
	}
	problemOf(t, do(t, "POST", "/auth/login", "", fmt.Sprintf(`{"email":%q,"password":%q}`, email, testPassword)), 403)
}

// An admin who switches TOTP off at Cognito (SetUserMFAPreference with their own token, which no
// Orion endpoint needs) gets no more tokens from POST /auth/refresh: a 401 as for a bad token, where
// the refresh token would otherwise keep admin tokens coming for its 30 days.
func TestRefreshRefusesAnAdminWithoutTOTP(t *testing.T) {
	ctx := context.Background()
	email := strings.ToLower(awstest.Name(t, "mfaoff")) + "@example.com"
	if _, err := user(ctx, email, true); err != nil {
		t.Fatal(err)
	}
	tokens := login(t, email, testPassword)
	body := refreshBody(t, tokens)
	if r := do(t, "POST", "/auth/refresh", "", body); r.status != 200 {
		t.Fatalf("an admin with TOTP refreshes: %d %s", r.status, r.body)
	}
	switchTOTPOff(t, idp(t), tokens["accessToken"].(string))
	problemOf(t, do(t, "POST", "/auth/refresh", "", body), 401)
	// A customer's refresh is unaffected by the check (no TOTP, no admin group).
	cust := strings.ToLower(awstest.Name(t, "cust")) + "@example.com"
	if _, err := user(ctx, cust, false); err != nil {
		t.Fatal(err)
	}
	if r := do(t, "POST", "/auth/refresh", "", refreshBody(t, login(t, cust, testPassword))); r.status != 200 {
		t.Fatalf("a customer's refresh: %d %s", r.status, r.body)
	}
}

// switchTOTPOff is SetUserMFAPreference with TOTP disabled and not preferred, sent with the user's own
// token straight to Cognito. The Go SDK leaves false booleans out of the request (the settings would
// arrive empty, changing nothing), so the body is the one the AWS CLI sends for
// --software-token-mfa-settings Enabled=false,PreferredMfa=false.
func switchTOTPOff(t *testing.T, c *cip.Client, accessToken string) {
	t.Helper()
	body := fmt.Sprintf(`{"AccessToken":%q,"SoftwareTokenMfaSettings":{"Enabled":false,"PreferredMfa":false}}`, accessToken)
	_, err := c.SetUserMFAPreference(context.Background(), &cip.SetUserMFAPreferenceInput{AccessToken: aws.String(accessToken)}, func(o *cip.Options) {
		o.APIOptions = append(o.APIOptions, awstest.RawBody(body))
	})
	if err != nil {
		t.Fatal(err)
	}
	u, err := c.GetUser(context.Background(), &cip.GetUserInput{AccessToken: aws.String(accessToken)})
	if err != nil || slices.Contains(u.UserMFASettingList, "SOFTWARE_TOKEN_MFA") {
		t.Fatalf("TOTP is still on: %+v %v", u, err)
	}
}

// An address change goes through Orion: a taken address changes nothing, and answers no sooner than a
// free one (both wait for the code endpoints' floor, so timing tells nothing). On this auto-confirming
// stack no code is ever mailed, so the new address is taken as verified, as registration takes the
// first one, and order mail goes on, to the new address (a code nobody sent verifies nothing).
func TestChangeEmailAndOrderMail(t *testing.T) {
	emulatorOnly(t, "reads the mail from the emulator's SES")
	ctx := context.Background()
	c := idp(t)
	addr, tok := customerWithAddress(t)
	control, controlTok := customerWithAddress(t)
	// Another account's address: the same answer as any (no oracle), and nothing changes.
	began := time.Now()
	if r := do(t, "POST", "/auth/email", tok, fmt.Sprintf(`{"email":%q}`, control)); r.status != 202 {
		t.Fatalf("a taken address: %d %s; want the same 202 as any", r.status, r.body)
	}
	if took := time.Since(began); took < account.CodeFloor {
		t.Fatalf("a taken address answered in %v; want no sooner than %v", took, account.CodeFloor)
	}
	if _, err := c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: &sys.pool, Username: &addr}); err != nil {
		t.Fatalf("the customer's address changed to a taken one: %v", err)
	}
	problemOf(t, do(t, "POST", "/auth/email", tok, `{"email":"not an address"}`), 400)
	next := "new-" + addr
	began = time.Now()
	r := do(t, "POST", "/auth/email", tok, fmt.Sprintf(`{"email":%q}`, next))
	if r.status != 202 || r.json(t)["pendingEmail"] != next {
		t.Fatalf("change: %d %s", r.status, r.body)
	}
	if took := time.Since(began); took < account.CodeFloor {
		t.Fatalf("a free address answered in %v; want no sooner than %v", took, account.CodeFloor)
	}
	u, err := c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: &sys.pool, Username: &next})
	if err != nil {
		t.Fatal(err)
	}
	attrs := map[string]string{}
	for _, a := range u.UserAttributes {
		attrs[aws.ToString(a.Name)] = aws.ToString(a.Value)
	}
	if attrs["email"] != next || attrs["email_verified"] != "true" {
		t.Fatalf("after the change: %v; want the new address, verified (this stack auto-confirms)", attrs)
	}
	problemOf(t, do(t, "POST", "/auth/email/verify", tok, `{"code":"123456"}`), 400)

	s := stockItem(t, 10)
	ids := []string{order1(t, tok, s, 1, "tok_visa"), order1(t, controlTok, s, 1, "tok_visa")}
	settle(t, tok, ids[0], "CONFIRMED")
	settle(t, controlTok, ids[1], "CONFIRMED")
	expectMail(t, control, 1)
	expectMail(t, next, 1) // the changed customer's order mail goes on, to the new address...
	if n := len(inbox(t, addr)); n != 0 {
		t.Fatalf("%d messages to the old address; want none", n) // ...and not to the old one
	}
}

// The sign-in app client lets access tokens write no attribute that matters: Cognito reads an absent or
// empty WriteAttributes as "all standard attributes", so the template names one Orion never reads.
func TestSignInClientWritesNoAttributes(t *testing.T) {
	tpl, err := sam.Load("../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	client, ok := tpl.Resources["UserPoolClient"]
	if !ok {
		t.Fatal("no UserPoolClient")
	}
	write := sam.Strings(client.Properties["WriteAttributes"])
	if len(write) == 0 {
		t.Fatal("WriteAttributes is absent or empty: every standard attribute would be writable")
	}
	for _, a := range write {
		if a != "zoneinfo" {
			t.Errorf("the sign-in client can write %s", a)
		}
	}
}

// A customer's access token writes neither the address nor the name at Cognito directly: the app
// client's WriteAttributes does not list them (the local emulator refuses as Cognito does).
func TestCustomerCannotWriteAttributesAtCognito(t *testing.T) {
	addr, tok := customerWithAddress(t)
	c := idp(t)
	for _, attr := range []string{"email", "name", "email_verified"} {
		_, err := c.UpdateUserAttributes(context.Background(), &cip.UpdateUserAttributesInput{AccessToken: &tok,
			UserAttributes: []ciptypes.AttributeType{{Name: aws.String(attr), Value: aws.String("x" + addr)}}})
		var refused *ciptypes.NotAuthorizedException
		if !errors.As(err, &refused) {
			t.Errorf("UpdateUserAttributes %s with the customer's token: %v; want NotAuthorizedException", attr, err)
		}
	}
	u, err := c.AdminGetUser(context.Background(), &cip.AdminGetUserInput{UserPoolId: &sys.pool, Username: &addr})
	if err != nil {
		t.Fatalf("the customer's address changed: %v", err)
	}
	for _, a := range u.UserAttributes {
		if v := aws.ToString(a.Value); strings.HasPrefix(v, "x") && strings.HasSuffix(v, addr) {
			t.Errorf("%s was written: %s", aws.ToString(a.Name), v)
		}
	}
}
