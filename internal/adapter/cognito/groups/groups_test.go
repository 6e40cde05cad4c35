package groups_test

import (
	"context"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/internal/adapter/cognito/groups"
	"github.com/orion-oss/orion/internal/customer"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

// The check finds a user by sub in a real (emulated) pool with email as the username attribute, as
// Orion's is; only a group named exactly admin counts, and leaving it, or being deleted, ends it.
func TestIsAdminFollowsTheGroup(t *testing.T) {
	ctx := context.Background()
	idp := cip.NewFromConfig(awstest.Config(t))
	pool, err := idp.CreateUserPool(ctx, &cip.CreateUserPoolInput{PoolName: aws.String(awstest.Name(t, "pool")),
		UsernameAttributes: []ciptypes.UsernameAttributeType{ciptypes.UsernameAttributeTypeEmail}})
	if err != nil {
		t.Fatal(err)
	}
	poolID := aws.ToString(pool.UserPool.Id)
	for _, g := range []string{"admin", "Admin", "admins"} {
		if _, err := idp.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: &poolID, GroupName: aws.String(g)}); err != nil {
			t.Fatal(err)
		}
	}
	user := func(addr string, in ...string) customer.ID {
		u, err := idp.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: &poolID, Username: aws.String(addr), MessageAction: ciptypes.MessageActionTypeSuppress})
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range in {
			if _, err := idp.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: &poolID, Username: aws.String(addr), GroupName: aws.String(g)}); err != nil {
				t.Fatal(err)
			}
		}
		for _, a := range u.User.Attributes {
			if aws.ToString(a.Name) == "sub" {
				return customer.ID(aws.ToString(a.Value))
			}
		}
		t.Fatal("no sub")
		return ""
	}
	admin, lookalike, plain := user("adm@example.com", "admins", "admin"), user("look@example.com", "Admin", "admins"), user("cust@example.com")
	p := groups.New(idp, poolID)
	for id, want := range map[customer.ID]bool{admin: true, lookalike: false, plain: false, "00000000-0000-0000-0000-000000000000": false} {
		if got, err := p.IsAdmin(ctx, id); err != nil || got != want {
			t.Fatalf("IsAdmin(%s) = %v, %v; want %v", id, got, err, want)
		}
	}
	if _, err := idp.AdminRemoveUserFromGroup(ctx, &cip.AdminRemoveUserFromGroupInput{UserPoolId: &poolID, Username: aws.String("adm@example.com"), GroupName: aws.String("admin")}); err != nil {
		t.Fatal(err)
	}
	if got, err := p.IsAdmin(ctx, admin); err != nil || got {
		t.Fatalf("after leaving admin: %v, %v", got, err)
	}
	// A pool that cannot be reached is an error (the sweeper retries next minute), not "no admin".
	if _, err := groups.New(idp, "us-east-1_missing").IsAdmin(ctx, admin); err == nil {
		t.Fatal("missing pool: no error")
	}
}
