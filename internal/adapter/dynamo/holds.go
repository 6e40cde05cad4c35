package dynamo

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/order"
)

// A customer's holds item (orders table, CUSTOMER#<id> / HOLDS) keeps the sum of order.Hold over the
// customer's orders: openOrders and heldUnits. It changes only inside the transaction that writes an
// order whose Hold changes, by the difference (ADD), so it is exactly the sum of what the stored orders
// hold: placing adds the new order's hold conditional on the limits, the transition that ends the hold
// (confirm, reject, cancel, fail) subtracts it, and that transition's put is conditional on the order's
// version, so a retried or redelivered step that finds the order past it writes nothing at all.

func holdsKey(c customer.ID) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "CUSTOMER#" + string(c)},
		"sk": &types.AttributeValueMemberS{Value: "HOLDS"}}
}

func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// holdsChange adds d to the customer's holds (d negative subtracts). It has no condition: a hold ends
// whatever the sum says, and a refused subtraction would block the order's transition for good.
func holdsChange(table string, c customer.ID, d order.Hold, now time.Time) types.TransactWriteItem {
	return types.TransactWriteItem{Update: &types.Update{TableName: aws.String(table), Key: holdsKey(c),
		UpdateExpression: aws.String("ADD openOrders :orders, heldUnits :units SET updatedAt = :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":orders": num(d.Orders), ":units": num(d.Units),
			":now": &types.AttributeValueMemberS{Value: now.UTC().Format(time.RFC3339Nano)}}}}
}

// holdsAdd adds a new order's hold to its customer's, conditional on the sum staying within l: fewer
// than MaxOpenOrders open orders before it, and at most MaxHeldUnits units with it. DynamoDB's
// conditions cannot add, so the room left for the units is computed here (MaxHeldUnits - h.Units, at
// least 0 since Limits.Admits refused larger orders). A customer without the item has nothing open.
func holdsAdd(table string, c customer.ID, h order.Hold, l order.Limits, now time.Time) types.TransactWriteItem {
	w := holdsChange(table, c, h, now)
	cond := ""
	if l.MaxOpenOrders > 0 {
		cond = "openOrders < :maxOrders"
		w.Update.ExpressionAttributeValues[":maxOrders"] = num(l.MaxOpenOrders)
	}
	if l.MaxHeldUnits > 0 {
		if cond != "" {
			cond += " AND "
		}
		cond += "heldUnits <= :room"
		w.Update.ExpressionAttributeValues[":room"] = num(l.MaxHeldUnits - h.Units)
	}
	if cond != "" {
		w.Update.ConditionExpression = aws.String("attribute_not_exists(pk) OR (" + cond + ")")
	}
	return w
}

// holdsWrites are the items that keep the customer's holds when an order goes from holding before to
// holding what it holds now: none when its hold did not change.
func holdsWrites(table string, o *order.Order, before order.Hold, now time.Time) []types.TransactWriteItem {
	d := o.Hold().Minus(before)
	if d.IsZero() {
		return nil
	}
	return []types.TransactWriteItem{holdsChange(table, o.CustomerID(), d, now)}
}

// Holds is what a customer's open orders hold, read strongly consistent (zero when the customer has
// none). Operators and tests read it; placing an order never does (its condition decides).
func (r *OrderRepository) Holds(ctx context.Context, c customer.ID) (order.Hold, error) {
	out, err := r.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(r.tables.Orders), Key: holdsKey(c), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return order.Hold{}, fmt.Errorf("dynamo: holds of customer %s: %w", c, err)
	}
	var h order.Hold
	for attr, n := range map[string]*int64{"openOrders": &h.Orders, "heldUnits": &h.Units} {
		if v, ok := out.Item[attr].(*types.AttributeValueMemberN); ok {
			if *n, err = strconv.ParseInt(v.Value, 10, 64); err != nil {
				return order.Hold{}, fmt.Errorf("dynamo: holds of customer %s: %s: %w", c, attr, err)
			}
		}
	}
	return h, nil
}
