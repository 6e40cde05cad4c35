package queues

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

// function is the test's Invoker: it answers each batch with what answer returns, and records what it saw.
type function struct {
	mu     sync.Mutex
	seen   map[string]int // body -> invocations that carried it
	counts map[string]string
	answer func(recs []record) ([]byte, error)
}

func (f *function) Invoke(_ context.Context, _ string, payload []byte) ([]byte, error) {
	var ev struct{ Records []record }
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, err
	}
	f.mu.Lock()
	for _, r := range ev.Records {
		f.seen[r.Body]++
		f.counts[r.Body] = r.Attributes["ApproximateReceiveCount"]
	}
	f.mu.Unlock()
	return f.answer(ev.Records)
}

func (f *function) times(body string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seen[body]
}

// queue creates a queue whose messages move to a dead-letter queue after maxReceives receives.
func queue(t *testing.T, c *sqs.Client, maxReceives int) (url, arn, dlqURL string) {
	t.Helper()
	ctx := context.Background()
	name := awstest.Name(t, "q")
	dlq, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name + "-dlq")})
	if err != nil {
		t.Fatal(err)
	}
	dlqArn := attr(t, c, aws.ToString(dlq.QueueUrl), sqstypes.QueueAttributeNameQueueArn)
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: map[string]string{
		"VisibilityTimeout": "30",
		"RedrivePolicy":     fmt.Sprintf(`{"deadLetterTargetArn":%q,"maxReceiveCount":%d}`, dlqArn, maxReceives)}})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(q.QueueUrl), attr(t, c, aws.ToString(q.QueueUrl), sqstypes.QueueAttributeNameQueueArn), aws.ToString(dlq.QueueUrl)
}

func attr(t *testing.T, c *sqs.Client, url string, name sqstypes.QueueAttributeName) string {
	t.Helper()
	out, err := c.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []sqstypes.QueueAttributeName{name}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Attributes[string(name)]
}

func send(t *testing.T, c *sqs.Client, url string, bodies ...string) {
	t.Helper()
	for _, b := range bodies {
		if _, err := c.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(b),
			MessageAttributes: map[string]sqstypes.MessageAttributeValue{"kind": {DataType: aws.String("String"), StringValue: aws.String("test")}}}); err != nil {
			t.Fatal(err)
		}
	}
}

func bodies(t *testing.T, c *sqs.Client, url string) []string {
	t.Helper()
	out, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	var bs []string
	for _, m := range out.Messages {
		bs = append(bs, aws.ToString(m.Body))
	}
	return bs
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func run(t *testing.T, m *Mapping) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	wait, err := m.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); wait() })
}

// A message the function reports as failed comes back (with a higher receive count) and, after the
// queue's maxReceiveCount receives, moves to the dead-letter queue; the others are deleted after one
// invocation. The failed one's wait is shortened by RetryScale, so this takes seconds, not minutes.
func TestPartialBatchFailureRetriesThenRedrives(t *testing.T) {
	t.Parallel()
	c := sqs.NewFromConfig(awstest.Config(t))
	url, arn, dlq := queue(t, c, 3)
	fn := &function{seen: map[string]int{}, counts: map[string]string{}, answer: func(recs []record) ([]byte, error) {
		var failed []map[string]string
		for _, r := range recs {
			if r.Body == "bad" {
				failed = append(failed, map[string]string{"itemIdentifier": r.MessageID})
			}
			if r.EventSource != "aws:sqs" || r.MessageAttributes["kind"].StringValue == nil {
				return nil, errors.New("not Lambda's SQS record shape")
			}
		}
		return json.Marshal(map[string]any{"batchItemFailures": failed})
	}}
	send(t, c, url, "good-1", "bad", "good-2")
	// One poller: a standard queue delivers at least once, so two pollers' receives may both get a message
	// ("occasionally more than one copy", docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/standard-queues.html),
	// which moto did under load. This test counts the deliveries that the runtime's deletes decide.
	run(t, &Mapping{Function: "f", QueueArn: arn, QueueURL: url, Region: "us-east-1", BatchSize: 10, ReportBatchItemFailures: true,
		Visibility: 30 * time.Second, RetryScale: 0.01, Pollers: 1, Client: c, Retimer: c, Invoker: fn})

	var dead []string
	waitFor(t, "the failing message in the dead-letter queue", func() bool {
		dead = append(dead, bodies(t, c, dlq)...)
		return len(dead) > 0
	})
	if len(dead) != 1 || dead[0] != "bad" {
		t.Errorf("dead-letter queue holds %v; want [bad]", dead)
	}
	if n := fn.times("bad"); n != 3 {
		t.Errorf("the failing message was delivered %d times; want maxReceiveCount = 3", n)
	}
	if fn.counts["bad"] != "3" {
		t.Errorf("its last ApproximateReceiveCount = %q; want 3", fn.counts["bad"])
	}
	for _, b := range []string{"good-1", "good-2"} {
		if n := fn.times(b); n != 1 {
			t.Errorf("%s delivered %d times; want once (deleted after success)", b, n)
		}
	}
	if left := bodies(t, c, url); len(left) != 0 {
		t.Errorf("the queue still holds %v", left)
	}
}

