package stack_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/infra/engine/stack"
)

// An SQS event source is refused at start where Lambda refuses it: a function timeout longer than the
// queue's visibility timeout, a batch over 10 without a batching window; FilterCriteria on a queue and a
// FIFO queue as a rule's target are not run locally.
func TestQueueSourcesRefusedAsLambdaRefusesThem(t *testing.T) {
	const base = `Resources:
  Q:
    Type: AWS::SQS::Queue
    Properties: {VisibilityTimeout: 5}
  F:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/consumer
      Timeout: %TIMEOUT%
`
	for _, tc := range []struct {
		name, timeout, source, want string
	}{
		{"function timeout over the visibility", "10", `      Events:
        Q: {Type: SQS, Properties: {Queue: !GetAtt Q.Arn}}
`, "visibility timeout 5 s is less than the function's timeout 10 s"},
		{"batch over 10 without a window", "3", `  M:
    Type: AWS::Lambda::EventSourceMapping
    Properties: {EventSourceArn: !GetAtt Q.Arn, FunctionName: !Ref F, BatchSize: 11}
`, "MaximumBatchingWindowInSeconds"},
		{"filter criteria", "3", `  M:
    Type: AWS::Lambda::EventSourceMapping
    Properties: {EventSourceArn: !GetAtt Q.Arn, FunctionName: !Ref F, FilterCriteria: {Filters: [{Pattern: "{}"}]}}
`, "FilterCriteria"},
		{"a FIFO queue as a rule's target", "3", `  R:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: {source: [x]}
      Targets: [{Id: fifo, Arn: !GetAtt FQ.Arn, SqsParameters: {MessageGroupId: all}}]
  FQ:
    Type: AWS::SQS::Queue
    Properties: {FifoQueue: true, ContentBasedDeduplication: true}
`, "FIFO queue targets"},
		{"a mapping of no function", "3", `  M:
    Type: AWS::Lambda::EventSourceMapping
    Properties: {EventSourceArn: !GetAtt Q.Arn, FunctionName: nope}
`, "no function of the template"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tpl := strings.ReplaceAll(base, "%TIMEOUT%", tc.timeout) + tc.source
			path := filepath.Join(dir, "template.yaml")
			if err := os.WriteFile(path, []byte(tpl), 0o644); err != nil {
				t.Fatal(err)
			}
			st, err := stack.Start(context.Background(), stack.Config{Template: path, Endpoint: os.Getenv("AWS_ENDPOINT_URL"), BinDir: binDir,
				StackName: awstest.Name(t, "q")})
			if err == nil {
				st.Close(context.Background())
				t.Fatal("started")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v; want it to mention %q", err, tc.want)
			}
		})
	}
}
