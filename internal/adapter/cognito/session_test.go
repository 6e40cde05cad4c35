package cognito_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/infra/orion/totp"
	"github.com/orion-oss/orion/internal/account"
	"github.com/orion-oss/orion/internal/adapter/cognito"
	"github.com/orion-oss/orion/internal/customer"
)

// Ports the adapter implements beyond account.UserPool (each function takes its own).
var (
	_ account.MFAEnroller     = (*cognito.UserPool)(nil)
	_ account.MFAResponder    = (*cognito.UserPool)(nil)
	_ account.PasswordChanger = (*cognito.UserPool)(nil)
	_ account.Revoker         = (*cognito.UserPool)(nil)
	_ account.EmailChanger    = (*cognito.UserPool)(nil)
	_ account.EmailVerifier   = (*cognito.UserPool)(nil)
)

// confirmedUser makes a confirmed user with a verified address, optionally in a group.
func confirmedUser(t *testing.T, idp *cip.Client, poolID, email, password, group string) {
	t.Helper()
	ctx := context.Background()
	if _, err := idp.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String(email), MessageAction: ciptypes.MessageActionTypeSuppress,
		UserAttributes: []ciptypes.AttributeType{{Name: aws.String("email"), Value: aws.String(email)}, {Name: aws.String("email_verified"), Value: aws.String("true")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := idp.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: &poolID, Username: aws.String(email), Password: aws.String(password), Permanent: true}); err != nil {
		t.Fatal(err)
	}
	if group != "" {
		if _, err := idp.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: &poolID, GroupName: aws.String(group)}); err != nil && !errors.As(err, new(*ciptypes.GroupExistsException)) {
			t.Fatal(err)
		}
		if _, err := idp.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: &poolID, Username: aws.String(email), GroupName: aws.String(group)}); err != nil {
			t.Fatal(err)
		}
	}
}

func attributes(t *testing.T, idp *cip.Client, poolID, username string) map[string]string {
	t.Helper()
	u, err := idp.AdminGetUser(context.Background(), &cip.AdminGetUserInput{UserPoolId: &poolID, Username: aws.String(username)})
	if err != nil {
		t.Fatal(err)
	}
	attrs := map[string]string{}
	for _, a := range u.UserAttributes {
		attrs[aws.ToString(a.Name)] = aws.ToString(a.Value)
	}
	return attrs
}

