package timeline

import (
	"context"
	"os"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/internal/adapter/dynamo/dynamotest"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

// The order's events are read from the outbox's single items and from its batch items (a transaction
// with more events than DynamoDB's 100 items hold one per item), and no other order's.
func TestEventsReadSingleAndBatchItems(t *testing.T) {
	ctx := context.Background()
	db, tables := dynamotest.Tables(t)
	env := func(id, order string) string {
		return `{"id":"` + id + `","type":"InventoryReserved","source":"orion.inventory","occurredAt":"2025-01-01T00:00:0` + id[1:] +
			`Z","correlationId":"c","data":{"orderId":"` + order + `"}}`
	}
	s := func(v string) ddbtypes.AttributeValue { return &ddbtypes.AttributeValueMemberS{Value: v} }
	for _, item := range []map[string]ddbtypes.AttributeValue{
		{"eventId": s("e1"), "type": s("InventoryReserved"), "source": s("orion.inventory"), "envelope": s(env("e1", "O1"))},
		{"eventId": s("b1"), "envelopes": &ddbtypes.AttributeValueMemberL{Value: []ddbtypes.AttributeValue{
			s(env("e2", "O1")), s(env("e3", "O2")), s(env("e4", "O1"))}}},
		{"eventId": s("e5"), "type": s("InventoryReserved"), "source": s("orion.inventory"), "envelope": s(env("e5", "O2"))},
	} {
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(tables.Outbox), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := events(ctx, Sources{DB: db, Tables: tables}, "O1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.What)
	}
	slices.Sort(got)
	if want := []string{"InventoryReserved e1", "InventoryReserved e2", "InventoryReserved e4"}; !slices.Equal(got, want) {
		t.Fatalf("events of O1: %v; want %v", got, want)
	}
}
