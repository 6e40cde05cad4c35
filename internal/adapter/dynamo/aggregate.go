package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orion-oss/orion/internal/event"
)

// conflictAttempts bounds the optimistic-locking retries of one update; contention beyond that is
// reported (ErrConflict) rather than spun on.
const conflictAttempts = 5

// errCondition means a condition of the transaction failed: an aggregate changed since it was read (or
// exists already).
var errCondition = errors.New("dynamo: condition failed")

// errConflicted means DynamoDB cancelled the transaction because another one was writing one of its
// items at that moment (conflicted): nothing was written, and reading and deciding again is safe. Since
// an order's write may carry its customer's holds item (holds.go), two orders of one customer can meet
// there.
var errConflicted = errors.New("dynamo: transaction conflict")

// conflicted reports whether DynamoDB cancelled a transaction because another transaction was changing
// one of its items at the same time ("TransactionConflict": docs.aws.amazon.com/amazondynamodb/latest/
// APIReference/API_TransactWriteItems.html). Nothing was written; the same transaction may be sent again.
func conflicted(err error) bool {
	var tc *types.TransactionCanceledException
	if !errors.As(err, &tc) {
		return false
	}
	for _, r := range tc.CancellationReasons {
		if aws.ToString(r.Code) == "TransactionConflict" {
			return true
		}
	}
	return false
}

// writeWithEvents runs one transaction: the given items (the aggregate first) and an outbox item per
// event (batch items of up to 10 where that would exceed DynamoDB's 100 items, see outboxPuts), so
// the state change and its events are stored together or not at all.
func writeWithEvents(ctx context.Context, db *dynamodb.Client, outbox string, items []types.TransactWriteItem, evs []event.Payload, cause event.Cause, now time.Time) error {
	err := transactWithEvents(ctx, db, outbox, items, evs, cause, now)
	for i := range items {
		if cancelledOn(err, i) {
			return errCondition
		}
	}
	if conflicted(err) {
		return fmt.Errorf("%w: %w", errConflicted, err)
	}
	return err
}

// transactWithEvents is writeWithEvents answering DynamoDB's error as it is, for callers that tell one
// refused condition from another (cancelledOn).
func transactWithEvents(ctx context.Context, db *dynamodb.Client, outbox string, items []types.TransactWriteItem, evs []event.Payload, cause event.Cause, now time.Time) error {
	writes, _, err := outboxPuts(outbox, len(items), evs, cause, now.UTC())
	if err != nil {
		return err
	}
	_, err = db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: append(items, writes...)})
	return err
}

// versionedPut is a put of an aggregate conditional on the version it was read at.
func versionedPut(table string, item map[string]types.AttributeValue, read int64) types.TransactWriteItem {
	return types.TransactWriteItem{Put: &types.Put{TableName: aws.String(table), Item: item,
		ConditionExpression:       aws.String("version = :read"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":read": &types.AttributeValueMemberN{Value: strconv.FormatInt(read, 10)}}}}
}

// newPut is a put of an aggregate that must not exist yet (keyAttr is its partition key).
func newPut(table string, item map[string]types.AttributeValue, keyAttr string) types.TransactWriteItem {
	return types.TransactWriteItem{Put: &types.Put{TableName: aws.String(table), Item: item,
		ConditionExpression: aws.String("attribute_not_exists(" + keyAttr + ")")}}
}

type versioned interface{ Version() int64 }

// update is the optimistic-locking loop both repositories share: load the aggregate, let decide change
// it, and save it with decide's events conditional on the version read; when another writer got there
// first, load and decide again. decide must depend only on the aggregate it is given.
func update[A versioned](ctx context.Context, load func(context.Context) (A, error), decide func(A) ([]event.Payload, error),
	save func(ctx context.Context, a A, read int64, evs []event.Payload) error) (A, error) {
	var zero A
	for range conflictAttempts {
		a, err := load(ctx)
		if err != nil {
			return zero, err
		}
		read := a.Version()
		evs, err := decide(a)
		if err != nil {
			return zero, err
		}
		if a.Version() == read {
			return a, nil // nothing changed: nothing to write
		}
		err = save(ctx, a, read, evs)
		if errors.Is(err, errCondition) || errors.Is(err, errConflicted) {
			continue
		}
		if err != nil {
			return zero, err
		}
		return a, nil
	}
	return zero, ErrConflict
}
