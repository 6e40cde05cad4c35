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

// A waiting task is resumed once; resuming it again, or a token no task waits for, is not an error:
// the webhook and the await step may both answer the same task.
func TestTasksResumeOnceAndToleratesClosedTokens(t *testing.T) {
	tokens := make(chan string, 2)
	svc := states.NewService(handoff(tokens))
	t.Cleanup(svc.Close)
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	client := sfn.NewFromConfig(awstest.Config(t), func(o *sfn.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	arn := "arn:aws:states:us-east-1:123456789012:stateMachine:await"
	def := `{"StartAt":"Wait","States":{"Wait":{"Type":"Task","Resource":"handoff.waitForTaskToken","TimeoutSeconds":30,"Parameters":{"token.$":"$$.Task.Token"},"End":true}}}`
	if err := svc.Register(arn, "await", def); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tasks := stepfunctions.Tasks{API: client}
	for _, c := range []struct {
		name    string
		resume  func(token string) error
		wantErr string
	}{
		{"success", func(tok string) error { return tasks.Succeed(ctx, tok, []byte(`{"paid":true}`)) }, ""},
		{"failure", func(tok string) error { return tasks.Fail(ctx, tok, "PaymentDeclined", "card_declined") }, "PaymentDeclined"},
	} {
		t.Run(c.name, func(t *testing.T) {
			run, err := client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String(c.name), Input: aws.String(`{}`)})
			if err != nil {
				t.Fatal(err)
			}
			tok := <-tokens
			if err := c.resume(tok); err != nil {
				t.Fatalf("first resume: %v", err)
			}
			if err := c.resume(tok); err != nil {
				t.Fatalf("second resume of a closed task: %v", err)
			}
			svc.Wait(ctx, aws.ToString(run.ExecutionArn))
			d, err := client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: run.ExecutionArn})
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case c.wantErr == "" && d.Status != "SUCCEEDED":
				t.Fatalf("status %s; want SUCCEEDED", d.Status)
			case c.wantErr != "" && (d.Status != "FAILED" || aws.ToString(d.Error) != c.wantErr):
				t.Fatalf("status %s error %s; want FAILED %s", d.Status, aws.ToString(d.Error), c.wantErr)
			}
		})
	}
	if err := tasks.Succeed(ctx, "never-issued", []byte(`{}`)); err != nil {
		t.Fatalf("unknown token: %v", err)
	}
}

// handoff is a task resource that hands its token to the test.
type handoff chan string

func (h handoff) Run(_ context.Context, _ string, in any) (any, error) {
	h <- in.(map[string]any)["token"].(string)
	return map[string]any{}, nil
}
