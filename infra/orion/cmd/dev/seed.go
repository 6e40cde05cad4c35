package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orion-oss/orion/infra/engine/stack"
	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/platform/awscfg"
)

//go:embed catalog.json
var demoCatalog []byte

// seedCatalog creates the demo catalog through the Inventory aggregate and its repository, so each item
// also produces its InventoryUpdated event, exactly as an admin's PUT would. Existing items are kept.
func seedCatalog(ctx context.Context, st *stack.Stack, endpoint string) (int, error) {
	var items []struct {
		SKU, Name, Description string
		Price                  money.Money
		Available              int64
		LowStockThreshold      int64
	}
	if err := json.Unmarshal(demoCatalog, &items); err != nil {
		return 0, fmt.Errorf("demo catalog: %w", err)
	}
	cfg, err := awscfg.Load(ctx, config.WithBaseEndpoint(endpoint), config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")))
	if err != nil {
		return 0, err
	}
	tables := dynamo.Tables{Orders: fmt.Sprint(st.Outputs["OrdersTableName"]), Inventory: fmt.Sprint(st.Outputs["InventoryTableName"]),
		Outbox: fmt.Sprint(st.Outputs["OutboxTableName"])}
	repo := dynamo.NewInventoryRepository(dynamodb.NewFromConfig(cfg), tables)
	created := 0
	for _, in := range items {
		it, evs, err := inventory.NewItem(inventory.SKU(in.SKU), inventory.Details{Name: in.Name, Description: in.Description, Price: in.Price},
			inventory.Quantity(in.Available), inventory.Quantity(in.LowStockThreshold))
		if err != nil {
			return created, fmt.Errorf("demo catalog %s: %w", in.SKU, err)
		}
		err = repo.Create(ctx, it, evs, event.Cause{CorrelationID: "seed-" + in.SKU, CausationID: "make-dev"})
		switch {
		case errors.Is(err, inventory.ErrExists):
		case err != nil:
			return created, err
		default:
			created++
		}
	}
	return len(items), nil
}

type adminUser struct{ email, password string }

// seedAdmin makes sure the admin user exists with the known password and is in the admin group.
func seedAdmin(ctx context.Context, st *stack.Stack, endpoint string) (adminUser, error) {
	u := adminUser{email: env("ORION_ADMIN_EMAIL", "admin@orion.local"), password: env("ORION_ADMIN_PASSWORD", "Orion-Admin-2026!")}
	pool, _ := st.Outputs["UserPoolId"].(string)
	if pool == "" {
		return u, errNoPool
	}
	cfg, err := awscfg.Load(ctx, config.WithBaseEndpoint(endpoint), config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")))
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
