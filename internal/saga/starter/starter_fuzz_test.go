package starter_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/saga"
	"github.com/orion-oss/orion/internal/saga/starter"
)

// recording is a fake of the starter's one port: it records the executions asked for.
type recording struct{ starts []starter.Execution }

func (r *recording) Start(_ context.Context, x starter.Execution) (string, error) {
	r.starts = append(r.starts, x)
	return "arn:x", nil
}

// Whatever event detail reaches the starter, it starts at most one execution, of one of its two
// machines, named after a valid order id with that id in its input; anything else starts nothing.
func FuzzStarterEvent(f *testing.F) {
	f.Add([]byte(`{"id":"e1","type":"OrderPlaced","version":1,"source":"orion.orders","occurredAt":"2026-01-01T00:00:00Z","correlationId":"c","data":{"orderId":"01JDQ7Z3M6X9V0YB2C4D5E6F7G","customerId":"u","status":"PENDING","orderVersion":1}}`))
	f.Add([]byte(`{"type":"OrderCancellationRequested","data":{"status":"CONFIRMED"}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, detail []byte) {
		fake := &recording{}
		s := starter.Starter{Executions: fake, SagaArn: "arn:saga", CancellationArn: "arn:cancel", Log: slog.New(slog.DiscardHandler)}
		_ = s.Handle(context.Background(), events.EventBridgeEvent{ID: "x", Detail: detail})
		if len(fake.starts) > 1 {
			t.Fatalf("%d executions for one event", len(fake.starts))
		}
		for _, in := range fake.starts {
			arn, name := in.StateMachineArn, in.Name
			if arn != "arn:saga" && arn != "arn:cancel" {
				t.Fatalf("started %s", arn)
			}
			if _, err := order.ParseID(name); err != nil {
				t.Fatalf("execution named %q: %v", name, err)
			}
			var input saga.Input
			if err := json.Unmarshal([]byte(in.Input), &input); err != nil || input.OrderID != name {
				t.Fatalf("input %s for execution %s", in.Input, name)
			}
		}
	})
}
