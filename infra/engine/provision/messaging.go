package provision

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/orion-oss/orion/infra/engine/sam"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// queueAttributes are the AWS::SQS::Queue properties that are queue attributes of the same name.
var queueAttributes = []string{"DelaySeconds", "MaximumMessageSize", "MessageRetentionPeriod",
	"ReceiveMessageWaitTimeSeconds", "VisibilityTimeout", "FifoQueue", "ContentBasedDeduplication",
	"KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled", "DeduplicationScope",
	"FifoThroughputLimit"}

func (p *Provisioner) queue(ctx context.Context, name string, props map[string]any) (Result, error) {
	if n := sam.String(props, "QueueName"); n != "" {
		name = n
	} else if sam.Bool(props, "FifoQueue") && !strings.HasSuffix(name, ".fifo") {
		name += ".fifo"
	}
	attrs := map[string]string{}
	for _, k := range queueAttributes {
		if v, ok := props[k]; ok {
			attrs[k] = fmt.Sprint(v)
		}
	}
	for _, k := range []string{"RedrivePolicy", "RedriveAllowPolicy"} {
		if v, ok := props[k]; ok {
			b, err := json.Marshal(v)
			if err != nil {
				return Result{}, err
			}
			attrs[k] = string(b)
		}
	}
	out, err := p.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
	if err != nil {
		return Result{}, err
	}
	url := aws.ToString(out.QueueUrl)
	ga, err := p.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: out.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	if err != nil {
		return Result{}, err
	}
	return Result{Ref: url, Attrs: map[string]any{
		"Arn": ga.Attributes["QueueArn"], "QueueName": name, "QueueUrl": url,
	}}, nil
}

func (p *Provisioner) topic(ctx context.Context, name string, props map[string]any) (Result, error) {
	if n := sam.String(props, "TopicName"); n != "" {
		name = n
	}
	// Encryption as declared: KmsMasterKeyId is the topic attribute of the same name.
	attrs := map[string]string{}
	if k := sam.String(props, "KmsMasterKeyId"); k != "" {
		attrs["KmsMasterKeyId"] = k
	}
	out, err := p.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(name), Attributes: attrs})
	if err != nil {
		return Result{}, err
	}
	arn := aws.ToString(out.TopicArn)
	// Subscriptions declared inline are created too, so an alarm topic with an email endpoint exists
	// locally as it does on AWS (the emulator records, but does not deliver, the email).
	for _, s := range sam.List(props, "Subscription") {
		sub, _ := s.(map[string]any)
		if sub == nil {
			continue
		}
		if _, err := p.sns.Subscribe(ctx, &sns.SubscribeInput{
			TopicArn: out.TopicArn, Protocol: aws.String(sam.String(sub, "Protocol")), Endpoint: aws.String(sam.String(sub, "Endpoint")),
		}); err != nil {
			return Result{}, fmt.Errorf("subscribe: %w", err)
		}
	}
	return Result{Ref: arn, Attrs: map[string]any{"TopicArn": arn, "TopicName": name}}, nil
}