// A function error fails the whole batch: nothing is deleted.
func TestFunctionErrorKeepsTheWholeBatch(t *testing.T) {
	t.Parallel()
	c := sqs.NewFromConfig(awstest.Config(t))
	url, arn, dlq := queue(t, c, 2)
	fn := &function{seen: map[string]int{}, counts: map[string]string{}, answer: func([]record) ([]byte, error) {
		return nil, errors.New("Runtime.ExitError")
	}}
	send(t, c, url, "a", "b")
	run(t, &Mapping{Function: "f", QueueArn: arn, QueueURL: url, Region: "us-east-1", ReportBatchItemFailures: true,
		Visibility: 30 * time.Second, RetryScale: 0.01, Client: c, Retimer: c, Invoker: fn})
	var dead []string
	waitFor(t, "both messages in the dead-letter queue", func() bool {
		dead = append(dead, bodies(t, c, dlq)...)
		return len(dead) == 2
	})
	if fn.times("a") != 2 || fn.times("b") != 2 {
		t.Errorf("delivered a %d, b %d times; want 2 each", fn.times("a"), fn.times("b"))
	}
}

// The documented success and failure conditions of a partial batch response.
func TestPartialBatchResponse(t *testing.T) {
	msgs := []sqstypes.Message{{MessageId: aws.String("m1")}, {MessageId: aws.String("m2")}}
	for _, tc := range []struct {
		name, out string
		failed    []string
		whole     bool
	}{
		{"empty response", ``, nil, false},
		{"null response", `null`, nil, false},
		{"empty object", `{}`, nil, false},
		{"null list", `{"batchItemFailures":null}`, nil, false},
		{"empty list", `{"batchItemFailures":[]}`, nil, false},
		{"one failed", `{"batchItemFailures":[{"itemIdentifier":"m2"}]}`, []string{"m2"}, false},
		{"empty identifier", `{"batchItemFailures":[{"itemIdentifier":""}]}`, nil, true},
		{"null identifier", `{"batchItemFailures":[{"itemIdentifier":null}]}`, nil, true},
		{"wrong key", `{"batchItemFailures":[{"itemId":"m1"}]}`, nil, true},
		{"unknown message", `{"batchItemFailures":[{"itemIdentifier":"m9"}]}`, nil, true},
		{"not JSON", `oops`, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			failed, err := failures([]byte(tc.out), msgs)
			if tc.whole {
				if !errors.Is(err, ErrBatchResponse) {
					t.Fatalf("err = %v; want the whole batch failed", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(failed) != len(tc.failed) {
				t.Fatalf("failed = %v; want %v", failed, tc.failed)
			}
			for _, id := range tc.failed {
				if !failed[id] {
					t.Errorf("%s not failed", id)
				}
			}
		})
	}
}

// CreateEventSourceMapping's batch limits are refused at start.
func TestBatchLimits(t *testing.T) {
	for _, m := range []Mapping{{BatchSize: 11}, {BatchSize: 10001, BatchWindow: time.Second}, {BatchSize: -1}} {
		m.Function, m.QueueURL, m.Client, m.Invoker = "f", "u", &sqs.Client{}, &function{}
		if _, err := m.Start(context.Background()); err == nil {
			t.Errorf("BatchSize %d window %v accepted", m.BatchSize, m.BatchWindow)
		}
	}
}
