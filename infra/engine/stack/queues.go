package stack

import (
	"context"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/orion-oss/orion/infra/engine/queues"
	"github.com/orion-oss/orion/infra/engine/sam"
)

// queueSource is a Lambda event source mapping on an SQS queue: a SAM function event of type SQS
// (Queue, ...) or an AWS::Lambda::EventSourceMapping resource (EventSourceArn, FunctionName, ...),
// whose other properties are the same.
func (s *Stack) queueSource(ctx context.Context, f *function, queueArn string, props map[string]any) error {
	if props["Enabled"] == false {
		return nil
	}
	if props["FilterCriteria"] != nil {
		return fmt.Errorf("FilterCriteria on an SQS source is not run locally yet")
	}
	if service(queueArn) != "sqs" {
		return fmt.Errorf("%q is not an SQS queue ARN", queueArn)
	}
	direct := sqs.NewFromConfig(s.aws)
	url, err := direct.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(nameFromArn(queueArn))})
	if err != nil {
		return fmt.Errorf("queue %s: %w", queueArn, err)
	}
	attrs, err := direct.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: url.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameVisibilityTimeout}})
	if err != nil {
		return fmt.Errorf("queue %s: %w", queueArn, err)
	}
	visibility, _ := strconv.Atoi(attrs.Attributes[string(sqstypes.QueueAttributeNameVisibilityTimeout)])
	// "Your function's timeout must be less than or equal to the queue's visibility timeout. Lambda
	// validates this requirement when you create or update an event source mapping"
	// (docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html).
	if timeout := sam.IntOr(f.props, "Timeout", 3); timeout > visibility {
		return fmt.Errorf("queue %s: visibility timeout %d s is less than the function's timeout %d s", queueArn, visibility, timeout)
	}
	m := &queues.Mapping{Function: f.name, QueueArn: queueArn, QueueURL: aws.ToString(url.QueueUrl), Region: s.cfg.Region,
		BatchSize: sam.IntOr(props, "BatchSize", 10), BatchWindow: time.Duration(sam.IntOr(props, "MaximumBatchingWindowInSeconds", 0)) * time.Second,
		Pollers: 2, Visibility: time.Duration(visibility) * time.Second, RetryScale: s.cfg.RetryBase.Seconds(),
		Client: s.pollerClient(f), Retimer: direct, Invoker: invoker{s, "sqs"}, Logger: s.cfg.Logger}
	for _, t := range sam.Strings(props["FunctionResponseTypes"]) {
		m.ReportBatchItemFailures = m.ReportBatchItemFailures || t == "ReportBatchItemFailures"
	}
	if mc := sam.IntOr(sam.Map(props, "ScalingConfig"), "MaximumConcurrency", 0); mc > 0 {
		m.Pollers = min(m.Pollers, mc)
	}
	wait, err := m.Start(ctx)
	if err != nil {
		return err
	}
	s.waits = append(s.waits, wait)
	return nil
}

// pollerClient calls SQS through the edge as the function, the way Lambda's poller uses the function's
// execution role on AWS: the calls count as the function's (Stack.Calls), and its IAM is checked with them.
func (s *Stack) pollerClient(f *function) *sqs.Client {
	return sqs.NewFromConfig(s.aws, func(o *sqs.Options) {
		o.BaseEndpoint = aws.String(s.EdgeURL)
		o.Credentials = credentials.NewStaticCredentialsProvider(f.name, "test", "")
	})
}

// eventSourceMapping runs an AWS::Lambda::EventSourceMapping resource: an SQS queue, or a DynamoDB
// stream, whose properties are those of SAM's DynamoDB event (streamSource) but for the stream's name.
func (s *Stack) eventSourceMapping(ctx context.Context, id string, r sam.Resource) error {
	props, err := s.resolve(r.Properties, "Resources."+id+".Properties")
	if err != nil {
		return err
	}
	name := lambdaName(sam.String(props, "FunctionName"))
	f := s.byName[name]
	if f == nil {
		return fmt.Errorf("stack: %s: FunctionName %q is no function of the template", id, name)
	}
	arn := sam.String(props, "EventSourceArn")
	if strings.Contains(arn, ":dynamodb:") && strings.Contains(arn, "/stream/") {
		stream := maps.Clone(props)
		stream["Stream"] = arn
		err = s.streamSource(ctx, f, stream)
	} else {
		err = s.queueSource(ctx, f, arn, props)
	}
	if err != nil {
		return fmt.Errorf("stack: %s: %w", id, err)
	}
	return nil
}
