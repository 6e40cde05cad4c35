package stepfunctions_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/infra/engine/states"
	"github.com/orion-oss/orion/internal/adapter/stepfunctions"
)

// tokenWorker is the function a .waitForTaskToken task invokes: it hands the token to the test.
type tokenWorker chan string

func (w tokenWorker) Run(_ context.Context, _ string, input any) (any, error) {
	w <- input.(map[string]any)["Payload"].(map[string]any)["taskToken"].(string)
	return nil, nil
}

// A waiting task is answered through the real SDK: success with the output, failure with the error's
// name and cause; a second answer, or one to a token nobody waits for, is no error (the port's ErrTaskClosed case).
func TestTasksAnswerWaitingRuns(t *testing.T) {
	worker := make(tokenWorker, 1)
	svc := states.NewService(worker)
	t.Cleanup(svc.Close)
	arn := "arn:aws:states:us-east-1:123456789012:stateMachine:wait"
	def := `{"StartAt":"Wait","States":{"Wait":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
		"Parameters":{"FunctionName":"f","Payload":{"taskToken.$":"$$.Task.Token"}},"End":true}}}`
	if err := svc.Register(arn, "wait", def); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	api := sfn.NewFromConfig(awstest.Config(t), func(o *sfn.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	tasks := stepfunctions.Tasks{API: api}
	ctx := context.Background()
	run := func(name string) (execution, token string) {
		out, err := api.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String(name), Input: aws.String(`{}`)})
		if err != nil {
			t.Fatal(err)
		}
		select {
		case token = <-worker:
		case <-time.After(10 * time.Second):
			t.Fatal("the task never started")
		}
		return aws.ToString(out.ExecutionArn), token
	}
	ended := func(execution string) *sfn.DescribeExecutionOutput {
		for range 100 {
			d, err := api.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(execution)})
			if err != nil {
				t.Fatal(err)
			}
			if d.Status != types.ExecutionStatusRunning {
				return d
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatal("the run did not end")
		return nil
	}

	x, token := run("succeeds")
	if err := tasks.Succeed(ctx, token, []byte(`{"status":"PAYMENT_AUTHORIZED"}`)); err != nil {
		t.Fatal(err)
	}
	if d := ended(x); d.Status != types.ExecutionStatusSucceeded || aws.ToString(d.Output) != `{"status":"PAYMENT_AUTHORIZED"}` {
		t.Fatalf("run %s output %s", d.Status, aws.ToString(d.Output))
	}
	if err := tasks.Succeed(ctx, token, []byte(`{}`)); err != nil {
		t.Fatalf("a second answer: %v; want nil: the task has its answer", err)
	}

	x, token = run("fails")
	if err := tasks.Fail(ctx, token, "PaymentDeclined", "payment declined: authentication_failed"); err != nil {
		t.Fatal(err)
	}
	if d := ended(x); d.Status != types.ExecutionStatusFailed || aws.ToString(d.Error) != "PaymentDeclined" ||
		aws.ToString(d.Cause) != "payment declined: authentication_failed" {
		t.Fatalf("run %s %s %s", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
	}
	if err := tasks.Fail(ctx, "no-such-token", "PaymentDeclined", ""); err != nil {
		t.Fatalf("an unknown token: %v; want nil: the task has its answer", err)
	}
}
