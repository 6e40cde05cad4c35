package states_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/orion-oss/orion/infra/states"
)

// The Step Functions API through the real SDK.
func TestServiceAPI(t *testing.T) {
	svc := states.NewService(&resources{})
	defer svc.Close()
	arn := "arn:aws:states:us-east-1:123456789012:stateMachine:saga"
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"echo","Next":"W"},"W":{"Type":"Wait","Seconds":30,"Next":"Done"},"Done":{"Type":"Succeed"}}}`
	if err := svc.Register(arn, "saga", def); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc)
	defer srv.Close()
	c := sfn.New(sfn.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: credentials.NewStaticCredentialsProvider("t", "t", "")})
	ctx := context.Background()

	start, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("order-1"), Input: aws.String(`{"orderId":"1"}`)})
	if err != nil {
		t.Fatal(err)
	}
	// The same name and input while running: the same execution, not a second one.
	again, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("order-1"), Input: aws.String(`{ "orderId": "1" }`)})
	if err != nil || aws.ToString(again.ExecutionArn) != aws.ToString(start.ExecutionArn) {
		t.Fatalf("idempotent start: %v %v", again, err)
	}
	_, err = c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("order-1"), Input: aws.String(`{"orderId":"2"}`)})
	var exists *sfntypes.ExecutionAlreadyExists
	if !errors.As(err, &exists) {
		t.Fatalf("same name, other input: %v", err)
	}
	// It waits 30 s; stop it.
	if _, err := c.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: start.ExecutionArn}); err != nil {
		t.Fatal(err)
	}
	d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: start.ExecutionArn})
	if err != nil || d.Status != sfntypes.ExecutionStatusAborted {
		t.Fatalf("describe: %+v %v", d, err)
	}
	h, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range h.Events {
		types = append(types, string(e.Type))
	}
	if got := strings.Join(types, ","); got != "ExecutionStarted,TaskStateEntered,TaskStateExited,WaitStateEntered,ExecutionAborted" {
		t.Fatalf("history = %s", got)
	}
	// A closed execution's name stays taken.
	if _, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("order-1"), Input: aws.String(`{"orderId":"1"}`)}); !errors.As(err, &exists) {
		t.Fatalf("restart of a closed execution: %v", err)
	}
	list, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(arn)})
	if err != nil || len(list.Executions) != 1 {
		t.Fatalf("list: %+v %v", list, err)
	}
}

func TestServiceRunsToCompletion(t *testing.T) {
	svc := states.NewService(&resources{})
	svc.Sleep = func(context.Context, time.Duration) error { return nil }
	defer svc.Close()
	arn := "arn:aws:states:us-east-1:123456789012:stateMachine:m"
	svc.Register(arn, "m", `{"StartAt":"F","States":{"F":{"Type":"Task","Resource":"boom","End":true}}}`)
	ex, err := svc.Start(arn, "", `{}`)
	if err != nil {
		t.Fatal(err)
	}
	status, err := svc.Wait(context.Background(), ex)
	if err != nil || status != "FAILED" {
		t.Fatalf("status %s %v", status, err)
	}
}
