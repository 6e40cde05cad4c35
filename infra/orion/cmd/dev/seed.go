package main

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orion-oss/orion/infra/engine/stack"
	"github.com/orion-oss/orion/infra/orion/totp"
	"github.com/orion-oss/orion/internal/adapter/cognito"
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

type adminUser struct {
	email, password string
	generated       bool   // the password was made for this run (ORION_ADMIN_PASSWORD unset)
	totpSecret      string // the admin's TOTP authenticator, new each run
}

// seedAdmin makes sure the admin user exists with the password of this run and is in the admin group.
// The password is ORION_ADMIN_PASSWORD, else a new random one per run: a fixed, published password
// would be an admin login for anyone who reaches the local API.
func seedAdmin(ctx context.Context, st *stack.Stack, endpoint string) (adminUser, error) {
	u := adminUser{email: env("ORION_ADMIN_EMAIL", "admin@orion.local"), password: os.Getenv("ORION_ADMIN_PASSWORD")}
	if u.password == "" {
		p, err := adminPassword()
		if err != nil {
			return u, err
		}
		u.password, u.generated = p, true
	}
	pool, _ := st.Outputs["UserPoolId"].(string)
	if pool == "" {
		return u, errNoPool
	}
	cfg, err := awscfg.Load(ctx, config.WithBaseEndpoint(endpoint), config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")))
	if err != nil {
		return u, err
	}
	c := cip.NewFromConfig(cfg)
	// An admin of an earlier run (a persistent emulator) has a TOTP authenticator whose secret that run
	// printed and this one does not know, so its password alone no longer signs in: it is made anew, as an
	// operator replaces a lost phone. (Switching its TOTP off would need Enabled false, which the Go SDK
	// leaves out of the request as a zero value, so Cognito would change nothing.)
	if _, err := c.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: aws.String(pool), Username: aws.String(u.email)}); err != nil &&
		!errors.As(err, new(*types.UserNotFoundException)) {
		return u, fmt.Errorf("replace %s: %w", u.email, err)
	}
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
	// Admins sign in with TOTP (template.yaml MfaConfiguration; /auth/login gives an admin without it no
	// tokens): the admin enrols before joining the group, with a new secret each run, as the password.
	client, _ := st.Outputs["UserPoolClientId"].(string)
	if u.totpSecret, err = enrolTOTP(ctx, c, pool, client, u); err != nil {
		return u, fmt.Errorf("enrol the admin's TOTP authenticator: %w", err)
	}
	if _, err := c.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: aws.String(pool), Username: aws.String(u.email),
		GroupName: aws.String("admin")}); err != nil {
		return u, fmt.Errorf("add to admin group: %w", err)
	}
	return u, nil
}

// enrolTOTP gives the admin, made by this run, a new TOTP authenticator and returns its secret.
func enrolTOTP(ctx context.Context, c *cip.Client, pool, client string, u adminUser) (string, error) {
	// The sign-in client has a secret (template.yaml UserPoolClient): the deployer reads it, as the
	// functions do, to compute the sign-in's SECRET_HASH.
	clientSecret, err := cognito.ClientSecret(ctx, c, pool, client)
	if err != nil {
		return "", fmt.Errorf("the sign-in client's secret: %w", err)
	}
	out, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: aws.String(client), AuthFlow: types.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": u.email, "PASSWORD": u.password, "SECRET_HASH": cognito.SecretHash(clientSecret, u.email, client)}})
	if err != nil {
		return "", fmt.Errorf("sign in: %w", err)
	}
	if out.AuthenticationResult == nil {
		return "", fmt.Errorf("sign in: challenge %s", out.ChallengeName)
	}
	token := out.AuthenticationResult.AccessToken
	assoc, err := c.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{AccessToken: token})
	if err != nil {
		return "", fmt.Errorf("associate: %w", err)
	}
	secret := aws.ToString(assoc.SecretCode)
	code, err := totp.Code(secret, time.Now())
	if err != nil {
		return "", err
	}
	if _, err := c.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{AccessToken: token, UserCode: aws.String(code)}); err != nil {
		return "", fmt.Errorf("verify: %w", err)
	}
	if _, err := c.SetUserMFAPreference(ctx, &cip.SetUserMFAPreferenceInput{AccessToken: token,
		SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: true, PreferredMfa: true}}); err != nil {
		return "", fmt.Errorf("prefer TOTP: %w", err)
	}
	return secret, nil
}

// Alphabets of a generated password; the symbols are ones Cognito counts and a shell leaves alone.
const (
	lowers  = "abcdefghijkmnopqrstuvwxyz"
	uppers  = "ABCDEFGHJKLMNPQRSTUVWXYZ"
	digits  = "23456789"
	symbols = "-_.%+="
)

// adminPassword returns 20 random characters (crypto/rand) with at least one of each class the user
// pool's PasswordPolicy requires (template.yaml: 12 or more, lower, upper, number, symbol).
func adminPassword() (string, error) {
	all := lowers + uppers + digits + symbols
	pick := func(from string) (byte, error) {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(from))))
		if err != nil {
			return 0, fmt.Errorf("generate the admin password: %w", err)
		}
		return from[n.Int64()], nil
	}
	var b []byte
	for _, from := range []string{lowers, uppers, digits, symbols} {
		c, err := pick(from)
		if err != nil {
			return "", err
		}
		b = append(b, c)
	}
	for len(b) < 20 {
		c, err := pick(all)
		if err != nil {
			return "", err
		}
		b = append(b, c)
	}
	for i := len(b) - 1; i > 0; i-- { // Fisher-Yates, so the required classes are not always first
		j, err := rand.Int(rand.Reader, big.NewInt(int64(i+1)))
		if err != nil {
			return "", fmt.Errorf("generate the admin password: %w", err)
		}
		b[i], b[j.Int64()] = b[j.Int64()], b[i]
	}
	return string(b), nil
}
