package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/orion-oss/orion/infra/stack"
	"github.com/orion-oss/orion/internal/platform/awscfg"
)

type adminUser struct{ email, password string }

// seedAdmin makes sure the admin user exists with the known password and is in the admin group.
func seedAdmin(ctx context.Context, st *stack.Stack, endpoint string) (adminUser, error) {
	u := adminUser{email: env("ORION_ADMIN_EMAIL", "admin@orion.local"), password: env("ORION_ADMIN_PASSWORD", "Orion-Admin-2026!")}
	pool, _ := st.Outputs["UserPoolId"].(string)
	if pool == "" {
		return u, errNoPool
	}
	cfg, err := awscfg.Load(ctx, config.WithBaseEndpoint(endpoint), config.WithCredentialsProvider(aws.AnonymousCredentials{}))
	if err != nil {
		return u, err
	}
	c := cip.NewFromConfig(cfg)
	_, err = c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: aws.String(pool), Username: aws.String(u.email),
		MessageAction: types.MessageActionTypeSuppress, UserAttributes: []types.AttributeType{
			{Name: aws.String("email"), Value: aws.String(u.email)}, {Name: aws.String("email_verified"), Value: aws.String("true")}}})
	if err != nil && !errors.As(err, new(*types.UsernameExistsException)) {
		return u, fmt.Errorf("create %s: %w", u.email, err)
	}
	if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(pool), Username: aws.String(u.email),
		Password: aws.String(u.password), Permanent: true}); err != nil {
		return u, fmt.Errorf("set password: %w", err)
	}
	if _, err := c.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: aws.String(pool), Username: aws.String(u.email),
		GroupName: aws.String("admin")}); err != nil {
		return u, fmt.Errorf("add to admin group: %w", err)
	}
	return u, nil
}
