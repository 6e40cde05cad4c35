package benchreport

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orion-oss/orion/infra/engine/stack"
	"github.com/orion-oss/orion/internal/adapter/cognito"
	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/platform/awscfg"
)

// system is the whole local stack started from the template, as the e2e harness starts it, with the
// meter between it and the emulator and the observer on its hooks.
type system struct {
	st       *stack.Stack
	meter    *meter
	obs      *observer
	http     *http.Client
	aws      aws.Config // straight to the emulator
	adminTok string
}

func startSystem(ctx context.Context, templatePath, binDir, endpoint string) (*system, error) {
	m, err := newMeter(endpoint)
	if err != nil {
		return nil, err
	}
	obs := newObserver()
	var out io.Writer = io.Discard
	if os.Getenv("BENCHREPORT_VERBOSE") != "" {
		out = os.Stderr // the runtime's own log: one line per invocation, delivery and transition
	}
	st, err := stack.Start(ctx, stack.Config{Output: out, StackName: "orion-bench", Template: templatePath, Endpoint: m.URL, BinDir: binDir,
		Parameters: map[string]string{"Stage": "local", "AutoConfirmUsers": "true", "CreateEmailIdentity": "true", "LogLevel": "WARN"}, RetryBase: 50 * time.Millisecond,
		OnEvent: obs.event, OnInvoke: obs.invoked, OnTransition: obs.transition})
	if err != nil {
		m.Close()
		return nil, err
	}
	cfg, err := awscfg.Load(ctx, config.WithRegion("us-east-1"), config.WithBaseEndpoint(endpoint),
		config.WithCredentialsProvider(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "benchreport", SecretAccessKey: "test"}, nil
		})))
	if err != nil {
		st.Close(ctx)
		m.Close()
		return nil, err
	}
	s := &system{st: st, meter: m, obs: obs, aws: cfg,
		http: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 512}}}
	if s.adminTok, err = s.user(ctx, "admin", true); err != nil {
		s.Close()
		return nil, fmt.Errorf("benchreport: admin user: %w", err)
	}
	return s, nil
}

func (s *system) Close() {
	s.st.Close(context.Background())
	s.meter.Close()
}

func randomID() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// user creates a confirmed user in the pool (an admin if asked) and signs it in.
func (s *system) user(ctx context.Context, prefix string, admin bool) (string, error) {
	pool, client := fmt.Sprint(s.st.Outputs["UserPoolId"]), fmt.Sprint(s.st.Outputs["UserPoolClientId"])
	c := cip.NewFromConfig(s.aws)
	email, pass := prefix+"-"+randomID()+"@example.com", "Str0ng!Passw0rd-bench"
	if _, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: &pool, Username: &email, MessageAction: ciptypes.MessageActionTypeSuppress,
		// A verified address: order mail goes to verified addresses only (internal/adapter/cognito/directory).
		UserAttributes: []ciptypes.AttributeType{{Name: aws.String("email"), Value: &email}, {Name: aws.String("email_verified"), Value: aws.String("true")}}}); err != nil {
		return "", err
	}
	if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: &pool, Username: &email, Password: &pass, Permanent: true}); err != nil {
		return "", err
	}
	if admin {
		if _, err := c.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: &pool, Username: &email, GroupName: aws.String("admin")}); err != nil {
			return "", err
		}
	}
	// The sign-in client has a secret (template.yaml UserPoolClient): read as the deployer may.
	secret, err := cognito.ClientSecret(ctx, c, pool, client)
	if err != nil {
		return "", err
	}
	out, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: &client, AuthFlow: ciptypes.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": email, "PASSWORD": pass, "SECRET_HASH": cognito.SecretHash(secret, email, client)}})
	if err != nil {
		return "", err
	}
	if out.AuthenticationResult == nil {
		return "", fmt.Errorf("sign in %s: challenge %s", email, out.ChallengeName)
	}
	return aws.ToString(out.AuthenticationResult.AccessToken), nil
}

// call makes one HTTP API request and decodes a JSON answer into out (if not nil).
func (s *system) call(ctx context.Context, method, path, token, idemKey, body string, out any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, s.st.HTTPURL+path, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %v: %s", method, path, err, b)
		}
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	return resp.StatusCode, nil
}

// stockItem creates an item with stock and returns its SKU.
func (s *system) stockItem(ctx context.Context, available int) (string, error) {
	sku := "BENCH-" + strings.ToUpper(randomID())
	body := fmt.Sprintf(`{"name":"Bench %s","price":{"amount":1250,"currency":"USD"},"available":%d}`, sku, available)
	_, err := s.call(ctx, "PUT", "/inventory/"+sku, s.adminTok, "", body, nil)
	return sku, err
}

// place posts an order of qty units of sku and returns its id.
func (s *system) place(ctx context.Context, tok, sku string, qty int, paymentToken string) (string, error) {
	var o struct {
		OrderID string `json:"orderId"`
	}
	body := fmt.Sprintf(`{"items":[{"sku":%q,"quantity":%d}],"paymentToken":%q}`, sku, qty, paymentToken)
	if _, err := s.call(ctx, "POST", "/orders", tok, "k-"+randomID(), body, &o); err != nil {
		return "", err
	}
	return o.OrderID, nil
}

// counters reads an item's stock counters straight from the inventory table.
func (s *system) counters(ctx context.Context, sku string) (available, reserved, sold int64, err error) {
	repo := dynamo.NewInventoryRepository(dynamodb.NewFromConfig(s.aws), dynamo.Tables{Inventory: fmt.Sprint(s.st.Outputs["InventoryTableName"])})
	it, err := repo.Get(ctx, inventory.SKU(sku))
	if err != nil {
		return 0, 0, 0, err
	}
	return it.Available().Int64(), it.Reserved().Int64(), it.Sold().Int64(), nil
}
