package states_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/orion-oss/orion/infra/engine/states"
	"github.com/orion-oss/orion/infra/engine/xray"
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
	// It waits 30 s; stop it once it is waiting (under load it may not have got there yet).
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		h, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: start.ExecutionArn})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(h.Events); n > 0 && h.Events[n-1].Type == sfntypes.HistoryEventTypeWaitStateEntered {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the execution never reached its Wait state")
		}
	}
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

// .waitForTaskToken: the task hands its token to a worker and waits for SendTaskSuccess or
// SendTaskFailure, or fails when heartbeats stop.
func TestWaitForTaskToken(t *testing.T) {
	res := &resources{tokens: make(chan string, 4)}
	svc := states.NewService(res)
	defer svc.Close()
	srv := httptest.NewServer(svc)
	defer srv.Close()
	c := sfn.New(sfn.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: credentials.NewStaticCredentialsProvider("t", "t", "")})
	ctx := context.Background()
	arn := "arn:aws:states:us-east-1:123456789012:stateMachine:wait"
	svc.Register(arn, "wait", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"echo.waitForTaskToken","HeartbeatSeconds":1,"Parameters":{"token.$":"$$.Task.Token"},"End":true}}}`)

	tests := []struct {
		name   string
		answer func(token string)
		status sfntypes.ExecutionStatus
		errIs  string
	}{
		{"success", func(tok string) {
			c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(tok), Output: aws.String(`{"paid":true}`)})
		}, sfntypes.ExecutionStatusSucceeded, ""},
		{"failure", func(tok string) {
			c.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String(tok), Error: aws.String("Payment.Declined"), Cause: aws.String("card")})
		}, sfntypes.ExecutionStatusFailed, "Payment.Declined"},
		// AWS fails the execution with States.Timeout, no cause (observed, test_heartbeats.snapshot.json).
		{"heartbeat lapses", func(string) {}, sfntypes.ExecutionStatusFailed, "States.Timeout"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String(fmt.Sprint("e", i)), Input: aws.String(`{}`)})
			if err != nil {
				t.Fatal(err)
			}
			tt.answer(<-res.tokens)
			status, _ := svc.Wait(ctx, aws.ToString(ex.ExecutionArn))
			d, _ := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: ex.ExecutionArn})
			if string(d.Status) != status || d.Status != tt.status || aws.ToString(d.Error) != tt.errIs {
				t.Fatalf("status %s error %s; want %s %s", d.Status, aws.ToString(d.Error), tt.status, tt.errIs)
			}
			if tt.errIs == "States.Timeout" && aws.ToString(d.Cause) != "" {
				t.Fatalf("cause %q; AWS gives none", aws.ToString(d.Cause))
			}
			if tt.status == sfntypes.ExecutionStatusSucceeded && aws.ToString(d.Output) != `{"paid":true}` {
				t.Fatalf("output %s", aws.ToString(d.Output))
			}
		})
	}
	var missing *sfntypes.TaskDoesNotExist
	if _, err := c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String("nope"), Output: aws.String(`{}`)}); !errors.As(err, &missing) {
		t.Fatalf("unknown token: %v", err)
	}
}

// traceFunc records the trace header each Task's context carried.
type traceFunc struct {
	mu     sync.Mutex
	traces []string
}

func (r *traceFunc) Run(ctx context.Context, resource string, input any) (any, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.traces = append(r.traces, xray.Carried(ctx))
	return input, nil
}

// StartExecution's traceHeader (else the request's X-Amzn-Trace-Id) is the trace of every Task of the
// execution, and DescribeExecution returns it, as Step Functions does.
func TestExecutionsKeepTheirTraceHeader(t *testing.T) {
	res := &traceFunc{}
	svc := states.NewService(res)
	defer svc.Close()
	arn := "arn:aws:states:us-east-1:123456789012:stateMachine:saga"
	def := `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"echo","Next":"P"},` +
		`"P":{"Type":"Parallel","Branches":[{"StartAt":"B","States":{"B":{"Type":"Task","Resource":"echo","End":true}}}],"End":true}}}`
	if err := svc.Register(arn, "saga", def); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc)
	defer srv.Close()
	c := sfn.New(sfn.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: credentials.NewStaticCredentialsProvider("t", "t", "")})
	ctx := context.Background()
	const header = "Root=1-6745c1a0-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1"

	start, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("traced"), Input: aws.String(`{}`),
		TraceHeader: aws.String(header)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Wait(ctx, aws.ToString(start.ExecutionArn)); err != nil {
		t.Fatal(err)
	}
	d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: start.ExecutionArn})
	if err != nil || aws.ToString(d.TraceHeader) != header {
		t.Fatalf("DescribeExecution traceHeader %q, %v; want %q", aws.ToString(d.TraceHeader), err, header)
	}
	res.mu.Lock()
	if len(res.traces) != 2 || res.traces[0] != header || res.traces[1] != header {
		t.Errorf("tasks ran with %q; want the execution's header in both", res.traces)
	}
	res.traces = nil
	res.mu.Unlock()

	// Without traceHeader, the HTTP header; without either, none.
	withHTTP := func(o *sfn.Options) {
		o.APIOptions = append(o.APIOptions, smithyhttp.AddHeaderValue("X-Amzn-Trace-Id", header))
	}
	for name, opts := range map[string][]func(*sfn.Options){"http-header": {withHTTP}, "none": nil} {
		start, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String(name), Input: aws.String(`{}`)}, opts...)
		if err != nil {
			t.Fatal(err)
		}
		svc.Wait(ctx, aws.ToString(start.ExecutionArn))
		d, _ := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: start.ExecutionArn})
		want := header
		if name == "none" {
			want = ""
		}
		if aws.ToString(d.TraceHeader) != want {
			t.Errorf("%s: traceHeader %q; want %q", name, aws.ToString(d.TraceHeader), want)
		}
	}
}
