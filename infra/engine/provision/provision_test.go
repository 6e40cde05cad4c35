package provision_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/infra/engine/provision"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

const account = "123456789012"

func TestTableWithIndexesStreamTTLAndPITR(t *testing.T) {
	ctx := context.Background()
	cfg := awstest.Config(t)
	p := provision.New(cfg, account)
	name := awstest.Name(t, "orders")
	props := map[string]any{
		"TableName":   name,
		"BillingMode": "PAY_PER_REQUEST",
		"AttributeDefinitions": []any{
			map[string]any{"AttributeName": "pk", "AttributeType": "S"},
			map[string]any{"AttributeName": "sk", "AttributeType": "S"},
			map[string]any{"AttributeName": "customerId", "AttributeType": "S"},
		},
		"KeySchema": []any{
			map[string]any{"AttributeName": "pk", "KeyType": "HASH"},
			map[string]any{"AttributeName": "sk", "KeyType": "RANGE"},
		},
		"GlobalSecondaryIndexes": []any{map[string]any{
			"IndexName":  "ByCustomer",
			"KeySchema":  []any{map[string]any{"AttributeName": "customerId", "KeyType": "HASH"}, map[string]any{"AttributeName": "sk", "KeyType": "RANGE"}},
			"Projection": map[string]any{"ProjectionType": "ALL"},
		}},
		"StreamSpecification":              map[string]any{"StreamViewType": "NEW_IMAGE"},
		"SSESpecification":                 map[string]any{"SSEEnabled": true},
		"TimeToLiveSpecification":          map[string]any{"AttributeName": "expiresAt", "Enabled": true},
		"PointInTimeRecoverySpecification": map[string]any{"PointInTimeRecoveryEnabled": true},
	}
	res, err := p.Create(ctx, "AWS::DynamoDB::Table", "OrdersTable", props)
	if err != nil {
		t.Fatal(err)
	}
	if res.Ref != name {
		t.Errorf("Ref = %q; want the TableName %q", res.Ref, name)
	}
	if arn, _ := res.Attrs["StreamArn"].(string); !strings.Contains(arn, "/stream/") {
		t.Errorf("StreamArn = %v", res.Attrs["StreamArn"])
	}

	db := dynamodb.NewFromConfig(cfg)
	desc, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(desc.Table.GlobalSecondaryIndexes); got != 1 || aws.ToString(desc.Table.GlobalSecondaryIndexes[0].IndexName) != "ByCustomer" {
		t.Errorf("GSIs = %+v", desc.Table.GlobalSecondaryIndexes)
	}
	if v := desc.Table.StreamSpecification; v == nil || v.StreamViewType != ddbtypes.StreamViewTypeNewImage {
		t.Errorf("stream = %+v", v)
	}
	ttl, err := db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil || ttl.TimeToLiveDescription.TimeToLiveStatus != ddbtypes.TimeToLiveStatusEnabled ||
		aws.ToString(ttl.TimeToLiveDescription.AttributeName) != "expiresAt" {
		t.Errorf("TTL = %+v, %v", ttl, err)
	}

	// Provisioning twice (a persistent LocalStack, a restarted runtime) reuses the table.
	again, err := p.Create(ctx, "AWS::DynamoDB::Table", "OrdersTable", props)
	if err != nil {
		t.Fatal(err)
	}
	if again.Ref != res.Ref || again.Attrs["StreamArn"] != res.Attrs["StreamArn"] {
		t.Errorf("second Create = %+v; want %+v", again, res)
	}
}

func TestBusArchiveAndRule(t *testing.T) {
	ctx := context.Background()
	cfg := awstest.Config(t)
	p := provision.New(cfg, account)
	bus := awstest.Name(t, "orion")
	b, err := p.Create(ctx, "AWS::Events::EventBus", "Bus", map[string]any{"Name": bus})
	if err != nil {
		t.Fatal(err)
	}
	wantArn := "arn:aws:events:us-east-1:" + account + ":event-bus/" + bus
	if b.Ref != bus || b.Attrs["Arn"] != wantArn {
		t.Fatalf("bus = %+v", b)
	}
	if _, err := p.Create(ctx, "AWS::Events::EventBus", "Bus", map[string]any{"Name": bus}); err != nil {
		t.Fatalf("second create of the bus: %v", err)
	}
	if _, err := p.Create(ctx, "AWS::Events::Archive", "Archive", map[string]any{
		"ArchiveName": bus + "-archive", "SourceArn": wantArn, "RetentionDays": "30",
	}); err != nil {
		t.Fatal(err)
	}
	r, err := p.Create(ctx, "AWS::Events::Rule", "Rule", map[string]any{
		"Name": bus + "-confirmed", "EventBusName": wantArn,
		"EventPattern": map[string]any{"source": []any{"orion.orders"}, "detail-type": []any{"OrderConfirmed"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	eb := eventbridge.NewFromConfig(cfg)
	got, err := eb.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(r.Ref), EventBusName: aws.String(bus)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(aws.ToString(got.EventPattern), "OrderConfirmed") {
		t.Errorf("pattern = %s", aws.ToString(got.EventPattern))
	}
	// Without targets in the emulator, PutEvents on the bus succeeds: delivery is the runtime's job.
	out, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
		EventBusName: aws.String(bus), Source: aws.String("orion.orders"), DetailType: aws.String("OrderConfirmed"), Detail: aws.String(`{}`),
	}}})
	if err != nil || out.FailedEntryCount != 0 {
		t.Fatalf("PutEvents = %+v, %v", out, err)
	}
}

