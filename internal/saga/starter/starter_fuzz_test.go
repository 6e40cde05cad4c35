package starter_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/saga"
	"github.com/orion-oss/orion/internal/saga/starter"
)

// recordingSFN is a fake of the starter's one port: it records the executions asked for.
type recordingSFN struct{ starts []*sfn.StartExecutionInput }

func (r *recordingSFN) StartExecution(ctx context.Context, in *sfn.StartExecutionInput, _ ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error) {
	r.starts = append(r.starts, in)
	return &sfn.StartExecutionOutput{ExecutionArn: aws.String("arn:x")}, nil
}

// Whatever event detail reaches the starter, it starts at most one execution, of one of its two
// machines, named after a valid order id with that id in its input; anything else starts nothing.
func FuzzStarterEvent(f *testing.F) {
	f.Add([]byte(`{"id":"e1","type":"OrderPlaced","version":1,"source":"orion.orders","occurredAt":"2026-01-01T00:00:00Z","correlationId":"c","data":{"orderId":"01JDQ7Z3M6X9V0YB2C4D5E6F7G","customerId":"u","status":"PENDING","orderVersion":1}}`))
	f.Add([]byte(`{"type":"OrderCancellationRequested","data":{"status":"CONFIRMED"}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, detail []byte) {
		fake := &recordingSFN{}
		s := starter.Starter{SFN: fake, SagaArn: "arn:saga", CancellationArn: "arn:cancel", Log: slog.New(slog.DiscardHandler)}
		_ = s.Handle(context.Background(), events.EventBridgeEvent{ID: "x", Detail: detail})
		if len(fake.starts) > 1 {
			t.Fatalf("%d executions for one event", len(fake.starts))
		}
		for _, in := range fake.starts {
			arn, name := aws.ToString(in.StateMachineArn), aws.ToString(in.Name)
			if arn != "arn:saga" && arn != "arn:cancel" {
				t.Fatalf("started %s", arn)
			}
			if _, err := order.ParseID(name); err != nil {
				t.Fatalf("execution named %q: %v", name, err)
			}
			var input saga.Input
			if err := json.Unmarshal([]byte(aws.ToString(in.Input)), &input); err != nil || input.OrderID != name {
				t.Fatalf("input %s for execution %s", aws.ToString(in.Input), name)
			}
		}
	})
}
