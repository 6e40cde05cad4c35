// Package queues runs Lambda event source mappings on SQS queues as Lambda's pollers do
// (docs.aws.amazon.com/lambda/latest/dg/with-sqs.html): long-poll the queue, invoke the function
// synchronously with a batch in Lambda's SQS event shape, delete what succeeded, and leave what failed
// in the queue, where it becomes visible again when its visibility timeout runs out. The queue's
// redrive policy (maxReceiveCount, dead-letter queue) is the emulator's own, so a message that keeps
// failing moves to the dead-letter queue on the receive after its last allowed one, as on AWS.
//
// With ReportBatchItemFailures the function's partial batch response decides which messages stay,
// under the documented success and failure conditions
// (docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html#services-sqs-batchfailurereporting):
// an empty or null response or list is full success; a response that is not the expected JSON, an
// empty or null itemIdentifier, or one naming no message of the batch fails the whole batch.
package queues

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Invoker calls a function synchronously; a function error (handler error, crash, timeout) is an error.
type Invoker interface {
	Invoke(ctx context.Context, function string, payload []byte) ([]byte, error)
}

// Client is what Lambda's poller calls on the queue, with the function's execution role on AWS
// (AWSLambdaSQSQueueExecutionRole: sqs:ReceiveMessage, sqs:DeleteMessage, sqs:GetQueueAttributes).
type Client interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, opts ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
}

// Retimer shortens a failed message's wait (tests); Lambda makes no such call on AWS, so the runtime
// makes it with its own credentials.
type Retimer interface {
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
}

// Mapping is one event source mapping from a queue to a function.
type Mapping struct {
	Function  string
	QueueArn  string
	QueueURL  string
	Region    string
	BatchSize int
	// BatchWindow is MaximumBatchingWindowInSeconds: how long a poller gathers messages before it
	// invokes with fewer than BatchSize.
	BatchWindow             time.Duration
	ReportBatchItemFailures bool
	// Pollers is how many batches are in flight at once (Lambda starts with five pollers and scales).
	Pollers int
	// Visibility is the queue's visibility timeout: how long a failed message stays invisible.
	Visibility time.Duration
	// RetryScale, between 0 and 1, shortens that wait for failed messages (tests, like the stack's
	// RetryBase for other retries): their visibility is set to Visibility*RetryScale, at least a second.
	// 0 or 1 leaves AWS's timing.
	RetryScale float64

	Client  Client
	Retimer Retimer
	Invoker Invoker
	Logger  *slog.Logger
	// OnBatch observes each finished invocation (make dev's log, tests).
	OnBatch func(Result)
}

// Result is one batch's outcome.
type Result struct {
	Function         string
	Messages, Failed int
	Err              error // the invocation's, or the partial response's refusal
}

// Start runs the mapping's pollers until ctx ends; the returned function waits for them.
func (m *Mapping) Start(ctx context.Context) (wait func(), err error) {
	if m.Function == "" || m.QueueURL == "" || m.Client == nil || m.Invoker == nil {
		return nil, errors.New("queues: a mapping needs a function, a queue, a client and an invoker")
	}
	// CreateEventSourceMapping's limits for a standard queue: 1 to 10,000 records, and above 10 only
	// with a batching window (docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html).
	if m.BatchSize == 0 {
		m.BatchSize = 10
	}
	if m.BatchSize < 1 || m.BatchSize > 10000 {
		return nil, fmt.Errorf("queues: %s: BatchSize %d is not between 1 and 10000", m.Function, m.BatchSize)
	}
	if m.BatchSize > 10 && m.BatchWindow < time.Second {
		return nil, fmt.Errorf("queues: %s: BatchSize %d needs MaximumBatchingWindowInSeconds of at least 1", m.Function, m.BatchSize)
	}
	if m.Pollers <= 0 {
		m.Pollers = 2
	}
	if m.Logger == nil {
		m.Logger = slog.New(slog.DiscardHandler)
	}
	var wg sync.WaitGroup
	for range m.Pollers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.poll(ctx)
		}()
	}
	return wg.Wait, nil
}

func (m *Mapping) poll(ctx context.Context) {
	// Lambda reads the queue's attributes when the mapping starts polling (the role's
	// sqs:GetQueueAttributes); the runtime does too, so the call is the function's as on AWS.
	if _, err := m.Client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(m.QueueURL),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameVisibilityTimeout}}); err != nil && ctx.Err() == nil {
		m.Logger.Warn("queues: queue attributes", "function", m.Function, "queue", m.QueueArn, "error", err)
	}
	for ctx.Err() == nil {
		msgs := m.receive(ctx)
		if len(msgs) == 0 {
			continue
		}
		m.deliver(ctx, msgs)
	}
}

// receive gathers up to BatchSize messages, within the batching window.
func (m *Mapping) receive(ctx context.Context) []sqstypes.Message {
	var out []sqstypes.Message
	deadline := time.Now().Add(m.BatchWindow)
	for ctx.Err() == nil {
		res, err := m.Client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(m.QueueURL),
			MaxNumberOfMessages:         int32(min(10, m.BatchSize-len(out))),
			WaitTimeSeconds:             1, // long polling, short enough for Close to be quick
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"}})
		if err != nil {
			if ctx.Err() == nil {
				m.Logger.Warn("queues: receive failed", "function", m.Function, "queue", m.QueueArn, "error", err)
				sleep(ctx, time.Second)
			}
			return out
		}
		out = append(out, res.Messages...)
		switch {
		case len(out) >= m.BatchSize, m.BatchWindow == 0:
			return out
		case len(out) == 0:
			deadline = time.Now().Add(m.BatchWindow) // the window opens with the first message
		case !time.Now().Before(deadline):
			return out
		}
	}
	return out
}

