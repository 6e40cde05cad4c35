package ddbcheck

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TTL is switched on per table for one Number attribute; items keep being readable until the background
// deletion, which may take days: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TTL.html.
func TestTTLAttributeIsAccepted(t *testing.T) {
	db, _ := clients(t)
	ctx := context.Background()
	tbl, _ := table(t, db, false)
	if _, err := db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String(tbl),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("expiresAt"), Enabled: aws.Bool(true)}}); err != nil {
		t.Fatalf("UpdateTimeToLive: %v", err)
	}
	d, err := db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(tbl)})
	if err != nil {
		t.Fatalf("DescribeTimeToLive: %v", err)
	}
	if s := d.TimeToLiveDescription.TimeToLiveStatus; s != types.TimeToLiveStatusEnabled && s != types.TimeToLiveStatusEnabling {
		t.Errorf("TTL status %s", s)
	}
	if a := aws.ToString(d.TimeToLiveDescription.AttributeName); a != "expiresAt" {
		t.Errorf("TTL attribute %q", a)
	}
	future := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(tbl), Item: item("t", "0", "expiresAt", num(future))}); err != nil {
		t.Fatalf("PutItem with the TTL attribute: %v", err)
	}
	if got := nOf(get(t, db, tbl, "t", "0")["expiresAt"]); got != future {
		t.Errorf("expiresAt %s, want %s", got, future)
	}
}

// A GSI holds the items that have its key (sparse), sorted by its sort key, in either direction
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html); base-table queries page
// with Limit and LastEvaluatedKey (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.Pagination.html).
func TestGSIAndQueryOrderAndPaging(t *testing.T) {
	db, _ := clients(t)
	ctx := context.Background()
	tbl, _ := table(t, db, true)
	puts := []map[string]types.AttributeValue{
		item("p", "3", "gpk", s("g1"), "gsk", num("30")),
		item("p", "1", "gpk", s("g1"), "gsk", num("10")),
		item("p", "2", "gpk", s("g1"), "gsk", num("20")),
		item("p", "4", "gpk", s("g2"), "gsk", num("5")),
		item("p", "5"),
	}
	for _, it := range puts {
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(tbl), Item: it}); err != nil {
			t.Fatal(err)
		}
	}
	query := func(forward bool) string {
		out, err := db.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(tbl), IndexName: aws.String("byG"),
			KeyConditionExpression: aws.String("gpk = :g"), ExpressionAttributeValues: map[string]types.AttributeValue{":g": s("g1")},
			ScanIndexForward: aws.Bool(forward)})
		if err != nil {
			t.Fatalf("Query byG: %v", err)
		}
		var sks []string
		for _, it := range out.Items {
			sks = append(sks, it["sk"].(*types.AttributeValueMemberS).Value)
		}
		return fmt.Sprint(sks)
	}
	// GSIs are eventually consistent: wait for the index to catch up.
	deadline := time.Now().Add(5 * time.Second)
	for query(true) != "[1 2 3]" && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if got := query(true); got != "[1 2 3]" {
		t.Errorf("index forward %s, want [1 2 3]", got)
	}
	if got := query(false); got != "[3 2 1]" {
		t.Errorf("index backward %s, want [3 2 1]", got)
	}
	var pages, seen []string
	var start map[string]types.AttributeValue
	for {
		out, err := db.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(tbl), KeyConditionExpression: aws.String("pk = :p AND sk > :from"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":p": s("p"), ":from": s("1")}, Limit: aws.Int32(2),
			ExclusiveStartKey: start, ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatalf("Query: %v", err)
		}
		pages = append(pages, strconv.Itoa(len(out.Items)))
		for _, it := range out.Items {
			seen = append(seen, it["sk"].(*types.AttributeValueMemberS).Value)
		}
		if start = out.LastEvaluatedKey; start == nil {
			break
		}
	}
	if fmt.Sprint(seen) != "[2 3 4 5]" {
		t.Errorf("paged query %v, want [2 3 4 5]", seen)
	}
}
