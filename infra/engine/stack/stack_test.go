package stack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/infra/engine/sam"
	"github.com/orion-oss/orion/infra/engine/stack"
)

var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "stack-bin")
	if err != nil {
		panic(err)
	}
	binDir = dir
	for _, fn := range []string{"api", "consumer"} {
		cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", filepath.Join(dir, fn, "bootstrap"), "./testdata/functions/"+fn)
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "building fixture functions:", err)
			os.Exit(1)
		}
	}
	code := awstest.MainIsolated(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func start(t *testing.T, mutate func(*stack.Config)) (*stack.Stack, *syncBuffer) {
	t.Helper()
	out := &syncBuffer{}
	cfg := stack.Config{Template: "testdata/template.yaml", Endpoint: os.Getenv("AWS_ENDPOINT_URL"), BinDir: binDir,
		StackName: awstest.Name(t, "st"), Output: out, RetryBase: 20 * time.Millisecond}
	if mutate != nil {
		mutate(&cfg)
	}
	st, err := stack.Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(context.Background()) })
	return st, out
}

func token(t *testing.T, st *stack.Stack) string {
	t.Helper()
	ctx := context.Background()
	c := cip.NewFromConfig(awstest.Config(t))
	pool, client := st.Outputs["UserPoolId"].(string), st.Outputs["UserPoolClientId"].(string)
	user, pass := "ann@example.com", "Str0ng!Passw0rd"
	if _, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: &pool, Username: &user, MessageAction: ciptypes.MessageActionTypeSuppress}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: &pool, Username: &user, Password: &pass, Permanent: true}); err != nil {
		t.Fatal(err)
	}
	out, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: &client, AuthFlow: ciptypes.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": user, "PASSWORD": pass}})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.AuthenticationResult.AccessToken)
}

func call(t *testing.T, method, url, tok, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The whole path: HTTP API with a Cognito JWT -> function -> DynamoDB -> stream -> pipe -> bus ->
// rule -> function, and the same stream -> event source mapping -> function.
func TestTemplateRunsEndToEnd(t *testing.T) {
	st, out := start(t, nil)
	tok := token(t, st)

	if code, body := call(t, "GET", st.HTTPURL+"/health", "", ""); code != 200 || body != `{"ok":true}` {
		t.Fatalf("public route: %d %s", code, body)
	}
	if code, body := call(t, "POST", st.HTTPURL+"/notes", "", `{"id":"n1"}`); code != 401 || body != `{"message":"Unauthorized"}` {
		t.Fatalf("no token: %d %s", code, body)
	}
	if code, body := call(t, "POST", st.HTTPURL+"/notes", "forged.token.value", `{"id":"n1"}`); code != 401 {
		t.Fatalf("forged token: %d %s", code, body)
	}
	if code, body := call(t, "POST", st.HTTPURL+"/notes", tok, `{"id":"n1","text":"hello"}`); code != 201 || body != `{"id":"n1"}` {
		t.Fatalf("create: %d %s", code, body)
	}
	if code, body := call(t, "GET", st.HTTPURL+"/notes/n1", tok, ""); code != 200 || !strings.Contains(body, "hello") {
		t.Fatalf("read back: %d %s", code, body)
	}
	if code, _ := call(t, "GET", st.HTTPURL+"/notes/none", tok, ""); code != 404 {
		t.Fatalf("missing note: %d", code)
	}

	db := dynamodb.NewFromConfig(awstest.Config(t))
	seenTable := st.Outputs["SeenTable"].(string)
	has := func(id string) bool {
		o, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: &seenTable, Key: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: id}}})
		return err == nil && o.Item != nil
	}
	eventually(t, "the stream event source mapping", func() bool { return has("stream#n1") })
	// The pipe's input template carried the owner (the token's sub) to the rule's target.
	eventually(t, "the pipe -> bus -> rule delivery", func() bool {
		o, err := db.Scan(context.Background(), &dynamodb.ScanInput{TableName: &seenTable})
		if err != nil {
			return false
		}
		for _, it := range o.Items {
			if id := it["id"].(*types.AttributeValueMemberS).Value; strings.HasPrefix(id, "event#n1#") && len(id) > len("event#n1#") {
				return true
			}
		}
		return false
	})
	// One readable line per request, delivery and invocation (written when each finishes).
	for _, want := range []string{"⇄ POST   /notes", "⇢ ", " eventbridge ", " dynamodb ", "(cold start", "✉ NoteAdded"} {
		eventually(t, "the log line "+want, func() bool { return strings.Contains(out.String(), want) })
	}
}

