package directory_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/internal/adapter/cognito/directory"
	"github.com/orion-oss/orion/internal/email"
)

// The directory finds a customer's address by sub in a real (emulated) user pool.
func TestDirectoryFindsCustomersBySub(t *testing.T) {
	ctx := context.Background()
	idp := cip.NewFromConfig(awstest.Config(t))
	pool, err := idp.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String(awstest.Name(t, "pool")),
		UsernameAttributes: []ciptypes.UsernameAttributeType{ciptypes.UsernameAttributeTypeEmail}})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(pool.UserPool.Id)
	subOf := func(addr string, verified bool) string {
		u, err := idp.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String(addr),
			MessageAction: ciptypes.MessageActionTypeSuppress, UserAttributes: []ciptypes.AttributeType{{Name: aws.String("email"), Value: aws.String(addr)},
				{Name: aws.String("email_verified"), Value: aws.String(fmt.Sprint(verified))}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range u.User.Attributes {
			if aws.ToString(a.Name) == "sub" {
				return aws.ToString(a.Value)
			}
		}
		t.Fatal("no sub")
		return ""
	}
	ann, bob := subOf("ann@example.com", true), subOf("bob@example.com", true)
	// An address nobody verified (changed without a code) gets no order mail.
	carol := subOf("carol@example.com", false)
	d := directory.New(idp, poolID)
	for sub, want := range map[string]string{ann: "ann@example.com", bob: "bob@example.com"} {
		if got, err := d.Email(ctx, sub); err != nil || got != want {
			t.Fatalf("Email(%s) = %q, %v; want %q", sub, got, err, want)
		}
	}
	for _, id := range []string{carol, "00000000-0000-0000-0000-000000000000", "", `x" or sub = "y`} {
		if _, err := d.Email(ctx, id); !errors.Is(err, email.ErrPermanent) {
			t.Fatalf("Email(%q) = %v; want ErrPermanent", id, err)
		}
	}
	// A pool that cannot be reached is worth retrying, not skipping.
	if _, err := directory.New(idp, "us-east-1_missing").Email(ctx, ann); err == nil || errors.Is(err, email.ErrPermanent) {
		t.Fatalf("missing pool: %v; want a retryable error", err)
	}
}
