package sqs_test

import (
	"context"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/internal/adapter/sqs"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

// The message arrives with its body and every non-empty attribute as a String attribute.
func TestSendKeepsTheAttributes(t *testing.T) {
	c := awssqs.NewFromConfig(awstest.Config(t))
	ctx := context.Background()
	q, err := c.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String(awstest.Name(t, "aside"))})
	if err != nil {
		t.Fatal(err)
	}
	queue := sqs.Queue{API: c, URL: aws.ToString(q.QueueUrl)}
	if err := queue.Send(ctx, `{"id":"1"}`, map[string]string{"reason": "invalid-detail", "reasonDetail": "orderId: must be an order id", "orderId": ""}); err != nil {
		t.Fatal(err)
	}
	out, err := c.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MessageAttributeNames: []string{"All"}, WaitTimeSeconds: 1})
	if err != nil || len(out.Messages) != 1 {
		t.Fatalf("receive: %v %v", out, err)
	}
	m := out.Messages[0]
	if aws.ToString(m.Body) != `{"id":"1"}` || aws.ToString(m.MessageAttributes["reason"].StringValue) != "invalid-detail" ||
		aws.ToString(m.MessageAttributes["reasonDetail"].StringValue) != "orderId: must be an order id" {
		t.Errorf("message %s %+v", aws.ToString(m.Body), m.MessageAttributes)
	}
	if _, ok := m.MessageAttributes["orderId"]; ok || len(m.MessageAttributes) != 2 {
		t.Errorf("attributes %v; want the two non-empty ones", m.MessageAttributes)
	}
	many := map[string]string{}
	for _, k := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"} {
		many[k] = k
	}
	if err := queue.Send(ctx, "x", many); err == nil {
		t.Error("11 attributes sent")
	}
}
