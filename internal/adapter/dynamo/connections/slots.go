package connections

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orion-oss/orion/internal/ws"
)

// userKey is the row of a user's connection slots: slots, a string set of the user's connection ids.
// It has no userId attribute, so the ByUser index never lists it as a connection.
func userKey(userID string) string { return "user#" + userID }

// Connect records a new connection and takes one of its user's max slots, in one transaction: the slot
// (ADD to the user's set, on the condition that the set has fewer than max members) and the connection
// row stand or fall together, so concurrent connects of one user cannot pass the cap, and a slot never
// exists without its connection row except after the row is gone (disconnected or expired: stale).
//
// At the cap it frees the stale slots once (connections whose $disconnect never ran: API Gateway
// delivers $disconnect on a best-effort basis) and tries again; if none is stale it answers
// ws.ErrTooManyConnections and nothing changed. A $connect run again for the same id is no error.
func (c *Store) Connect(ctx context.Context, conn ws.Connection, max int) error {
	if err := checkID(conn.ID, conn.UserID.String()); err != nil {
		return err
	}
	err := c.connect(ctx, conn, max)
	if !errors.Is(err, ws.ErrTooManyConnections) {
		return err
	}
	freed, perr := c.pruneSlots(ctx, conn.UserID.String(), time.Now())
	if perr != nil {
		return perr
	}
	if freed == 0 {
		return err
	}
	return c.connect(ctx, conn, max)
}

func (c *Store) connect(ctx context.Context, conn ws.Connection, max int) error {
	_, err := c.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{TableName: aws.String(c.table), Key: connKey(userKey(conn.UserID.String())),
			// The row outlives each of its connections' rows (each expires by then), and goes with the last.
			UpdateExpression: aws.String("ADD slots :c SET #ttl = :exp"), ExpressionAttributeNames: ttlName,
			// contains: a $connect run again for the same id finds its own slot taken, and passes.
			ConditionExpression: aws.String("attribute_not_exists(slots) OR size(slots) < :max OR contains(slots, :id)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":c": connSS(conn.ID), ":id": connS(conn.ID),
				":max": connN(int64(max)), ":exp": ttlOf(time.Now(), conn.ExpiresAt)}}},
		{Put: &types.Put{TableName: aws.String(c.table), Item: connItem(conn), ConditionExpression: aws.String("attribute_not_exists(connectionId)")}},
	}})
	var cancelled *types.TransactionCanceledException
	if errors.As(err, &cancelled) {
		reasons := cancelled.CancellationReasons
		switch {
		case len(reasons) > 1 && aws.ToString(reasons[1].Code) == "ConditionalCheckFailed":
			return nil // recorded already: this $connect ran before
		case len(reasons) > 0 && aws.ToString(reasons[0].Code) == "ConditionalCheckFailed":
			return fmt.Errorf("%w: user %s has %d", ws.ErrTooManyConnections, conn.UserID, max)
		}
	}
	if err != nil {
		return fmt.Errorf("connections: connect %s: %w", conn.ID, err)
	}
	return nil
}

// pruneSlots frees the user's slots whose connection row is gone or expired (expiresAt: the token's
// end, not TTL's; the sweeper ends such a connection within a minute), and says how many.
func (c *Store) pruneSlots(ctx context.Context, userID string, now time.Time) (int, error) {
	out, err := c.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(c.table), Key: connKey(userKey(userID)), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return 0, fmt.Errorf("connections: read slots of %s: %w", userID, err)
	}
	set, _ := out.Item["slots"].(*types.AttributeValueMemberSS)
	if set == nil {
		return 0, nil
	}
	var stale []string
	for _, id := range set.Value {
		row, err := c.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(c.table), Key: connKey(id), ConsistentRead: aws.Bool(true)})
		if err != nil {
			return 0, fmt.Errorf("connections: read connection %s: %w", id, err)
		}
		if row.Item == nil || intAttr(row.Item, "expiresAt") <= now.Unix() {
			stale = append(stale, id)
		}
	}
	if len(stale) == 0 {
		return 0, nil
	}
	// Connection ids are never reused, so a stale id stays stale: no condition needed.
	if err := c.releaseSlots(ctx, userID, stale...); err != nil {
		return 0, err
	}
	return len(stale), nil
}

// releaseSlots removes connection ids from the user's slots; removing one that is not there is no
// error, which makes every release idempotent.
func (c *Store) releaseSlots(ctx context.Context, userID string, ids ...string) error {
	_, err := c.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(c.table), Key: connKey(userKey(userID)),
		UpdateExpression: aws.String("DELETE slots :c"),
		// Without it, an update of a missing row would create it.
		ConditionExpression:       aws.String("attribute_exists(connectionId)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":c": connSS(ids...)}})
	var missing *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &missing) {
		return fmt.Errorf("connections: release slots of %s: %w", userID, err)
	}
	return nil
}

// Slots lists the connection ids holding a user's slots (for tests and operators).
func (c *Store) Slots(ctx context.Context, userID string) ([]string, error) {
	out, err := c.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(c.table), Key: connKey(userKey(userID)), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("connections: read slots of %s: %w", userID, err)
	}
	if set, ok := out.Item["slots"].(*types.AttributeValueMemberSS); ok {
		return set.Value, nil
	}
	return nil, nil
}
