package redrive

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

func TestDecodeDeadLetters(t *testing.T) {
	fn := "arn:aws:lambda:us-east-1:123456789012:function:orion-dev-SendEmailFunction"
	tests := []struct {
		name          string
		msg           sqstypes.Message
		function, pay string
		notRedrivable bool
	}{
		{name: "Lambda failure record", function: fn, pay: `{"id":"e1"}`,
			msg: sqstypes.Message{Body: aws.String(`{"requestContext":{"functionArn":"` + fn + `:$LATEST","condition":"RetriesExhausted"},"requestPayload":{"id":"e1"}}`)}},
		{name: "failure record of a version", function: fn, pay: `{"id":"e2"}`,
			msg: sqstypes.Message{Body: aws.String(`{"requestContext":{"functionArn":"` + fn + `:7","condition":"RetriesExhausted"},"requestPayload":{"id":"e2"}}`)}},
		{name: "failure record of an alias", function: fn, pay: `{"id":"e3"}`,
			msg: sqstypes.Message{Body: aws.String(`{"requestContext":{"functionArn":"` + fn + `:live","condition":"RetriesExhausted"},"requestPayload":{"id":"e3"}}`)}},
		{name: "EventBridge rule DLQ", function: fn, pay: `{"detail-type":"OrderConfirmed"}`,
			msg: sqstypes.Message{Body: aws.String(`{"detail-type":"OrderConfirmed"}`),
				MessageAttributes: map[string]sqstypes.MessageAttributeValue{"TARGET_ARN": {DataType: aws.String("String"), StringValue: aws.String(fn)}}}},
		{name: "Pipe batch position", notRedrivable: true,
			msg: sqstypes.Message{Body: aws.String(`{"context":{"partnerResourceArn":"arn:aws:pipes:..."},"dynamoDbStreamBatchInfo":{"shardId":"s"}}`)}},
		{name: "not JSON", notRedrivable: true, msg: sqstypes.Message{Body: aws.String(`oops`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target, payload, err := decode(tt.msg)
			if tt.notRedrivable {
				if !errors.Is(err, ErrNotRedrivable) {
					t.Fatalf("err = %v; want ErrNotRedrivable", err)
				}
				return
			}
			if err != nil || target != tt.function || string(payload) != tt.pay {
				t.Fatalf("decode = %q %s %v; want %q %s", target, payload, err, tt.function, tt.pay)
			}
		})
	}
}
