package dynamo_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/infra/engine/streams"
	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/adapter/dynamo/dynamotest"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/projection"
)

// The view carries what each push says, and its stream (NEW_AND_OLD_IMAGES, as template.yaml declares)
// read as the notifier reads it tells each change once, in version order: a duplicate delivery adds
// nothing, a late older status is told as late (not newer than what the view showed), writes that keep the status but are
// pushed (a payment action, a return's step) are told with their version, and a whole order's refund
// is not told. Read through the local runtime's stream poller, which delivers the records in Lambda's
// shape (docs/adr/0026).
func TestOrderViewStreamTellsEachChangeOnceInOrder(t *testing.T) {
	ctx := context.Background()
	db := dynamodb.NewFromConfig(awstest.Config(t))
	table := dynamotest.Table(t, "ProjectionsTable")
	p := dynamo.NewProjections(db, table)
	price, _ := money.New(500, "USD")
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	const id = "01JDQ7Z3M6X9V0YB2C4D5E6F7G"
	ref := func(status string, v int64) event.OrderRef {
		return event.OrderRef{OrderID: id, CustomerID: "cust-1", Status: status, OrderVersion: v}
	}
	lines := []event.Line{{SKU: "A", Name: "a", Quantity: 1, UnitPrice: price, LineTotal: price}}
	at := func(v int64) time.Time { return t0.Add(time.Duration(v) * time.Second) }
	placed := env(t, "e1", event.OrderPlaced{OrderRef: ref("PENDING", 1), Lines: lines, Total: price, CreatedAt: t0}, at(1))
	shipped := env(t, "e9", event.OrderShipped{OrderRef: ref("SHIPPED", 9), Carrier: "DHL", TrackingNumber: "JD1", ShippedAt: at(9)}, at(9))
	delivered := env(t, "e10", event.OrderDelivered{OrderRef: ref("DELIVERED", 10), DeliveredAt: at(10)}, at(10))
	evs := []event.Envelope{
		placed,
		env(t, "e2", event.InventoryReserved{OrderRef: ref("RESERVED", 2), Lines: []event.StockLine{{SKU: "A", Quantity: 1}}}, at(2)),
		env(t, "e3", event.PaymentActionRequired{OrderRef: ref("RESERVED", 3), AuthorizationID: "pi_1", ActionType: "redirect_to_url"}, at(3)),
		env(t, "e4", event.PaymentAuthorized{OrderRef: ref("PAYMENT_AUTHORIZED", 4), AuthorizationID: "pi_1", Amount: price}, at(4)),
		placed, // a duplicate delivery
		env(t, "e5", event.PaymentCaptured{OrderRef: ref("PAYMENT_AUTHORIZED", 5), AuthorizationID: "pi_1", CaptureID: "ch_1", Amount: price}, at(5)),
		env(t, "e7", event.OrderConfirmed{OrderRef: ref("CONFIRMED", 7), Lines: lines, Total: price}, at(7)),
		delivered, // before its shipment: the shipment is then late, and not told after it
		shipped,
		env(t, "e11", event.OrderReturnRequested{OrderRef: ref("DELIVERED", 11), ReturnID: "R1", Lines: []event.ReturnLine{{SKU: "A", Quantity: 1}}, Amount: price}, at(11)),
		env(t, "e12", event.PaymentRefunded{OrderRef: ref("DELIVERED", 12), AuthorizationID: "pi_1", RefundID: "re_1", Amount: price}, at(12)), // no return id
		env(t, "e13", event.PaymentRefunded{OrderRef: ref("DELIVERED", 13), AuthorizationID: "pi_1", RefundID: "re_2", Amount: price, ReturnID: "R1"}, at(13)),
	}
	for _, e := range evs {
		if _, err := p.Apply(ctx, e); err != nil {
			t.Fatalf("%s: %v", e.Type, err)
		}
	}

	desc, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil || desc.Table.LatestStreamArn == nil {
		t.Fatalf("the projections table has no stream: %v", err)
	}
	var (
		mu      sync.Mutex
		notices []projection.Notice
		late    []string // entries added after a newer one
	)
	pollCtx, stop := context.WithCancel(ctx)
	wait, err := streams.NewPoller(dynamodbstreams.NewFromConfig(awstest.Config(t)), nil, 20*time.Millisecond).Start(pollCtx,
		streams.Source{StreamArn: *desc.Table.LatestStreamArn, StartingPosition: "TRIM_HORIZON", BatchSize: 100},
		func(ctx context.Context, b streams.Batch) error {
			for _, r := range b.Records {
				var rec events.DynamoDBEventRecord
				if err := json.Unmarshal(r.JSON, &rec); err != nil {
					return err
				}
				change, err := dynamo.ViewChangeOf(rec)
				if err != nil {
					return err
				}
				if len(change.Notices) > 0 && (change.OrderID != id || change.CustomerID != "cust-1") {
					return fmt.Errorf("change of %s by %s", change.OrderID, change.CustomerID)
				}
				mu.Lock()
				for _, n := range change.Notices {
					if n.OrderVersion > change.Shown {
						notices = append(notices, n)
					} else {
						late = append(late, fmt.Sprintf("%s@%d after %d", n.Status, n.OrderVersion, change.Shown))
					}
				}
				mu.Unlock()
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { stop(); wait() }()
	want := []string{"PENDING@1 e1", "RESERVED@2 e2", "RESERVED@3 e3 action redirect_to_url", "PAYMENT_AUTHORIZED@4 e4",
		"CONFIRMED@7 e7", "DELIVERED@10 e10 delivered", "DELIVERED@11 e11 return R1 REQUESTED", "DELIVERED@13 e13 return R1 REFUNDED"}
	var got []string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		got = got[:0]
		for _, n := range notices {
			s := fmt.Sprintf("%s@%d %s", n.Status, n.OrderVersion, n.EventID)
			if n.PaymentAction != "" {
				s += " action " + n.PaymentAction
			}
			if !n.DeliveredAt.IsZero() && n.DeliveredAt.Equal(at(10)) {
				s += " delivered"
			}
			if n.ReturnID != "" {
				s += " return " + n.ReturnID + " " + n.ReturnStatus
			}
			if n.CorrelationID != "c" || !n.OccurredAt.Equal(at(n.OrderVersion)) {
				s += " (correlation or time lost)"
			}
			got = append(got, s)
		}
		mu.Unlock()
		if len(got) >= len(want) {
			break
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("the stream told\n%q\nwant\n%q", got, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{"SHIPPED@9 after 10"}; !slices.Equal(late, want) {
		t.Fatalf("late entries %q; want %q", late, want)
	}
}