// record is one message in Lambda's SQS event shape.
type record struct {
	MessageID         string                      `json:"messageId"`
	ReceiptHandle     string                      `json:"receiptHandle"`
	Body              string                      `json:"body"`
	Attributes        map[string]string           `json:"attributes"`
	MessageAttributes map[string]messageAttribute `json:"messageAttributes"`
	MD5OfBody         string                      `json:"md5OfBody"`
	EventSource       string                      `json:"eventSource"`
	EventSourceARN    string                      `json:"eventSourceARN"`
	AWSRegion         string                      `json:"awsRegion"`
}

type messageAttribute struct {
	StringValue      *string  `json:"stringValue,omitempty"`
	BinaryValue      []byte   `json:"binaryValue,omitempty"`
	StringListValues []string `json:"stringListValues"`
	BinaryListValues [][]byte `json:"binaryListValues"`
	DataType         string   `json:"dataType"`
}

// Event is the payload of one invocation.
func (m *Mapping) event(msgs []sqstypes.Message) ([]byte, error) {
	recs := make([]record, len(msgs))
	for i, msg := range msgs {
		r := record{MessageID: aws.ToString(msg.MessageId), ReceiptHandle: aws.ToString(msg.ReceiptHandle), Body: aws.ToString(msg.Body),
			Attributes: map[string]string{}, MessageAttributes: map[string]messageAttribute{}, MD5OfBody: aws.ToString(msg.MD5OfBody),
			EventSource: "aws:sqs", EventSourceARN: m.QueueArn, AWSRegion: m.Region}
		for k, v := range msg.Attributes {
			r.Attributes[k] = v
		}
		for k, v := range msg.MessageAttributes {
			r.MessageAttributes[k] = messageAttribute{StringValue: v.StringValue, BinaryValue: v.BinaryValue,
				StringListValues: append([]string{}, v.StringListValues...), BinaryListValues: append([][]byte{}, v.BinaryListValues...),
				DataType: aws.ToString(v.DataType)}
		}
		recs[i] = r
	}
	return json.Marshal(struct {
		Records []record `json:"Records"`
	}{recs})
}

func (m *Mapping) deliver(ctx context.Context, msgs []sqstypes.Message) {
	res := Result{Function: m.Function, Messages: len(msgs)}
	defer func() {
		if m.OnBatch != nil {
			m.OnBatch(res)
		}
	}()
	payload, err := m.event(msgs)
	if err != nil {
		res.Err = err
		return
	}
	out, err := m.Invoker.Invoke(ctx, m.Function, payload)
	failed := map[string]bool{}
	switch {
	case err != nil:
		res.Err = err
	case m.ReportBatchItemFailures:
		failed, res.Err = failures(out, msgs)
	}
	if res.Err != nil {
		// The whole batch failed: every message comes back after its visibility timeout.
		m.Logger.Warn("queues: batch failed", "function", m.Function, "messages", len(msgs), "error", res.Err)
		for _, msg := range msgs {
			failed[aws.ToString(msg.MessageId)] = true
		}
	}
	res.Failed = len(failed)
	for _, msg := range msgs {
		if failed[aws.ToString(msg.MessageId)] {
			m.retime(ctx, msg)
			continue
		}
		if _, err := m.Client.DeleteMessage(context.WithoutCancel(ctx), &sqs.DeleteMessageInput{QueueUrl: aws.String(m.QueueURL),
			ReceiptHandle: msg.ReceiptHandle}); err != nil {
			// As on AWS: the message comes back and is processed again (consumers are idempotent).
			m.Logger.Warn("queues: delete failed", "function", m.Function, "messageId", aws.ToString(msg.MessageId), "error", err)
		}
	}
}

// retime shortens a failed message's invisibility when the runtime runs with short retries (tests).
func (m *Mapping) retime(ctx context.Context, msg sqstypes.Message) {
	if m.Retimer == nil || m.RetryScale <= 0 || m.RetryScale >= 1 {
		return
	}
	secs := int32(max(1, math.Ceil(m.Visibility.Seconds()*m.RetryScale)))
	if _, err := m.Retimer.ChangeMessageVisibility(context.WithoutCancel(ctx), &sqs.ChangeMessageVisibilityInput{
		QueueUrl: aws.String(m.QueueURL), ReceiptHandle: msg.ReceiptHandle, VisibilityTimeout: secs}); err != nil {
		m.Logger.Debug("queues: could not shorten a failed message's visibility", "function", m.Function, "error", err)
	}
}

// ErrBatchResponse is a partial batch response that fails the whole batch.
var ErrBatchResponse = errors.New("queues: invalid partial batch response")

// failures reads a partial batch response ({"batchItemFailures":[{"itemIdentifier": messageId}]}).
func failures(out []byte, msgs []sqstypes.Message) (map[string]bool, error) {
	failed := map[string]bool{}
	text := strings.TrimSpace(string(out))
	if text == "" || text == "null" || text == "{}" {
		return failed, nil
	}
	var resp struct {
		BatchItemFailures []map[string]*string `json:"batchItemFailures"`
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBatchResponse, err)
	}
	ids := map[string]bool{}
	for _, msg := range msgs {
		ids[aws.ToString(msg.MessageId)] = true
	}
	for _, f := range resp.BatchItemFailures {
		id, ok := f["itemIdentifier"]
		if !ok || len(f) != 1 || id == nil || *id == "" {
			return nil, fmt.Errorf("%w: a failure without an itemIdentifier", ErrBatchResponse)
		}
		if !ids[*id] {
			return nil, fmt.Errorf("%w: itemIdentifier %q is no message of the batch", ErrBatchResponse, *id)
		}
		failed[*id] = true
	}
	return failed, nil
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
