// Command api is a fixture HTTP function: it stores and reads notes through the AWS endpoint it is given.
package main

import (
	"context"
	"encoding/json"
	"os"

	"github.com/aws/aws-lambda-go/events"
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
	table := os.Getenv("NOTES_TABLE")
	lambda.Start(func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		switch req.RouteKey {
		case "GET /health":
			return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: `{"ok":true}`}, nil
		case "POST /notes":
			var in struct{ ID, Text string }
			if err := json.Unmarshal([]byte(req.Body), &in); err != nil || in.ID == "" {
				return events.APIGatewayV2HTTPResponse{StatusCode: 400, Body: `{"title":"bad note"}`}, nil
			}
			owner := req.RequestContext.Authorizer.JWT.Claims["sub"]
			_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]types.AttributeValue{
				"id": &types.AttributeValueMemberS{Value: in.ID}, "text": &types.AttributeValueMemberS{Value: in.Text},
				"owner": &types.AttributeValueMemberS{Value: owner}}})
			if err != nil {
				return events.APIGatewayV2HTTPResponse{}, err
			}
			return events.APIGatewayV2HTTPResponse{StatusCode: 201, Headers: map[string]string{"Location": "/notes/" + in.ID}, Body: `{"id":"` + in.ID + `"}`}, nil
		case "GET /notes/{id}":
			out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{
				"id": &types.AttributeValueMemberS{Value: req.PathParameters["id"]}}})
			if err != nil {
				return events.APIGatewayV2HTTPResponse{}, err
			}
			if out.Item == nil {
				return events.APIGatewayV2HTTPResponse{StatusCode: 404, Body: `{"title":"not found"}`}, nil
			}
			text := out.Item["text"].(*types.AttributeValueMemberS).Value
			b, _ := json.Marshal(map[string]string{"id": req.PathParameters["id"], "text": text})
			return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: string(b)}, nil
		}
		return events.APIGatewayV2HTTPResponse{StatusCode: 404}, nil
	})
}
