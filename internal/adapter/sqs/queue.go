// Package sqs is the SQS adapter: it sends a message, with string attributes, to a queue. The
// fulfilment consumer sets events aside with it (internal/fulfilment Queue).
package sqs

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// API is the part of the SQS client the adapter calls.
type API interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, opts ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// Queue sends to one queue by its URL.
type Queue struct {
	API API
	URL string
}

// maxAttributes is SQS's limit of message attributes per message.
const maxAttributes = 10

// Send sends body with attrs as String attributes; empty values are left out (SQS refuses them).
func (q Queue) Send(ctx context.Context, body string, attrs map[string]string) error {
	in := &sqs.SendMessageInput{QueueUrl: aws.String(q.URL), MessageBody: aws.String(body), MessageAttributes: map[string]types.MessageAttributeValue{}}
	names := make([]string, 0, len(attrs))
	for k, v := range attrs {
		if v != "" {
			names = append(names, k)
		}
	}
	if len(names) > maxAttributes {
		return fmt.Errorf("sqs: %d message attributes; SQS takes at most %d", len(names), maxAttributes)
	}
	sort.Strings(names)
	for _, k := range names {
		in.MessageAttributes[k] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(attrs[k])}
	}
	if _, err := q.API.SendMessage(ctx, in); err != nil {
		return fmt.Errorf("sqs: send to %s: %w", q.URL, err)
	}
	return nil
}
