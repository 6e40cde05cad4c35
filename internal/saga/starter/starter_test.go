package starter_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/infra/engine/states"
	"github.com/orion-oss/orion/internal/adapter/stepfunctions"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/saga"
	"github.com/orion-oss/orion/internal/saga/starter"
)

// The starter talks to Orion's local Step Functions (infra/engine/states) through the real SDK.
func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

func TestStarterStartsOneExecutionPerOrder(t *testing.T) {
	svc := states.NewService(nil)
	t.Cleanup(svc.Close)
	// Executions that wait, so "running" and "closed" can both be tested.
	def := `{"StartAt":"Hold","States":{"Hold":{"Type":"Wait","Seconds":1,"End":true}}}`
	sagaArn, cancelArn := "arn:aws:states:us-east-1:123456789012:stateMachine:saga", "arn:aws:states:us-east-1:123456789012:stateMachine:cancel"
	for _, arn := range []string{sagaArn, cancelArn} {
		if err := svc.Register(arn, arn[len(arn)-5:], def); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	client := sfn.NewFromConfig(awstest.Config(t), func(o *sfn.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	s := starter.Starter{Executions: stepfunctions.Executions{API: client}, SagaArn: sagaArn, CancellationArn: cancelArn, Log: slog.New(slog.DiscardHandler)}

	ref := event.OrderRef{OrderID: "01JDQ7Z3M6X9V0YB2C4D5E6F7G", CustomerID: "cust-1", Status: "PENDING", OrderVersion: 1}
	deliver := func(id string, p event.Payload) error {
		env, err := event.Wrap(p, event.Meta{ID: id, OccurredAt: time.Now(), CorrelationID: "corr-1"})
		if err != nil {
			t.Fatal(err)
		}
		detail, _ := json.Marshal(env)
		return s.Handle(context.Background(), events.EventBridgeEvent{ID: "eb-" + id, DetailType: env.Type, Source: env.Source, Detail: detail})
	}
	executions := func(arn string) []string {
		out, err := client.ListExecutions(context.Background(), &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn)})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range out.Executions {
			names = append(names, aws.ToString(e.Name))
		}
		return names
	}

	price, _ := money.New(1250, "USD")
	placed := event.OrderPlaced{OrderRef: ref, Total: price, CreatedAt: time.Now(),
		Lines: []event.Line{{SKU: "A-1", Name: "A", Quantity: 1, UnitPrice: price, LineTotal: price}}}
	for range 2 { // a duplicate while the execution runs
		if err := deliver("evt-1", placed); err != nil {
			t.Fatal(err)
		}
	}
	arn := "arn:aws:states:us-east-1:123456789012:execution:saga:" + ref.OrderID
	if _, err := svc.Wait(context.Background(), arn); err != nil {
		t.Fatal(err)
	}
	if err := deliver("evt-1", placed); err != nil { // a duplicate after it closed: ExecutionAlreadyExists
		t.Fatalf("duplicate after close: %v", err)
	}
	if got := executions(sagaArn); len(got) != 1 || got[0] != ref.OrderID {
		t.Fatalf("saga executions %v; want one named after the order", got)
	}
	d, err := client.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: &arn})
	if err != nil {
		t.Fatal(err)
	}
	var in saga.Input
	// The order's lines ride along, so that the stock steps read the order and its stock at once.
	want := saga.Input{OrderID: ref.OrderID, CorrelationID: "corr-1", CausationID: "evt-1", Lines: []saga.Line{{SKU: "A-1", Quantity: 1}}}
	if json.Unmarshal([]byte(aws.ToString(d.Input)), &in) != nil || !reflect.DeepEqual(in, want) {
		t.Fatalf("execution input %s", aws.ToString(d.Input))
	}

	// A cancellation before confirmation is the running saga's; after confirmation it gets a run.
	reserved := ref
	reserved.Status = "RESERVED"
	if err := deliver("evt-2", event.OrderCancellationRequested{OrderRef: reserved, RequestedBy: "CUSTOMER"}); err != nil {
		t.Fatal(err)
	}
	if got := executions(cancelArn); len(got) != 0 {
		t.Fatalf("cancellation runs %v before confirmation", got)
	}
	confirmed := ref
	confirmed.Status = "CONFIRMED"
	if err := deliver("evt-3", event.OrderCancellationRequested{OrderRef: confirmed, RequestedBy: "CUSTOMER"}); err != nil {
		t.Fatal(err)
	}
	if got := executions(cancelArn); len(got) != 1 || got[0] != ref.OrderID {
		t.Fatalf("cancellation runs %v; want one", got)
	}

	// What no retry can fix is dropped, not retried forever; other events are ignored.
	if err := s.Handle(context.Background(), events.EventBridgeEvent{ID: "bad", Detail: json.RawMessage(`{"type":"OrderPlaced"}`)}); err != nil {
		t.Fatalf("malformed event: %v", err)
	}
	if err := deliver("evt-4", event.OrderConfirmed{OrderRef: confirmed, Lines: placed.Lines, Total: price}); err != nil {
		t.Fatalf("other event: %v", err)
	}

	// A refused start is returned, so EventBridge and Lambda retry it and then dead-letter it.
	broken := starter.Starter{Executions: stepfunctions.Executions{API: client}, SagaArn: "arn:aws:states:us-east-1:123456789012:stateMachine:missing", Log: s.Log}
	env, _ := event.Wrap(placed, event.Meta{ID: "evt-5", OccurredAt: time.Now(), CorrelationID: "c"})
	detail, _ := json.Marshal(env)
	if err := broken.Handle(context.Background(), events.EventBridgeEvent{Detail: detail}); err == nil {
		t.Fatal("a start the service refused was reported as done")
	}
}

// The run joins the trace the event carries: the trace of the request that placed the order.
func TestStarterContinuesTheEventsTrace(t *testing.T) {
	svc := states.NewService(nil)
	t.Cleanup(svc.Close)
	sagaArn := "arn:aws:states:us-east-1:123456789012:stateMachine:saga"
	if err := svc.Register(sagaArn, "saga", `{"StartAt":"Done","States":{"Done":{"Type":"Succeed"}}}`); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	client := sfn.NewFromConfig(awstest.Config(t), func(o *sfn.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	s := starter.Starter{Executions: stepfunctions.Executions{API: client}, SagaArn: sagaArn, CancellationArn: sagaArn, Log: slog.New(slog.DiscardHandler)}

	const header = "Root=1-6745c1a0-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1"
	price, _ := money.New(1250, "USD")
	ref := event.OrderRef{OrderID: "01JDQ7Z3M6X9V0YB2C4D5E6F7H", CustomerID: "cust-1", Status: "PENDING", OrderVersion: 1}
	env, err := event.Wrap(event.OrderPlaced{OrderRef: ref, Total: price, CreatedAt: time.Now(),
		Lines: []event.Line{{SKU: "A-1", Name: "A", Quantity: 1, UnitPrice: price, LineTotal: price}}},
		event.Meta{ID: "evt-1", OccurredAt: time.Now(), CorrelationID: "corr-1", TraceHeader: header})
	if err != nil {
		t.Fatal(err)
	}
	detail, _ := json.Marshal(env)
	if err := s.Handle(context.Background(), events.EventBridgeEvent{ID: "eb-1", Detail: detail}); err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:states:us-east-1:123456789012:execution:saga:" + ref.OrderID
	d, err := client.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: &arn})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(d.TraceHeader); got != header {
		t.Fatalf("execution traceHeader %q; want the event's %q", got, header)
	}
}