// TOTP end to end at the emulator: an admin's sign-in carries the group, enrolment refuses a wrong
// code and takes a right one, and from then on the sign-in is a challenge that a wrong code does not
// pass and the right one does.
func TestUserPoolTOTP(t *testing.T) {
	ctx := context.Background()
	tp := newPool(t)
	idp, pool, poolID := tp.idp, tp.signIn, tp.id
	const password = "Correct-Horse-9"
	confirmedUser(t, idp, poolID, "root@example.com", password, "admin")

	s, err := pool.SignIn(ctx, "root@example.com", password)
	if err != nil || s.MFA != nil || !slices.Equal(s.Groups, []string{"admin"}) || s.Tokens.AccessToken == "" {
		t.Fatalf("sign in before enrolment: %+v %v", s, err)
	}
	secret, err := pool.AssociateTOTP(ctx, s.Tokens.AccessToken)
	if err != nil || secret == "" {
		t.Fatalf("associate: %q %v", secret, err)
	}
	code, err := totp.Code(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	if err := pool.VerifyTOTP(ctx, s.Tokens.AccessToken, wrong); !errors.Is(err, customer.ErrBadCode) {
		t.Fatalf("verify with a wrong code: %v; want ErrBadCode", err)
	}
	if ok, err := pool.HasTOTP(ctx, s.Tokens.AccessToken); err != nil || ok {
		t.Fatalf("has TOTP before enrolment: %v %v; want false", ok, err)
	}
	if err := pool.VerifyTOTP(ctx, s.Tokens.AccessToken, code); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if ok, err := pool.HasTOTP(ctx, s.Tokens.AccessToken); err != nil || !ok {
		t.Fatalf("has TOTP after enrolment: %v %v; want true", ok, err)
	}

	s, err = pool.SignIn(ctx, "root@example.com", password)
	if err != nil || s.MFA == nil || s.MFA.Session == "" || s.Tokens.AccessToken != "" {
		t.Fatalf("sign in after enrolment: %+v %v; want a challenge and no tokens", s, err)
	}
	if _, err := pool.RespondMFA(ctx, "root@example.com", s.MFA.Session, wrong); !errors.Is(err, customer.ErrBadCode) {
		t.Fatalf("a wrong code: %v; want ErrBadCode", err)
	}
	done, err := pool.RespondMFA(ctx, "root@example.com", s.MFA.Session, code)
	if err != nil || done.Tokens.AccessToken == "" || !slices.Equal(done.Groups, []string{"admin"}) {
		t.Fatalf("the right code: %+v %v", done, err)
	}
	// An expired, used or forged session is Cognito's NotAuthorizedException.
	if _, err := pool.RespondMFA(ctx, "root@example.com", s.MFA.Session, code); !errors.Is(err, customer.ErrBadCredentials) {
		t.Fatalf("the used session again: %v; want ErrBadCredentials", err)
	}
	if _, err := pool.RespondMFA(ctx, "root@example.com", "no-such-session", code); !errors.Is(err, customer.ErrBadCredentials) {
		t.Fatalf("a forged session: %v; want ErrBadCredentials", err)
	}
	// Switched off with the user's own token (as anyone holding it can, straight at Cognito).
	switchTOTPOff(t, idp, done.Tokens.AccessToken)
	if ok, err := pool.HasTOTP(ctx, done.Tokens.AccessToken); err != nil || ok {
		t.Fatalf("has TOTP after switching it off: %v %v; want false", ok, err)
	}
}

// Logout revokes the refresh token (it refreshes no more; revoking again or a forged token succeeds),
// and a password change needs the current password.
func TestUserPoolSession(t *testing.T) {
	ctx := context.Background()
	tp := newPool(t)
	idp, pool, poolID := tp.idp, tp.signIn, tp.id
	const password = "Correct-Horse-9"
	confirmedUser(t, idp, poolID, "ann@example.com", password, "")
	s, err := pool.SignIn(ctx, "ann@example.com", password)
	if err != nil || len(s.Groups) != 0 {
		t.Fatalf("sign in: %+v %v", s, err)
	}
	if err := pool.ChangePassword(ctx, s.Tokens.AccessToken, "Wrong-Horse-9", "Another-Horse-10"); !errors.Is(err, customer.ErrBadCredentials) {
		t.Fatalf("change with a wrong password: %v; want ErrBadCredentials", err)
	}
	if err := pool.ChangePassword(ctx, s.Tokens.AccessToken, password, "Another-Horse-10"); err != nil {
		t.Fatalf("change: %v", err)
	}
	if _, err := pool.SignIn(ctx, "ann@example.com", password); !errors.Is(err, customer.ErrBadCredentials) {
		t.Fatalf("the old password still signs in: %v", err)
	}
	s, err = pool.SignIn(ctx, "ann@example.com", "Another-Horse-10")
	if err != nil {
		t.Fatal(err)
	}
	if err := pool.Revoke(ctx, s.Tokens.RefreshToken); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	if _, err := pool.Refresh(ctx, s.Tokens.Username, s.Tokens.RefreshToken); !errors.Is(err, customer.ErrBadCredentials) {
		t.Fatalf("a revoked token refreshed: %v", err)
	}
	if err := pool.ChangePassword(ctx, s.Tokens.AccessToken, "Another-Horse-10", "Third-Horse-11x"); !errors.Is(err, customer.ErrBadCredentials) {
		t.Fatalf("an access token of a revoked refresh token still works at Cognito: %v", err)
	}
	for _, tok := range []string{s.Tokens.RefreshToken, "forged"} {
		if err := pool.Revoke(ctx, tok); err != nil && !errors.Is(err, customer.ErrBadCredentials) {
			t.Fatalf("revoke %q again: %v", tok, err)
		}
	}
}

// Signing out everywhere ends every session of the user: the refresh tokens of other sign-ins (a
// thief's) refresh no more, and the access token is no longer taken by Cognito.
func TestUserPoolSignOutEverywhere(t *testing.T) {
	ctx := context.Background()
	tp := newPool(t)
	pool := tp.signIn
	const password = "Correct-Horse-9"
	confirmedUser(t, tp.idp, tp.id, "ann@example.com", password, "")
	mine, err := pool.SignIn(ctx, "ann@example.com", password)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := pool.SignIn(ctx, "ann@example.com", password)
	if err != nil {
		t.Fatal(err)
	}
	if err := pool.SignOutEverywhere(ctx, mine.Tokens.AccessToken); err != nil {
		t.Fatalf("sign out: %v", err)
	}
	for _, s := range []account.SignIn{mine, theirs} {
		if _, err := pool.Refresh(ctx, s.Tokens.Username, s.Tokens.RefreshToken); !errors.Is(err, customer.ErrBadCredentials) {
			t.Fatalf("a refresh token refreshed after the sign-out: %v", err)
		}
	}
	if err := pool.SignOutEverywhere(ctx, mine.Tokens.AccessToken); !errors.Is(err, customer.ErrBadCredentials) {
		t.Fatalf("the signed-out access token again: %v; want ErrBadCredentials", err)
	}
}

// An address change through the function's admin call leaves the new address unverified (the pool
// here, like the auto-confirming local stacks, does not require verification before update), and a
// code nobody sent does not verify it.
func TestUserPoolChangeEmail(t *testing.T) {
	ctx := context.Background()
	tp := newPool(t)
	idp, pool, poolID := tp.idp, tp.signIn, tp.id
	const password = "Correct-Horse-9"
	confirmedUser(t, idp, poolID, "ann@example.com", password, "")
	confirmedUser(t, idp, poolID, "bob@example.com", password, "")
	s, err := pool.SignIn(ctx, "ann@example.com", password)
	if err != nil {
		t.Fatal(err)
	}
	username := attributes(t, idp, poolID, "ann@example.com")["sub"]
	bob, _ := customer.ParseEmail("bob@example.com")
	if err := pool.ChangeEmail(ctx, username, bob, false); !errors.Is(err, customer.ErrEmailTaken) {
		t.Fatalf("change to a taken address: %v; want ErrEmailTaken", err)
	}
	ann2, _ := customer.ParseEmail("ann2@example.com")
	if err := pool.ChangeEmail(ctx, username, ann2, false); err != nil { // the access token's username claim
		t.Fatalf("change: %v", err)
	}
	if a := attributes(t, idp, poolID, "ann2@example.com"); a["email"] != "ann2@example.com" || a["email_verified"] != "false" {
		t.Fatalf("after the change: %v; want the new address, unverified", a)
	}
	if err := pool.VerifyEmail(ctx, s.Tokens.AccessToken, "123456"); !errors.Is(err, customer.ErrBadCode) {
		t.Fatalf("verify with a code nobody sent: %v; want ErrBadCode", err)
	}
	// An auto-confirming stack mails no code: the new address is taken as verified there.
	ann3, _ := customer.ParseEmail("ann3@example.com")
	if err := pool.ChangeEmail(ctx, username, ann3, true); err != nil {
		t.Fatalf("change, verified: %v", err)
	}
	if a := attributes(t, idp, poolID, "ann3@example.com"); a["email"] != "ann3@example.com" || a["email_verified"] != "true" {
		t.Fatalf("after the verified change: %v; want the new address, verified", a)
	}
}

// switchTOTPOff is SetUserMFAPreference with TOTP disabled and not preferred, as the user (or a thief
// of their token) can send it straight to Cognito. The Go SDK leaves false booleans out of the
// request, so the settings would arrive empty (no change): the body is the one the AWS CLI sends for
// --software-token-mfa-settings Enabled=false,PreferredMfa=false.
func switchTOTPOff(t *testing.T, idp *cip.Client, accessToken string) {
	t.Helper()
	body := fmt.Sprintf(`{"AccessToken":%q,"SoftwareTokenMfaSettings":{"Enabled":false,"PreferredMfa":false}}`, accessToken)
	_, err := idp.SetUserMFAPreference(context.Background(), &cip.SetUserMFAPreferenceInput{AccessToken: aws.String(accessToken)}, func(o *cip.Options) {
		o.APIOptions = append(o.APIOptions, awstest.RawBody(body))
	})
	if err != nil {
		t.Fatal(err)
	}
}
