package e2e

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/orion-oss/orion/infra/orion/timeline"
	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/platform/awscfg"
)

// One order's story from the local system's data, in time order (what `make timeline` prints).
func TestTimelineTellsAnOrdersStory(t *testing.T) {
	emulatorOnly(t, "the story ends with the email, read from the emulator's SES")
	addr, tok := customerWithAddress(t)
	s := stockItem(t, 10)
	id := order1(t, tok, s, 1, "tok_visa")
	settleWithin(t, 30*time.Second, tok, id, "CONFIRMED")
	expectMail(t, addr, 1)
	cfg, err := awscfg.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := output
	entries, err := timeline.Of(context.Background(), timeline.Sources{
		DB:       dynamodb.NewFromConfig(cfg),
		Tables:   dynamo.Tables{Orders: out("OrdersTableName"), Outbox: out("OutboxTableName")},
		SFN:      sfn.NewFromConfig(cfg, func(o *sfn.Options) { atEdge(&o.BaseEndpoint) }),
		Machines: map[string]string{"saga": out("OrderSagaStateMachineArn"), "cancellation": out("OrderCancellationStateMachineArn")},
		Endpoint: os.Getenv("AWS_ENDPOINT_URL"),
	}, order.ID(id))
	if err != nil {
		t.Fatal(err)
	}
	var story []string
	for _, e := range entries {
		story = append(story, e.Source+" "+strings.Fields(e.What)[0])
	}
	// Each of these, in this order (other lines may come between).
	want := []string{"order PENDING", "event OrderPlaced", "saga ReserveStock", "event InventoryReserved",
		"saga AuthorizePayment", "event PaymentAuthorized", "saga ConfirmOrder",
		"order CONFIRMED", "event OrderConfirmed",
		"saga ExecutionSucceeded", "email \"Order"}
	i := 0
	for _, line := range story {
		if i < len(want) && strings.HasPrefix(line, want[i]) {
			i++
		}
	}
	if i != len(want) {
		t.Fatalf("timeline:\n%s\nlacks, in order, %q onwards", strings.Join(story, "\n"), want[i])
	}
}