func TestQueueWithRedrive(t *testing.T) {
	ctx := context.Background()
	cfg := awstest.Config(t)
	p := provision.New(cfg, account)
	dlq, err := p.Create(ctx, "AWS::SQS::Queue", "DLQ", map[string]any{"QueueName": awstest.Name(t, "dlq"), "MessageRetentionPeriod": 1209600})
	if err != nil {
		t.Fatal(err)
	}
	q, err := p.Create(ctx, "AWS::SQS::Queue", "Queue", map[string]any{
		"QueueName": awstest.Name(t, "work"), "VisibilityTimeout": 30,
		"RedrivePolicy": map[string]any{"deadLetterTargetArn": dlq.Attrs["Arn"], "maxReceiveCount": 3},
	})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := sqs.NewFromConfig(cfg).GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(q.Ref), AttributeNames: []sqstypes.QueueAttributeName{"All"}})
	if err != nil {
		t.Fatal(err)
	}
	if rp := attrs.Attributes["RedrivePolicy"]; !strings.Contains(rp, dlq.Attrs["Arn"].(string)) {
		t.Errorf("RedrivePolicy = %q", rp)
	}
	if attrs.Attributes["VisibilityTimeout"] != "30" {
		t.Errorf("VisibilityTimeout = %q", attrs.Attributes["VisibilityTimeout"])
	}
}

func TestCognitoPoolClientAndGroupAreReusedByName(t *testing.T) {
	ctx := context.Background()
	cfg := awstest.Config(t)
	p := provision.New(cfg, account)
	name := awstest.Name(t, "users")
	poolProps := map[string]any{
		"UserPoolName": name, "UsernameAttributes": []any{"email"}, "AutoVerifiedAttributes": []any{"email"},
		"Policies": map[string]any{"PasswordPolicy": map[string]any{"MinimumLength": 12, "RequireNumbers": true, "RequireSymbols": true, "RequireUppercase": true, "RequireLowercase": true}},
	}
	pool, err := p.Create(ctx, "AWS::Cognito::UserPool", "UserPool", poolProps)
	if err != nil {
		t.Fatal(err)
	}
	if pool.Attrs["ProviderURL"] != "https://cognito-idp.us-east-1.amazonaws.com/"+pool.Ref {
		t.Errorf("ProviderURL = %v", pool.Attrs["ProviderURL"])
	}
	clientProps := map[string]any{"UserPoolId": pool.Ref, "ClientName": "web", "ExplicitAuthFlows": []any{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}}
	client, err := p.Create(ctx, "AWS::Cognito::UserPoolClient", "Client", clientProps)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Create(ctx, "AWS::Cognito::UserPoolGroup", "Admins", map[string]any{"UserPoolId": pool.Ref, "GroupName": "admin"}); err != nil {
		t.Fatal(err)
	}

	pool2, err := p.Create(ctx, "AWS::Cognito::UserPool", "UserPool", poolProps)
	if err != nil {
		t.Fatal(err)
	}
	client2, err := p.Create(ctx, "AWS::Cognito::UserPoolClient", "Client", clientProps)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Create(ctx, "AWS::Cognito::UserPoolGroup", "Admins", map[string]any{"UserPoolId": pool.Ref, "GroupName": "admin"}); err != nil {
		t.Fatalf("second group create: %v", err)
	}
	if pool2.Ref != pool.Ref || client2.Ref != client.Ref {
		t.Errorf("re-provisioning created new ids: pool %s->%s client %s->%s", pool.Ref, pool2.Ref, client.Ref, client2.Ref)
	}
	desc, err := cip.NewFromConfig(cfg).DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(pool.Ref)})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToInt32(desc.UserPool.Policies.PasswordPolicy.MinimumLength); got != 12 {
		t.Errorf("MinimumLength = %d", got)
	}
}

func TestEmailIdentityCanSend(t *testing.T) {
	ctx := context.Background()
	cfg := awstest.Config(t)
	p := provision.New(cfg, account)
	set := awstest.Name(t, "orion")
	for range 2 { // the second time finds it there
		if _, err := p.Create(ctx, "AWS::SES::ConfigurationSet", "ConfigSet", map[string]any{"Name": set}); err != nil {
			t.Fatal(err)
		}
	}
	from := awstest.Name(t, "orders") + "@example.com"
	if _, err := p.Create(ctx, "AWS::SES::EmailIdentity", "Sender", map[string]any{
		"EmailIdentity": from, "ConfigurationSetAttributes": map[string]any{"ConfigurationSetName": set},
	}); err != nil {
		t.Fatal(err)
	}
	_, err := sesv2.NewFromConfig(cfg).SendEmail(ctx, &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(from),
		Destination:      &sestypes.Destination{ToAddresses: []string{"customer@example.com"}},
		Content: &sestypes.EmailContent{Simple: &sestypes.Message{
			Subject: &sestypes.Content{Data: aws.String("hi")}, Body: &sestypes.Body{Text: &sestypes.Content{Data: aws.String("hello")}},
		}},
	})
	if err != nil {
		t.Fatalf("SendEmail from the provisioned identity: %v", err)
	}
}

func TestUnsupportedTypeIsNamed(t *testing.T) {
	p := provision.New(awstest.Config(t), account)
	_, err := p.Create(context.Background(), "AWS::EC2::Instance", "Box", nil)
	if !errors.Is(err, provision.ErrUnsupported) || !strings.Contains(err.Error(), "AWS::EC2::Instance") {
		t.Fatalf("err = %v", err)
	}
}
