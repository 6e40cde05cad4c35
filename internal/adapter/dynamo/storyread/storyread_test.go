package storyread_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/adapter/dynamo/dynamotest"
	"github.com/orion-oss/orion/internal/adapter/dynamo/storyread"
	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/email"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/order"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

func place(t *testing.T, repo *dynamo.OrderRepository) order.ID {
	t.Helper()
	price, _ := money.New(1000, "EUR")
	l, err := order.NewLine(inventory.SKU("SKU-1"), "x", 1, price)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := order.NewID(time.Now(), nil)
	o, evs, err := order.New(id, "cust", []order.Line{l}, "tok_visa", nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	err = repo.Place(context.Background(), o, command.Remembered{RequestHash: "h", OrderID: id}, string(id), evs, event.Cause{CorrelationID: "c"})
	if errors.Is(err, command.ErrKeyTaken) {
		_, err = repo.Get(context.Background(), id) // the SDK retried a transaction whose answer was lost
	}
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// The events the real repository writes are found by order through the outbox's ByOrder index (the
// template's), another order's are not, and the emails are the send-email inbox's records of those
// events, whatever state they are in.
func TestEventsAndEmailsOfAnOrder(t *testing.T) {
	ctx := context.Background()
	db, tables := dynamotest.Tables(t)
	repo := dynamo.NewOrderRepository(db, tables)
	mine, other := place(t, repo), place(t, repo)
	if email.Consumer != "email" {
		t.Fatalf("the inbox's records are %s#<eventId>: storyread's emailConsumer must follow", email.Consumer)
	}

	evs, err := storyread.Events{DB: db, Outbox: tables.Outbox}.OfOrder(ctx, mine, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Type != event.TypeOrderPlaced || evs[0].OrderID() != string(mine) {
		t.Fatalf("events of %s: %+v; want its OrderPlaced alone", mine, evs)
	}
	if none, err := (storyread.Events{DB: db, Outbox: tables.Outbox}).OfOrder(ctx, "01JDQ7Z3M6X9V0YB2C4D5E6F7G", 10); err != nil || len(none) != 0 {
		t.Fatalf("events of an unknown order: %v, %v", none, err)
	}
	if theirs, _ := (storyread.Events{DB: db, Outbox: tables.Outbox}).OfOrder(ctx, other, 10); len(theirs) != 1 || theirs[0].ID == evs[0].ID {
		t.Fatalf("events of %s: %+v", other, theirs)
	}

	inbox := dynamotest.Table(t, "ProcessedEventsTable")
	s := func(v string) ddbtypes.AttributeValue { return &ddbtypes.AttributeValueMemberS{Value: v} }
	done := "2026-12-03T12:00:01.5Z"
	for _, it := range []map[string]ddbtypes.AttributeValue{
		{"pk": s("email#" + evs[0].ID), "status": s("DONE"), "outcome": s("SENT:m-1"), "completedAt": s(done), "claimedAt": s("2026-12-03T12:00:01Z")},
		{"pk": s("email#E2"), "status": s("IN_PROGRESS"), "claimedAt": s(done)},
		{"pk": s("ws#" + evs[0].ID), "status": s("DONE"), "outcome": s("PUSHED"), "completedAt": s(done)}, // another consumer's
	} {
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(inbox), Item: it}); err != nil {
			t.Fatal(err)
		}
	}
	mails, err := storyread.Emails{DB: db, Inbox: inbox}.Of(ctx, []string{evs[0].ID, "E2", "E3"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range mails {
		got = append(got, m.EventID+" "+m.Outcome+" "+m.At.Format(time.RFC3339Nano))
	}
	slices.Sort(got)
	want := []string{"E2 IN_PROGRESS " + done, evs[0].ID + " SENT:m-1 " + done}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("emails: %v; want %v", got, want)
	}
	// More events than one BatchGetItem takes (100 keys) are asked in several.
	ids := make([]string, 250)
	for i := range ids {
		ids[i] = strings.Repeat("x", i%7) + time.Duration(i).String()
	}
	ids[249] = evs[0].ID
	if mails, err := (storyread.Emails{DB: db, Inbox: inbox}).Of(ctx, ids); err != nil || len(mails) != 1 {
		t.Fatalf("emails of 250 events: %v, %v", mails, err)
	}
}
