package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/order"
)

// ProviderEventRetention is how long the record of a payment provider's event is kept: well past
// Stripe's retries of an undelivered webhook ("up to three days",
// docs.stripe.com/webhooks#automatic-retries) and the manual resends of its dashboard.
const ProviderEventRetention = 30 * 24 * time.Hour

// UpdateOnce is Update for a change a provider's event causes (a webhook): the order, its events and
// a record of the event's key are written in one transaction, the record conditional on not
// existing. So a redelivered event changes nothing (first false), however its deliveries interleave.
// A change fn declines (no events, no new version) writes nothing, the record included: repeating it
// is a no-op by itself. The record lives in the order's partition (pk ORDER#<id>, sk
// PROVIDER_EVENT#<key>) and expires after ProviderEventRetention (the table's TTL).
func (s *Saga) UpdateOnce(ctx context.Context, id order.ID, key string, cause event.Cause, fn func(*order.Order) ([]event.Payload, error)) (o *order.Order, first bool, err error) {
	if key == "" {
		return nil, false, errors.New("dynamo: a provider event needs a key")
	}
	var held order.Hold
	load := func(ctx context.Context) (*order.Order, error) {
		o, err := s.orders.Get(ctx, id)
		if err == nil {
			held = o.Hold()
		}
		return o, err
	}
	o, err = update(ctx, load, fn,
		func(ctx context.Context, o *order.Order, read int64, evs []event.Payload) error {
			av, err := attributevalue.MarshalMap(toOrderRecord(o))
			if err != nil {
				return err
			}
			now := s.now().UTC()
			record := types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.tables.Orders),
				Item: map[string]types.AttributeValue{
					"pk":         &types.AttributeValueMemberS{Value: "ORDER#" + string(id)},
					"sk":         &types.AttributeValueMemberS{Value: "PROVIDER_EVENT#" + key},
					"receivedAt": &types.AttributeValueMemberS{Value: now.Format(time.RFC3339Nano)},
					"expiresAt":  &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(ProviderEventRetention).Unix(), 10)},
				},
				ConditionExpression: aws.String("attribute_not_exists(sk)")}}
			// No provider event ends an order today (they move it within RESERVED and PAYMENT_AUTHORIZED),
			// so this adds nothing; should one, the customer's holds follow (and the webhook's role needs
			// dynamodb:UpdateItem).
			items := append([]types.TransactWriteItem{versionedPut(s.tables.Orders, av, read), record}, holdsWrites(s.tables.Orders, o, held, now)...)
			writes, _, err := outboxPuts(s.tables.Outbox, len(items), evs, cause, now)
			if err != nil {
				return err
			}
			_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: append(items, writes...)})
			switch {
			case cancelledOn(err, 1):
				return errEventSeen // whatever else failed: this event was applied before
			case cancelledOn(err, 0):
				return errCondition // another writer changed the order: decide again
			}
			return err
		})
	if errors.Is(err, errEventSeen) {
		o, err = s.orders.Get(ctx, id)
		return o, false, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("dynamo: apply provider event %s to order %s: %w", key, id, err)
	}
	return o, true, nil
}

// errEventSeen means the provider event's record exists: the event was applied already.
var errEventSeen = errors.New("dynamo: provider event applied already")
