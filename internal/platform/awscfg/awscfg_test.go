package awscfg_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/internal/platform/awscfg"
	"github.com/orion-oss/orion/internal/platform/logging"
	"github.com/orion-oss/orion/internal/platform/traceheader"
	"github.com/orion-oss/orion/internal/platform/tracing"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

// The clients built from Load reach the endpoint named by AWS_ENDPOINT_URL with the real SDK.
func TestLoadReachesTheLocalEndpoint(t *testing.T) {
	ctx := context.Background()
	cfg, err := awscfg.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	db := dynamodb.NewFromConfig(cfg)
	table := awstest.Name(t, "awscfg")
	_, err = db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	t.Cleanup(func() { db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table)}) })

	_, err = db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           aws.String(table),
		Item:                map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "a"}},
		ConditionExpression: aws.String("attribute_not_exists(pk)"),
	})
	if err != nil {
		t.Fatalf("PutItem: %v", err)
	}
	// A second conditional put of the same key must be refused by the emulator, as DynamoDB does.
	_, err = db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           aws.String(table),
		Item:                map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "a"}},
		ConditionExpression: aws.String("attribute_not_exists(pk)"),
	})
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		t.Fatalf("second conditional PutItem err = %v; want ConditionalCheckFailedException", err)
	}
}

// A per-service variable overrides the shared endpoint for that service only, which is how the local
// runtime points the API Gateway Management API at its own WebSocket server.
func TestLoadHonoursPerServiceEndpoint(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close()
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", dead)

	cfg, err := awscfg.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cfg.RetryMaxAttempts = 1
	_, err = dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 }).
		ListTables(context.Background(), &dynamodb.ListTablesInput{})
	var opErr *net.OpError
	if !errors.As(err, &opErr) {
		t.Fatalf("ListTables via %s: err = %v; want a connection error", dead, err)
	}
}

func TestLoadDefaultsTheRegionOutsideLambda(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	cfg, err := awscfg.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != awscfg.DefaultRegion {
		t.Fatalf("Region = %q; want %q", cfg.Region, awscfg.DefaultRegion)
	}
	t.Setenv("AWS_REGION", "eu-west-1")
	if cfg, _ = awscfg.Load(context.Background()); cfg.Region != "eu-west-1" {
		t.Fatalf("Region = %q; want eu-west-1 from AWS_REGION", cfg.Region)
	}
}

// With AWS_XRAY_DAEMON_ADDRESS set, as Lambda sets it under active tracing, every call of a client built
// from Load is a subsegment under the invocation's segment, annotated with the story's ids.
func TestLoadTracesEveryCallWhenTheDaemonIsThere(t *testing.T) {
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	t.Setenv(tracing.EnvDaemonAddress, udp.LocalAddr().String())
	cfg, err := awscfg.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx := traceheader.WithHeader(context.Background(), "Root=1-6745c1a0-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1")
	ctx = logging.With(ctx, "corr-7", "order-7")
	if _, err := dynamodb.NewFromConfig(cfg).ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 65536)
	udp.SetReadDeadline(time.Now().Add(2 * time.Second))
	n, _, err := udp.ReadFrom(buf)
	if err != nil {
		t.Fatalf("no subsegment: %v", err)
	}
	_, body, _ := strings.Cut(string(buf[:n]), "\n")
	var s tracing.Subsegment
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		t.Fatal(err)
	}
	if s.Name != "DynamoDB" || s.AWS.Operation != "ListTables" || s.ParentID != "53995c3f42cd8ad8" || s.HTTP == nil || s.HTTP.Response.Status != 200 {
		t.Errorf("subsegment = %+v", s)
	}
	if s.Annotations["correlationId"] != "corr-7" || s.Annotations["orderId"] != "order-7" {
		t.Errorf("annotations = %v", s.Annotations)
	}
}

func TestLoadAddsNoTracingWithoutTheDaemon(t *testing.T) {
	t.Setenv(tracing.EnvDaemonAddress, "")
	plain, err := awscfg.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(tracing.EnvDaemonAddress, "127.0.0.1:2000")
	traced, err := awscfg.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(traced.APIOptions) != len(plain.APIOptions)+1 {
		t.Fatalf("API options: %d traced, %d plain; want exactly one more with the daemon", len(traced.APIOptions), len(plain.APIOptions))
	}
}
