package stepfunctions_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/infra/engine/states"
	"github.com/orion-oss/orion/internal/adapter/stepfunctions"
	"github.com/orion-oss/orion/internal/saga/starter"
)

// The adapter talks to Orion's local Step Functions (infra/engine/states) through the real SDK.
func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

// A name taken by an execution with another input is ErrExecutionExists; the same input while it runs
// is the running execution; a machine that does not exist is an error of its own.
func TestStartNamesTakenExecutions(t *testing.T) {
	svc := states.NewService(nil)
	t.Cleanup(svc.Close)
	arn := "arn:aws:states:us-east-1:123456789012:stateMachine:saga"
	if err := svc.Register(arn, "saga", `{"StartAt":"Hold","States":{"Hold":{"Type":"Wait","Seconds":1,"End":true}}}`); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	e := stepfunctions.Executions{API: sfn.NewFromConfig(awstest.Config(t), func(o *sfn.Options) { o.BaseEndpoint = aws.String(srv.URL) })}
	ctx := context.Background()
	x := starter.Execution{StateMachineArn: arn, Name: "01JDQ7Z3M6X9V0YB2C4D5E6F7G", Input: `{"orderId":"01JDQ7Z3M6X9V0YB2C4D5E6F7G"}`}
	first, err := e.Start(ctx, x)
	if err != nil || first != "arn:aws:states:us-east-1:123456789012:execution:saga:"+x.Name {
		t.Fatalf("start: %q %v", first, err)
	}
	if again, err := e.Start(ctx, x); err != nil || again != first {
		t.Fatalf("same input while running: %q %v", again, err)
	}
	x.Input = `{"orderId":"01JDQ7Z3M6X9V0YB2C4D5E6F7G","attempt":1}`
	if _, err := e.Start(ctx, x); !errors.Is(err, starter.ErrExecutionExists) {
		t.Fatalf("another input: %v; want ErrExecutionExists", err)
	}
	x.StateMachineArn += "-missing"
	if _, err := e.Start(ctx, x); err == nil || errors.Is(err, starter.ErrExecutionExists) {
		t.Fatalf("missing machine: %v", err)
	}
}