// A function that keeps failing on an event: Lambda retries it (MaximumRetryAttempts 1), then its
// on-failure destination receives the invocation record, nothing is lost.
func TestFailingConsumerEndsInItsDestination(t *testing.T) {
	st, _ := start(t, nil)
	tok := token(t, st)
	if code, body := call(t, "POST", st.HTTPURL+"/notes", tok, `{"id":"poison-1","text":"x"}`); code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	q := sqs.NewFromConfig(awstest.Config(t))
	name := strings.TrimSuffix(strings.TrimPrefix(fmt.Sprint(st.Outputs["SeenTable"]), ""), "-seen") + "-dlq"
	url, err := q.GetQueueUrl(context.Background(), &sqs.GetQueueUrlInput{QueueName: &name})
	if err != nil {
		t.Fatal(err)
	}
	var body string
	eventually(t, "the failure record in the destination queue", func() bool {
		o, err := q.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: url.QueueUrl, VisibilityTimeout: 1, WaitTimeSeconds: 1})
		if err != nil || len(o.Messages) == 0 {
			return false
		}
		body = aws.ToString(o.Messages[0].Body)
		return true
	})
	var rec struct {
		RequestContext struct {
			Condition              string `json:"condition"`
			ApproximateInvokeCount int    `json:"approximateInvokeCount"`
		} `json:"requestContext"`
		RequestPayload json.RawMessage `json:"requestPayload"`
	}
	if err := json.Unmarshal([]byte(body), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.RequestContext.Condition != "RetriesExhausted" || rec.RequestContext.ApproximateInvokeCount != 2 || !strings.Contains(string(rec.RequestPayload), "poison-1") {
		t.Fatalf("failure record = %s", body)
	}
}

func TestStartRefusesClearly(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("Resources:\n  X: {Type: AWS::EC2::VPC}\n"), 0o644)
	tests := []struct {
		name   string
		mutate func(*stack.Config)
		want   string
	}{
		{"unsupported resource", func(c *stack.Config) { c.Template = bad }, "AWS::EC2::VPC"},
		{"missing template", func(c *stack.Config) { c.Template = "testdata/nope.yaml" }, "no such file"},
		{"port in use", func(c *stack.Config) { c.HTTPAddr = busy.Addr().String() }, "address already in use"},
		{"binary missing", func(c *stack.Config) { c.BinDir = t.TempDir() }, "make build-host"},
		{"bad parameter", func(c *stack.Config) { c.Parameters = map[string]string{"Nope": "1"} }, "Nope"},
		{"endpoint unreachable", func(c *stack.Config) { c.Endpoint = "http://" + closedAddr(t) }, "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := stack.Config{Template: "testdata/template.yaml", Endpoint: os.Getenv("AWS_ENDPOINT_URL"), BinDir: binDir, StackName: awstest.Name(t, "bad")}
			tt.mutate(&cfg)
			st, err := stack.Start(context.Background(), cfg)
			if err == nil {
				st.Close(context.Background())
				t.Fatal("started")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v; want it to mention %q", err, tt.want)
			}
		})
	}
	var unsupported = sam.ErrUnsupported
	_, err = stack.Start(context.Background(), stack.Config{Template: bad, Endpoint: os.Getenv("AWS_ENDPOINT_URL")})
	if !errors.Is(err, unsupported) {
		t.Fatalf("unsupported type error is not sam.ErrUnsupported: %v", err)
	}
}

func closedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// The Lambda Invoke API is served on the functions' AWS endpoint, as `aws lambda invoke` expects.
func TestInvokeAPIOnTheEdge(t *testing.T) {
	st, _ := start(t, nil)
	name := st.Functions()[0] // the API function
	req, _ := http.NewRequest("POST", st.EdgeURL+"/2015-03-31/functions/"+name+"/invocations",
		strings.NewReader(`{"version":"2.0","routeKey":"GET /health","rawPath":"/health"}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"statusCode":200`) {
		t.Fatalf("invoke %s: %d %s", name, resp.StatusCode, b)
	}
}

// A state machine from the template: started through the Step Functions API on the edge (real SDK),
// and by an EventBridge rule; its tasks call a function and DynamoDB.
func TestStateMachineRunsTasksAndRules(t *testing.T) {
	st, _ := start(t, nil)
	ctx := context.Background()
	cfg := awstest.Config(t)
	c := sfn.NewFromConfig(cfg, func(o *sfn.Options) { o.BaseEndpoint = aws.String(st.EdgeURL) })
	arn := fmt.Sprint(st.Outputs["WorkflowArn"])
	out, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("run-1"), Input: aws.String(`{"id":"x1"}`)})
	if err != nil {
		t.Fatal(err)
	}
	var d *sfn.DescribeExecutionOutput
	eventually(t, "the execution to end", func() bool {
		d, err = c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: out.ExecutionArn})
		return err == nil && d.Status != sfntypes.ExecutionStatusRunning
	})
	if d.Status != sfntypes.ExecutionStatusSucceeded || !strings.Contains(aws.ToString(d.Output), `"StatusCode":200`) {
		t.Fatalf("execution %s: %s %s %s", d.Status, aws.ToString(d.Output), aws.ToString(d.Error), aws.ToString(d.Cause))
	}
	// The lambda:invoke task named the consumer's version ARN: its envelope says which version ran.
	if !strings.Contains(aws.ToString(d.Output), `"ExecutedVersion":"1"`) {
		t.Fatalf("the version ARN's invocation did not run version 1: %s", aws.ToString(d.Output))
	}
	if !strings.Contains(aws.ToString(d.Output), `"MessageId"`) || !strings.Contains(aws.ToString(d.Output), `"MD5OfMessageBody"`) {
		t.Fatalf("the SQS and SNS tasks' results are missing: %s", aws.ToString(d.Output))
	}
	// A receive whose reply is lost (the SDK retries it on a dropped keep-alive connection) still
	// hides the message for its visibility timeout: keep that short and receive until it shows.
	var body []string
	eventually(t, "the sqs:sendMessage task's message", func() bool {
		msgs, err := sqs.NewFromConfig(cfg).ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(fmt.Sprint(st.Outputs["WorkflowQueueUrl"])), VisibilityTimeout: 1, WaitTimeSeconds: 1})
		if err != nil {
			return false
		}
		for _, m := range msgs.Messages {
			body = append(body, aws.ToString(m.Body))
		}
		return len(body) > 0
	})
	if len(body) != 1 || body[0] != "workflow x1" {
		t.Fatalf("the sqs:sendMessage task's message: %q", body)
	}
	db := dynamodb.NewFromConfig(cfg)
	seen := fmt.Sprint(st.Outputs["SeenTable"])
	for _, id := range []string{"event#x1#sfn", "sfn#x1"} {
		o, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &seen, Key: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: id}}})
		if err != nil || o.Item == nil {
			t.Fatalf("the workflow did not write %s: %v", id, err)
		}
	}
	// A note written through the API reaches the workflow through stream -> pipe -> bus -> rule.
	tok := token(t, st)
	if code, body := call(t, "POST", st.HTTPURL+"/notes", tok, `{"id":"wf-2","text":"x"}`); code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	eventually(t, "the rule-started execution's write", func() bool {
		o, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &seen, Key: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "sfn#wf-2"}}})
		return err == nil && o.Item != nil
	})
}
