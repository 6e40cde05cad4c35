// Command consumer is a fixture event consumer: it records each EventBridge event and each stream record
// it receives, so the test can see both paths work, and each scheduled event whole. A note whose id starts with "poison" fails.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orion-oss/orion/infra/engine/awsconfig"
)

func main() {
	cfg, err := awsconfig.Load(context.Background())
	if err != nil {
		panic(err)
	}
	db := dynamodb.NewFromConfig(cfg)
	table := os.Getenv("SEEN_TABLE")
	seen := func(ctx context.Context, id string) error {
		_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{
			"id": &types.AttributeValueMemberS{Value: id}}})
		return err
	}
	lambda.Start(func(ctx context.Context, raw json.RawMessage) error {
		var in struct {
			ID      string `json:"id"`
			Source  string `json:"source"`
			Detail  struct{ ID, Owner string }
			Records []struct {
				Dynamodb struct {
					NewImage map[string]map[string]string
				} `json:"dynamodb"`
			}
		}
		if err := json.Unmarshal(raw, &in); err != nil {
			return err
		}
		if in.Source == "aws.events" {
			// A scheduled rule's event: kept whole, so the test sees exactly what arrived.
			_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{
				"id": &types.AttributeValueMemberS{Value: "scheduled#" + in.ID}, "event": &types.AttributeValueMemberS{Value: string(raw)}}})
			return err
		}
		if in.Source == "fixture" {
			if strings.HasPrefix(in.Detail.ID, "poison") {
				return errors.New("poison note")
			}
			return seen(ctx, "event#"+in.Detail.ID+"#"+in.Detail.Owner)
		}
		for _, r := range in.Records {
			if err := seen(ctx, "stream#"+r.Dynamodb.NewImage["id"]["S"]); err != nil {
				return err
			}
		}
		return nil
	})
}
