package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
)

// With AutoConfirmUsers the user pool has no auto-verified attribute, so Cognito's SignUp mails no
// verification code nobody will type; the register function confirms the account and marks its
// address verified itself, which account recovery by verified email needs. The pool mails through
// the stack's SES sender (DEVELOPER), as template.yaml declares it.
func TestAutoConfirmedRegistrationIsVerifiedWithoutACode(t *testing.T) {
	ctx := context.Background()
	c := cip.NewFromConfig(awstest.Config(t))
	pool, err := c.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(sys.pool)})
	if err != nil {
		t.Fatal(err)
	}
	if v := pool.UserPool.AutoVerifiedAttributes; len(v) != 0 {
		t.Errorf("AutoVerifiedAttributes = %v; want none when users are auto-confirmed (SignUp would mail a code)", v)
	}
	ec := pool.UserPool.EmailConfiguration
	if ec == nil || ec.EmailSendingAccount != "DEVELOPER" || !strings.HasSuffix(aws.ToString(ec.SourceArn), ":identity/"+aws.ToString(ec.From)) {
		t.Errorf("EmailConfiguration = %+v; want DEVELOPER from the SES identity of its From address", ec)
	}

	email := strings.ToLower(awstest.Name(t, "vera")) + "@example.com"
	register(t, email, "Correct-Horse-9-Battery", "Vera")
	u, err := c.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(sys.pool), Username: aws.String(email)})
	if err != nil {
		t.Fatal(err)
	}
	if u.UserStatus != "CONFIRMED" {
		t.Errorf("user status %s; want CONFIRMED", u.UserStatus)
	}
	verified := ""
	for _, a := range u.UserAttributes {
		if aws.ToString(a.Name) == "email_verified" {
			verified = aws.ToString(a.Value)
		}
	}
	if verified != "true" {
		t.Errorf("email_verified = %q; want true", verified)
	}
}
