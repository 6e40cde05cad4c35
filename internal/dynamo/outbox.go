package dynamo

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/oklog/ulid/v2"

	"github.com/orion-oss/orion/internal/event"
)

// maxTransactItems is DynamoDB's limit on the items of one TransactWriteItems call
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-dynamodb-transactions).
const maxTransactItems = 100

// maxItemBytes is DynamoDB's limit on the size of one item, names and values
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-items).
const maxItemBytes = 400 << 10

// outboxPuts wraps payloads in envelopes and returns the outbox writes for a transaction that writes
// `others` items besides them. Each event is an outbox item of its own, unless that would take the
// transaction past DynamoDB's limit (a 50-line reservation whose lines all cross their low-stock
// threshold): then one batch item holds every envelope in order, and the relay (internal/dynamo/relay)
// turns it back into one event each. Event ids are ULIDs, so they sort by time within the outbox.
func outboxPuts(table string, others int, payloads []event.Payload, m event.Cause, now time.Time) ([]types.TransactWriteItem, []event.Envelope, error) {
	envs, bodies, err := envelopes(payloads, m, now)
	if err != nil {
		return nil, nil, err
	}
	expires := strconv.FormatInt(now.Add(OutboxRetention).Unix(), 10)
	if others+len(envs) <= maxTransactItems {
		writes := make([]types.TransactWriteItem, 0, len(envs))
		for i, env := range envs {
			writes = append(writes, outboxPut(table, map[string]types.AttributeValue{
				"eventId":   &types.AttributeValueMemberS{Value: env.ID},
				"type":      &types.AttributeValueMemberS{Value: env.Type},
				"source":    &types.AttributeValueMemberS{Value: env.Source},
				"envelope":  &types.AttributeValueMemberS{Value: bodies[i]},
				"expiresAt": &types.AttributeValueMemberN{Value: expires},
			}))
		}
		return writes, envs, nil
	}
	batch, err := outboxBatch(bodies, expires, now)
	if err != nil {
		return nil, nil, err
	}
	return []types.TransactWriteItem{outboxPut(table, batch)}, envs, nil
}

// envelopes wraps each payload in an envelope with a new id and encodes it.
func envelopes(payloads []event.Payload, m event.Cause, now time.Time) ([]event.Envelope, []string, error) {
	envs := make([]event.Envelope, 0, len(payloads))
	bodies := make([]string, 0, len(payloads))
	for _, p := range payloads {
		id, err := ulid.New(ulid.Timestamp(now), rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		env, err := event.Wrap(p, event.Meta{ID: id.String(), OccurredAt: now, CorrelationID: m.CorrelationID, CausationID: m.CausationID})
		if err != nil {
			return nil, nil, err
		}
		body, err := json.Marshal(env)
		if err != nil {
			return nil, nil, fmt.Errorf("dynamo: encode %s: %w", env.Type, err)
		}
		envs, bodies = append(envs, env), append(bodies, string(body))
	}
	return envs, bodies, nil
}

// outboxBatch is the outbox item of a batch: keyed by an id of its own, not by one of its events (each
// keeps its id in its envelope, and no event id may key two items), with the envelopes as single items
// hold them. It has no type or source, which its events need not share; the Pipe's filter looks at the
// stream record's eventName only, so the batch reaches the relay as single items do.
//
// A batch holds one transaction's events: at most 51 (a 50-line reservation), each of a few KB at most
// (InventoryReserved lists the order's lines), so it stays far below DynamoDB's 400 KB per item. The
// check makes an unforeseen growth fail the step with a clear error rather than DynamoDB's.
func outboxBatch(bodies []string, expires string, now time.Time) (map[string]types.AttributeValue, error) {
	id, err := ulid.New(ulid.Timestamp(now), rand.Reader)
	if err != nil {
		return nil, err
	}
	list := make([]types.AttributeValue, len(bodies))
	// Attribute names and values count; a list adds 3 bytes and 1 per element, a number at most its digits.
	size := len("eventId") + len(id.String()) + len("expiresAt") + len(expires) + len("envelopes") + 3
	for i, b := range bodies {
		list[i] = &types.AttributeValueMemberS{Value: b}
		size += len(b) + 1
	}
	if size > maxItemBytes {
		return nil, fmt.Errorf("dynamo: an outbox batch of %d events is %d bytes; an item holds at most %d", len(bodies), size, maxItemBytes)
	}
	return map[string]types.AttributeValue{
		"eventId":   &types.AttributeValueMemberS{Value: id.String()},
		"envelopes": &types.AttributeValueMemberL{Value: list},
		"expiresAt": &types.AttributeValueMemberN{Value: expires},
	}, nil
}

func outboxPut(table string, item map[string]types.AttributeValue) types.TransactWriteItem {
	return types.TransactWriteItem{Put: &types.Put{
		TableName: aws.String(table),
		Item:      item,
		// An event id is never reused; a collision must fail the transaction, not overwrite history.
		ConditionExpression: aws.String("attribute_not_exists(eventId)"),
	}}
}
