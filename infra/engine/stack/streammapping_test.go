package stack_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/infra/engine/stack"
)

// An AWS::Lambda::EventSourceMapping on a DynamoDB stream runs as SAM's DynamoDB event does, its
// filter included: the records it matches invoke the function, the others are consumed unseen.
func TestEventSourceMappingOnAStream(t *testing.T) {
	const tpl = `Resources:
  Notes:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
  Seen:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
  F:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/consumer
      Environment: {Variables: {SEEN_TABLE: !Ref Seen}}
  M:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Notes.StreamArn
      FunctionName: !Ref F
      StartingPosition: TRIM_HORIZON
      FunctionResponseTypes: [ReportBatchItemFailures]
      FilterCriteria: {Filters: [{Pattern: '{"dynamodb":{"Keys":{"id":{"S":[{"prefix":"keep"}]}}}}'}]}
Outputs:
  NotesTable: {Value: !Ref Notes}
  SeenTable: {Value: !Ref Seen}
`
	path := filepath.Join(t.TempDir(), "template.yaml")
	if err := os.WriteFile(path, []byte(tpl), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := stack.Start(context.Background(), stack.Config{Template: path, Endpoint: os.Getenv("AWS_ENDPOINT_URL"), BinDir: binDir,
		StackName: awstest.Name(t, "esm"), RetryBase: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(context.Background()) })
	ctx := context.Background()
	db := dynamodb.NewFromConfig(awstest.Config(t))
	notes, seen := st.Outputs["NotesTable"].(string), st.Outputs["SeenTable"].(string)
	for _, id := range []string{"drop-1", "keep-1"} {
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &notes, Item: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: id}}}); err != nil {
			t.Fatal(err)
		}
	}
	has := func(id string) bool {
		o, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &seen, Key: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: id}},
			ConsistentRead: new(true)})
		return err == nil && o.Item != nil
	}
	eventually(t, "the mapping to invoke the function with the matching record", func() bool { return has("stream#keep-1") })
	if has("stream#drop-1") {
		t.Fatal("a record the filter does not match invoked the function")
	}
}
