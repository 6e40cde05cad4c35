package ddbcheck

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// A cancelled transaction writes nothing and gives one reason per item, in request order, "None" for
// the items that were not the cause:
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html (Errors,
// TransactionCanceledException).
func TestCancelledTransactionGivesAReasonPerItemAndWritesNothing(t *testing.T) {
	db, _ := clients(t)
	ctx := context.Background()
	tbl, _ := table(t, db, false)
	for _, k := range []string{"a", "b"} {
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(tbl), Item: item(k, "0", "v", num("1"))}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{TableName: aws.String(tbl), Key: key("a", "0"), UpdateExpression: aws.String("SET v = :two"),
			ConditionExpression: aws.String("v = :one"), ExpressionAttributeValues: map[string]types.AttributeValue{":one": num("1"), ":two": num("2")}}},
		{ConditionCheck: &types.ConditionCheck{TableName: aws.String(tbl), Key: key("b", "0"), ConditionExpression: aws.String("v = :five"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":five": num("5")}, ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}},
		{Put: &types.Put{TableName: aws.String(tbl), Item: item("c", "0", "v", num("1")), ConditionExpression: aws.String("attribute_not_exists(pk)")}},
	}})
	tc, ok := cancelled(err)
	if !ok {
		t.Fatalf("TransactWriteItems: want TransactionCanceledException, got %v", err)
	}
	var codes []string
	for _, r := range tc.CancellationReasons {
		codes = append(codes, aws.ToString(r.Code))
	}
	if want := "[None ConditionalCheckFailed None]"; fmt.Sprint(codes) != want {
		t.Errorf("cancellation reasons %v, want %s", codes, want)
	}
	if len(tc.CancellationReasons) == 3 && nOf(tc.CancellationReasons[1].Item["v"]) != "1" {
		t.Errorf("ALL_OLD on the failed check: item %v, want v=1", tc.CancellationReasons[1].Item)
	}
	if v := nOf(get(t, db, tbl, "a", "0")["v"]); v != "1" {
		t.Errorf("a.v = %s after a cancelled transaction, want 1", v)
	}
	if it := get(t, db, tbl, "c", "0"); it != nil {
		t.Errorf("c written by a cancelled transaction: %v", it)
	}
}

// An item whose update cannot be applied (the expression refers to an attribute the item lacks) cancels
// the whole transaction with ValidationError for that item; the items before it are not written (same
// page, "Validation Error ... The provided expression refers to an attribute that does not exist in the
// item").
func TestTransactionWithAnInapplicableUpdateWritesNothing(t *testing.T) {
	db, _ := clients(t)
	ctx := context.Background()
	tbl, _ := table(t, db, false)
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(tbl), Item: item("y", "0")}); err != nil {
		t.Fatal(err)
	}
	_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(tbl), Item: item("x", "0", "v", num("1"))}},
		{Update: &types.Update{TableName: aws.String(tbl), Key: key("y", "0"), UpdateExpression: aws.String("SET n = n + :one"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":one": num("1")}}},
	}})
	if err == nil {
		t.Fatal("TransactWriteItems succeeded with an update of a missing attribute")
	}
	if tc, ok := cancelled(err); ok {
		var codes []string
		for _, r := range tc.CancellationReasons {
			codes = append(codes, aws.ToString(r.Code))
		}
		if want := "[None ValidationError]"; fmt.Sprint(codes) != want {
			t.Errorf("cancellation reasons %v, want %s", codes, want)
		}
	} else {
		t.Errorf("want TransactionCanceledException, got %v", err)
	}
	if it := get(t, db, tbl, "x", "0"); it != nil {
		t.Errorf("x written by a cancelled transaction: %v", it)
	}
}

// Optimistic locking with a condition on a version: concurrent writers never both pass, so no increment
// is lost (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html,
// "Conditional writes" in .../WorkingWithItems.html#WorkingWithItems.ConditionalUpdate).
func TestConcurrentConditionalIncrementsLoseNothing(t *testing.T) {
	db, _ := clients(t)
	ctx := context.Background()
	tbl, _ := table(t, db, false)
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(tbl), Item: item("ctr", "0", "v", num("0"))}); err != nil {
		t.Fatal(err)
	}
	const workers, each = 12, 8
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for done := 0; done < each; {
				seen := nOf(get(t, db, tbl, "ctr", "0")["v"])
				n, _ := strconv.Atoi(seen)
				_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(tbl), Key: key("ctr", "0"),
					UpdateExpression: aws.String("SET v = :next"), ConditionExpression: aws.String("v = :seen"),
					ExpressionAttributeValues: map[string]types.AttributeValue{":seen": num(seen), ":next": num(strconv.Itoa(n + 1))}})
				var ccf *types.ConditionalCheckFailedException
				switch {
				case err == nil:
					done++
				case errors.As(err, &ccf):
				default:
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if v := nOf(get(t, db, tbl, "ctr", "0")["v"]); v != strconv.Itoa(workers*each) {
		t.Errorf("counter %s after %d successful increments", v, workers*each)
	}
}

// The same through transactions, as Orion's reservations write: each success moves the version by one
// and writes one ledger line; a cancelled one gives ConditionalCheckFailed, TransactionConflict or None
// per item (API_TransactWriteItems.html) and writes nothing.
func TestConcurrentTransactionsLoseNothing(t *testing.T) {
	db, _ := clients(t)
	ctx := context.Background()
	tbl, _ := table(t, db, false)
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(tbl), Item: item("stock", "0", "v", num("0"))}); err != nil {
		t.Fatal(err)
	}
	const workers, each = 8, 6
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for done := 0; done < each; {
				seen := nOf(get(t, db, tbl, "stock", "0")["v"])
				n, _ := strconv.Atoi(seen)
				_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
					{Update: &types.Update{TableName: aws.String(tbl), Key: key("stock", "0"), UpdateExpression: aws.String("SET v = :next"),
						ConditionExpression: aws.String("v = :seen"), ExpressionAttributeValues: map[string]types.AttributeValue{":seen": num(seen), ":next": num(strconv.Itoa(n + 1))}}},
					{Put: &types.Put{TableName: aws.String(tbl), Item: item("ledger", fmt.Sprintf("%d-%d", w, done), "at", num(strconv.Itoa(n+1))),
						ConditionExpression: aws.String("attribute_not_exists(pk)")}},
				}})
				if err == nil {
					done++
					continue
				}
				tc, ok := cancelled(err)
				if !ok {
					errs <- err
					return
				}
				for _, r := range tc.CancellationReasons {
					switch c := aws.ToString(r.Code); c {
					case "None", "ConditionalCheckFailed", "TransactionConflict":
					default:
						errs <- fmt.Errorf("cancellation reason %q (%s)", c, aws.ToString(r.Message))
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if v := nOf(get(t, db, tbl, "stock", "0")["v"]); v != strconv.Itoa(workers*each) {
		t.Errorf("version %s after %d successful transactions", v, workers*each)
	}
	out, err := db.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(tbl), KeyConditionExpression: aws.String("pk = :l"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":l": s("ledger")}, ConsistentRead: aws.Bool(true), Select: types.SelectCount})
	if err != nil {
		t.Fatal(err)
	}
	if out.Count != workers*each {
		t.Errorf("%d ledger lines for %d transactions", out.Count, workers*each)
	}
}
