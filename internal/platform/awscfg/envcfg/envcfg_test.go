package envcfg_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewaymanagementapi"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/internal/platform/awscfg"
	"github.com/orion-oss/orion/internal/platform/awscfg/envcfg"
	"github.com/orion-oss/orion/internal/platform/tracing"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

// settings are the variables these tests control; env sets those given and unsets the others (an empty
// AWS_ENDPOINT_URL is not an unset one to the SDK's clients), for the test's duration.
var settings = []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCOUNT_ID", "AWS_REGION",
	"AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI",
	"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT", "AWS_PROFILE"}

func env(t *testing.T, vars map[string]string) {
	t.Helper()
	for _, k := range settings {
		old, had := os.LookupEnv(k)
		t.Cleanup(func() {
			if had {
				os.Setenv(k, old)
			} else {
				os.Unsetenv(k)
			}
		})
		if v, ok := vars[k]; ok {
			os.Setenv(k, v)
		} else {
			os.Unsetenv(k)
		}
	}
	// No shared files: LoadDefaultConfig, compared against below, must see what a function sees.
	t.Setenv("HOME", t.TempDir())
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
}

func load(t *testing.T) aws.Config {
	t.Helper()
	cfg, err := envcfg.Load()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// What a client built from envcfg resolves (region, endpoint, its variants, credentials, attempts) is
// what a client built from the SDK's own loader resolves, for every setting envcfg reads.
func TestLoadResolvesWhatTheSDKsLoaderResolves(t *testing.T) {
	creds := map[string]string{"AWS_ACCESS_KEY_ID": "AKIDLAMBDA", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token"}
	with := func(more map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range creds {
			m[k] = v
		}
		for k, v := range more {
			m[k] = v
		}
		return m
	}
	cases := map[string]map[string]string{
		"Lambda on AWS":              with(map[string]string{"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1"}),
		"no region":                  with(nil),
		"default region only":        with(map[string]string{"AWS_DEFAULT_REGION": "ap-south-1"}),
		"one endpoint":               with(map[string]string{"AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:4567"}),
		"per-service over shared":    with(map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:4567", "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI": "http://127.0.0.1:3002", "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8000"}),
		"per-service only":           with(map[string]string{"AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8000"}),
		"configured endpoints off":   with(map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:4567", "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8000", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}),
		"configured endpoints on":    with(map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:4567", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "false"}),
		"FIPS and dual-stack":        with(map[string]string{"AWS_REGION": "us-gov-west-1", "AWS_USE_FIPS_ENDPOINT": "true", "AWS_USE_DUALSTACK_ENDPOINT": "TRUE"}),
		"FIPS and dual-stack off":    with(map[string]string{"AWS_USE_FIPS_ENDPOINT": "false", "AWS_USE_DUALSTACK_ENDPOINT": "false"}),
		"account id, no token":       with(map[string]string{"AWS_SESSION_TOKEN": "", "AWS_ACCOUNT_ID": "123456789012"}),
		"endpoint of a real service": with(map[string]string{"AWS_ENDPOINT_URL": "https://dynamodb.eu-west-1.amazonaws.com"}),
	}
	for name, vars := range cases {
		t.Run(name, func(t *testing.T) {
			env(t, vars)
			lean := load(t)
			full, err := awscfg.Load(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			db, dbWant := dynamodb.NewFromConfig(lean).Options(), dynamodb.NewFromConfig(full).Options()
			if db.Region != dbWant.Region || aws.ToString(db.BaseEndpoint) != aws.ToString(dbWant.BaseEndpoint) ||
				db.EndpointOptions.UseFIPSEndpoint != dbWant.EndpointOptions.UseFIPSEndpoint ||
				db.EndpointOptions.UseDualStackEndpoint != dbWant.EndpointOptions.UseDualStackEndpoint {
				t.Errorf("DynamoDB: region %q endpoint %q FIPS %v dual-stack %v; the SDK's loader gives %q %q %v %v", db.Region,
					aws.ToString(db.BaseEndpoint), db.EndpointOptions.UseFIPSEndpoint, db.EndpointOptions.UseDualStackEndpoint,
					dbWant.Region, aws.ToString(dbWant.BaseEndpoint), dbWant.EndpointOptions.UseFIPSEndpoint, dbWant.EndpointOptions.UseDualStackEndpoint)
			}
			mgmt, mgmtWant := apigatewaymanagementapi.NewFromConfig(lean).Options(), apigatewaymanagementapi.NewFromConfig(full).Options()
			if aws.ToString(mgmt.BaseEndpoint) != aws.ToString(mgmtWant.BaseEndpoint) {
				t.Errorf("Management API endpoint %q; the SDK's loader gives %q", aws.ToString(mgmt.BaseEndpoint), aws.ToString(mgmtWant.BaseEndpoint))
			}
			got, err := db.Credentials.Retrieve(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want, err := dbWant.Credentials.Retrieve(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("credentials %+v; the SDK's loader gives %+v", got, want)
			}
			if a, b := db.Retryer.MaxAttempts(), dbWant.Retryer.MaxAttempts(); a != envcfg.MaxAttempts || a != b {
				t.Errorf("max attempts %d; want %d (the SDK's loader with our retryer: %d)", a, envcfg.MaxAttempts, b)
			}
		})
	}
}

func TestLoadNeedsCredentialsInTheEnvironment(t *testing.T) {
	env(t, map[string]string{"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKID"})
	if _, err := envcfg.Load(); !errors.Is(err, envcfg.ErrNoCredentials) {
		t.Fatalf("err = %v; want ErrNoCredentials", err)
	}
}

func TestLoadRefusesAMalformedSetting(t *testing.T) {
	for _, k := range []string{"AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"} {
		env(t, map[string]string{"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s", k: "yes"})
		if _, err := envcfg.Load(); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=yes: err = %v; want it named", k, err)
		}
	}
}

// The clients reach the emulator named by AWS_ENDPOINT_URL with the real SDK, signed with the
// environment's credentials.
func TestLoadReachesTheLocalEndpoint(t *testing.T) {
	ctx := context.Background()
	db := dynamodb.NewFromConfig(load(t))
	table := awstest.Name(t, "envcfg")
	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	t.Cleanup(func() { db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table)}) })
	put := &dynamodb.PutItemInput{TableName: aws.String(table), ConditionExpression: aws.String("attribute_not_exists(pk)"),
		Item: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "a"}}}
	if _, err := db.PutItem(ctx, put); err != nil {
		t.Fatalf("PutItem: %v", err)
	}
	var ccf *types.ConditionalCheckFailedException
	if _, err := db.PutItem(ctx, put); !errors.As(err, &ccf) {
		t.Fatalf("second conditional PutItem err = %v; want ConditionalCheckFailedException", err)
	}
}

// A per-service variable wins over the shared endpoint for its service only: with the shared endpoint
// dead, DynamoDB still reaches the emulator through AWS_ENDPOINT_URL_DYNAMODB, and the Management API
// posts to the gateway AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI names (how the local runtime serves
// @connections), signed with the environment's credentials.
func TestLoadHonoursPerServiceEndpoints(t *testing.T) {
	emulator := os.Getenv("AWS_ENDPOINT_URL")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close()
	posted := make(chan *http.Request, 1)
	gateway := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		posted <- r
	}))
	defer gateway.Close()
	env(t, map[string]string{"AWS_ACCESS_KEY_ID": "AKIDLAMBDA", "AWS_SECRET_ACCESS_KEY": "s", "AWS_REGION": "us-east-1",
		"AWS_ENDPOINT_URL": dead, "AWS_ENDPOINT_URL_DYNAMODB": emulator, "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI": gateway.URL})
	cfg := load(t)
	ctx := context.Background()
	if _, err := dynamodb.NewFromConfig(cfg).ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil {
		t.Fatalf("DynamoDB through AWS_ENDPOINT_URL_DYNAMODB: %v", err)
	}
	mgmt := apigatewaymanagementapi.NewFromConfig(cfg, func(o *apigatewaymanagementapi.Options) {
		if o.BaseEndpoint == nil { // what apigateway.NewManagementClient does with the stage's URL
			o.BaseEndpoint = aws.String(dead)
		}
	})
	if _, err := mgmt.PostToConnection(ctx, &apigatewaymanagementapi.PostToConnectionInput{ConnectionId: aws.String("c1"), Data: []byte("hi")}); err != nil {
		t.Fatalf("PostToConnection: %v", err)
	}
	r := <-posted
	if r.URL.Path != "/@connections/c1" || !strings.Contains(r.Header.Get("Authorization"), "Credential=AKIDLAMBDA/") {
		t.Fatalf("posted %s with Authorization %q", r.URL.Path, r.Header.Get("Authorization"))
	}
	// The shared endpoint is still every other service's.
	cfg.RetryMaxAttempts = 1
	os.Unsetenv("AWS_ENDPOINT_URL_DYNAMODB")
	_, err = dynamodb.NewFromConfig(cfg).ListTables(ctx, &dynamodb.ListTablesInput{})
	var opErr *net.OpError
	if !errors.As(err, &opErr) {
		t.Fatalf("ListTables through the dead shared endpoint: err = %v; want a connection error", err)
	}
}

func TestLoadTracesOnlyWithTheDaemon(t *testing.T) {
	env(t, map[string]string{"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s"})
	t.Setenv(tracing.EnvDaemonAddress, "")
	plain := load(t)
	t.Setenv(tracing.EnvDaemonAddress, "127.0.0.1:2000")
	traced := load(t)
	if len(plain.APIOptions) != 0 || len(traced.APIOptions) != 1 {
		t.Fatalf("API options: %d traced, %d plain; want 1 and 0", len(traced.APIOptions), len(plain.APIOptions))
	}
}
