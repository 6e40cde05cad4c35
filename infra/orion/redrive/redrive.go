// Package redrive gives the messages of Orion's dead-letter queues back to the functions that failed
// them, once the cause is fixed. Every consumer is idempotent (inbox, versioned writes, named
// executions), so a redrive repeated by mistake does nothing twice; a message is deleted only after its
// function succeeded with it, so nothing is lost if a redrive fails halfway.
//
// It understands the three kinds of message the DLQs hold:
//   - Lambda asynchronous failure records (EventInvokeConfig OnFailure): requestContext.functionArn and
//     requestPayload, the event the function failed on;
//   - EventBridge rule DLQ messages: the event as the target would have received it, with the target in
//     the TARGET_ARN message attribute;
//   - the outbox Pipes' failure records (DDBStreamBatchInfo): only the position of a failed stream
//     batch, not its records. Its events never reached the bus, so the event archive does not have
//     them; the outbox table still does, for 15 days (its TTL, a day longer than the DLQ keeps a message). The redrive reads the outbox items keyed
//     (ULIDs, time-ordered) within the batch's arrival window widened by DefaultMargin, decodes them
//     with the relay, and puts their events on the bus as the Pipes would, in key order. The window
//     takes in neighbouring events that had been published already; consumers deduplicate by event id,
//     so publishing them again is harmless. The message is deleted once every event of the window is on
//     the bus. A batch older than the outbox's retention is refused (ErrExpired): its items may be gone,
//     and nothing of it can be recovered from the outbox.
package redrive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/orion-oss/orion/internal/event"
)

// Queue is the part of SQS redrive uses.
type Queue interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
}

// Invoker is the part of Lambda redrive uses.
type Invoker interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// Options of one redrive.
type Options struct {
	// DryRun lists what would be redriven and changes nothing.
	DryRun bool
	// Max bounds how many messages one run takes (0: until the queue answers empty).
	Max int
	// Outbox is where the outbox Pipes' batches are redriven from and to; without it their messages are
	// not redriven (ErrNoOutbox) and stay in the queue.
	Outbox *Outbox
}

// Outcome is what happened to one message.
type Outcome struct {
	// Function is the function a message went back to, or for a Pipe batch the bus its events went to.
	MessageID, Function string
	// Events are a Pipe batch's events, in the order they were (or, in a dry run, would be) put.
	Events   []event.Envelope
	Redriven bool
	Err      error
}

// Run redrives the queue's messages and reports each.
func Run(ctx context.Context, q Queue, fn Invoker, queueURL string, opts Options) ([]Outcome, error) {
	var out []Outcome
	seen := map[string]bool{}
	for opts.Max == 0 || len(out) < opts.Max {
		res, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(queueURL), MaxNumberOfMessages: 10,
			MessageAttributeNames: []string{"All"}, VisibilityTimeout: 60, WaitTimeSeconds: 1})
		if err != nil {
			return out, fmt.Errorf("redrive: receive from %s: %w", queueURL, err)
		}
		fresh := 0
		for _, m := range res.Messages {
			id := aws.ToString(m.MessageId)
			if seen[id] { // a message this run failed to redrive came back: do not loop on it
				continue
			}
			seen[id] = true
			fresh++
			o := redriveOne(ctx, q, fn, queueURL, m, opts)
			out = append(out, o)
			if opts.Max > 0 && len(out) >= opts.Max {
				break
			}
		}
		if fresh == 0 {
			return out, nil
		}
	}
	return out, nil
}

func redriveOne(ctx context.Context, q Queue, fn Invoker, queueURL string, m sqstypes.Message, opts Options) Outcome {
	o := Outcome{MessageID: aws.ToString(m.MessageId)}
	target, payload, err := decode(m)
	if errors.Is(err, ErrNotRedrivable) {
		if b, ok, berr := decodeBatch(m); ok {
			return redriveBatch(ctx, q, queueURL, m, b, berr, opts)
		}
	}
	if err != nil {
		o.Err = err
		return o
	}
	o.Function = target
	if opts.DryRun {
		return o
	}
	res, err := fn.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(target), Payload: payload})
	switch {
	case err != nil:
		o.Err = fmt.Errorf("invoke %s: %w", target, err)
	case res.FunctionError != nil:
		o.Err = fmt.Errorf("%s failed again: %s", target, res.Payload)
	}
	if o.Err != nil {
		return o // left in the queue; it is visible again after the visibility timeout
	}
	if _, err := q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(queueURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
		// Redriven but still queued: a second redrive repeats it, which the consumer shrugs off.
		o.Err = fmt.Errorf("redriven, but not deleted: %w", err)
	}
	o.Redriven = true
	return o
}

// redriveBatch puts a failed Pipe batch's events on the bus and then deletes its message.
func redriveBatch(ctx context.Context, q Queue, queueURL string, m sqstypes.Message, b pipeBatch, err error, opts Options) Outcome {
	o := Outcome{MessageID: aws.ToString(m.MessageId)}
	if opts.Outbox != nil {
		o.Function = opts.Outbox.Bus
	}
	if err != nil {
		o.Err = err
		return o
	}
	if o.Events, o.Err = opts.Outbox.replay(ctx, b, opts.DryRun); o.Err != nil || opts.DryRun {
		return o
	}
	if _, err := q.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(queueURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
		// Published but still queued: a second redrive publishes the window again, which consumers shrug off.
		o.Err = fmt.Errorf("redriven, but not deleted: %w", err)
	}
	o.Redriven = true
	return o
}

// ErrNotRedrivable means the message does not carry the event that failed.
var ErrNotRedrivable = errors.New("redrive: message carries no event to redrive")

// decode finds the function and the payload a DLQ message stands for.
func decode(m sqstypes.Message) (string, []byte, error) {
	body := aws.ToString(m.Body)
	if a, ok := m.MessageAttributes["TARGET_ARN"]; ok && strings.Contains(aws.ToString(a.StringValue), ":lambda:") {
		return aws.ToString(a.StringValue), []byte(body), nil
	}
	var record struct {
		RequestContext struct {
			FunctionArn string `json:"functionArn"`
		} `json:"requestContext"`
		RequestPayload json.RawMessage `json:"requestPayload"`
	}
	if json.Unmarshal([]byte(body), &record) == nil && record.RequestContext.FunctionArn != "" && len(record.RequestPayload) > 0 {
		// The ARN names what the failed attempt ran: "...:$LATEST", or a version or alias of a function
		// that publishes them (arn:aws:lambda:<region>:<account>:function:<name>:<qualifier>). The
		// unqualified function, its code of now, is what a redrive after the fix must run.
		arn := record.RequestContext.FunctionArn
		if parts := strings.Split(arn, ":"); len(parts) == 8 && parts[5] == "function" {
			arn = strings.Join(parts[:7], ":")
		}
		return arn, record.RequestPayload, nil
	}
	return "", nil, fmt.Errorf("%w (%.80s)", ErrNotRedrivable, body)
}
