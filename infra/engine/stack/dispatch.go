package stack

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/orion-oss/orion/infra/engine/edge"
	"github.com/orion-oss/orion/infra/engine/eventbus"
	"github.com/orion-oss/orion/infra/engine/lambdahost"
	"github.com/orion-oss/orion/infra/engine/states"
	"github.com/orion-oss/orion/infra/engine/xray"
)

// publish delivers the entries the emulator accepted on a bus to the matching rules.
func (s *Stack) publish(entries []edge.PutEventsEntry) {
	for _, e := range entries {
		ev := eventbus.Event{Version: "0", ID: e.EventID, DetailType: e.DetailType, Source: e.Source, Account: s.cfg.AccountID,
			Time: e.Time.UTC().Format(time.RFC3339), Region: s.cfg.Region, Resources: e.Resources, Detail: e.Detail, TraceHeader: e.TraceHeader}
		if ev.Resources == nil {
			ev.Resources = []string{}
		}
		s.routeEvent(e.Bus, ev)
	}
}

func (s *Stack) routeEvent(bus string, ev eventbus.Event) {
	s.println(fmt.Sprintf("%s ✉ %-28s %s from %s on %s", time.Now().Format("15:04:05.000"), ev.DetailType, ev.ID, ev.Source, bus))
	if s.cfg.OnEvent != nil {
		s.cfg.OnEvent(bus, ev)
	}
	if _, err := s.bus.Publish(bus, ev); err != nil {
		s.cfg.Logger.Error("stack: event not routed", "bus", bus, "eventId", ev.ID, "error", err)
	}
}

// executionStatusChanged reports an execution starting or ending on the default bus, as Step Functions
// does, so that rules on "Step Functions Execution Status Change" (recovering a failed saga run) work.
func (s *Stack) executionStatusChanged(c states.StatusChange) {
	detail, err := json.Marshal(c)
	if err != nil {
		return
	}
	s.routeEvent("default", eventbus.Event{Version: "0", ID: uuid(), DetailType: "Step Functions Execution Status Change",
		Source: "aws.states", Account: s.cfg.AccountID, Time: time.Now().UTC().Format(time.RFC3339), Region: s.cfg.Region,
		Resources: []string{c.ExecutionArn}, Detail: detail})
}

func uuid() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// Dispatch hands an event to a rule target, by the service in its ARN.
func (s *Stack) Dispatch(ctx context.Context, arn string, input []byte) error {
	switch service(arn) {
	case "lambda":
		f := s.byName[lambdaName(arn)]
		if f == nil {
			return fmt.Errorf("stack: target function %s does not exist", arn)
		}
		// EventBridge invokes Lambda asynchronously: once accepted, Lambda's own retries apply.
		opts := f.async
		opts.Trigger = "eventbridge"
		opts.TraceID = xray.Carried(ctx) // the event's trace header, when its PutEvents had one
		return s.host.InvokeAsync(f.name, input, opts)
	case "states":
		// EventBridge starts executions with a generated name.
		_, err := s.sfn.StartTraced(arn, "", string(input), xray.Carried(ctx))
		return err
	case "sqs":
		return s.sendMessage(ctx, arn, string(input), nil)
	case "sns":
		_, err := sns.NewFromConfig(s.aws).Publish(ctx, &sns.PublishInput{TopicArn: aws.String(arn), Message: aws.String(string(input))})
		return err
	case "events":
		_, err := s.busClient().PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{{
			EventBusName: aws.String(arn), Source: aws.String("orion.local"), DetailType: aws.String("Forwarded"), Detail: aws.String(string(input))}}})
		return err
	}
	return fmt.Errorf("stack: targets of type %s (%s) are not run locally yet", service(arn), arn)
}

// SendDeadLetter writes an event that exhausted a rule target's retries to its DLQ.
func (s *Stack) SendDeadLetter(ctx context.Context, queueArn string, body []byte, attrs map[string]string) error {
	return s.sendMessage(ctx, queueArn, string(body), attrs)
}

// SendFailure writes a failure record to an SQS queue or SNS topic.
func (s *Stack) SendFailure(ctx context.Context, arn string, body []byte) error {
	if service(arn) == "sns" {
		_, err := sns.NewFromConfig(s.aws).Publish(ctx, &sns.PublishInput{TopicArn: aws.String(arn), Message: aws.String(string(body))})
		return err
	}
	return s.sendMessage(ctx, arn, string(body), nil)
}

func (s *Stack) sendMessage(ctx context.Context, queueArn, body string, attrs map[string]string) error {
	c := sqs.NewFromConfig(s.aws)
	url, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(nameFromArn(queueArn))})
	if err != nil {
		return fmt.Errorf("queue %s: %w", queueArn, err)
	}
	in := &sqs.SendMessageInput{QueueUrl: url.QueueUrl, MessageBody: aws.String(body)}
	if len(attrs) > 0 {
		in.MessageAttributes = map[string]sqstypes.MessageAttributeValue{}
		for k, v := range attrs {
			if v == "" {
				continue
			}
			in.MessageAttributes[k] = sqstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
		}
	}
	_, err = c.SendMessage(ctx, in)
	return err
}

func service(arn string) string {
	parts := strings.SplitN(arn, ":", 4)
	if len(parts) < 3 {
		return ""
	}
	return parts[2]
}

// invoker adapts the Lambda host to the gateway's and the stream consumers' Invoker ports: a function
// error becomes an error.
type invoker struct {
	s       *Stack
	trigger string
}

func (i invoker) Invoke(ctx context.Context, function string, payload []byte) ([]byte, error) {
	res, err := i.s.host.Invoke(ctx, lambdaName(function), payload, lambdahost.InvokeOptions{Trigger: i.trigger, TraceID: xray.Carried(ctx)})
	if err != nil {
		return nil, err
	}
	if res.Err != nil {
		return nil, res.Err
	}
	return res.Payload, nil
}
