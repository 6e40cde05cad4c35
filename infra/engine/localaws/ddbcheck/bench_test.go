package ddbcheck

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// BenchmarkCalls times the calls an order makes most, one at a time, against the local endpoint (or
// AWS_ENDPOINT_URL): what ADR 0019 compares emulators by. The table holds 2,000 items in 200
// partitions, as a run's outbox and projections do after a few hundred orders.
func BenchmarkCalls(b *testing.B) {
	db, _ := clients(b)
	ctx := context.Background()
	tbl, _ := table(b, db, true)
	for i := range 2000 {
		it := item(fmt.Sprintf("p%d", i%200), fmt.Sprintf("%05d", i), "v", num("0"), "gpk", s(fmt.Sprintf("g%d", i%50)), "gsk", num(strconv.Itoa(i)))
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(tbl), Item: it}); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("GetItem", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(tbl), Key: key("p7", "00007")}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ConditionalUpdate", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(tbl), Key: key("p9", "00009"),
				UpdateExpression: aws.String("SET v = v + :one"), ConditionExpression: aws.String("attribute_exists(pk)"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":one": num("1")}}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Query", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, err := db.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(tbl), KeyConditionExpression: aws.String("pk = :p"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":p": s("p11")}, Limit: aws.Int32(5)}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("TransactWriteItems", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
				{Update: &types.Update{TableName: aws.String(tbl), Key: key("p3", "00003"), UpdateExpression: aws.String("SET v = v + :one"),
					ConditionExpression: aws.String("v >= :zero"), ExpressionAttributeValues: map[string]types.AttributeValue{":one": num("1"), ":zero": num("0")}}},
				{Put: &types.Put{TableName: aws.String(tbl), Item: item("tx", strconv.Itoa(i), "v", num("1")), ConditionExpression: aws.String("attribute_not_exists(pk)")}},
			}}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
