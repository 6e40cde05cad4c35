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
	"github.com/orion-oss/orion/internal/platform/traceheader"
)

// maxTransactItems is DynamoDB's limit on the items of one TransactWriteItems call
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-dynamodb-transactions).
const maxTransactItems = 100

// maxItemBytes is DynamoDB's limit on the size of one item, names and values
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-items).
const maxItemBytes = 400 << 10

// busBatchLimit is the most events an EventBridge Pipe puts on an event bus target per invocation: an
// enrichment answer longer than that is not delivered at all, the Pipe does not invoke the target
// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-batching-concurrency.html). The
// outbox batch Pipe reads one batch item at a time, so a batch item holds at most this many envelopes.
const busBatchLimit = 10

// batchKind is the value of a batch item's `kind`, the scalar the two outbox Pipes filter on: one
// reads the items without it (one event each), the other the batch items.
const batchKind = "batch"

// outboxPuts wraps payloads in envelopes and returns the outbox writes for a transaction that writes
// `others` items besides them. Each event is an outbox item of its own, unless that would take the
// transaction past DynamoDB's limit (a 50-line reservation whose lines all cross their low-stock
// threshold): then batch items of at most busBatchLimit envelopes hold them in order, and the relay
// (internal/adapter/dynamo/relay) turns each back into one event per envelope. Event ids are ULIDs, so they
// sort by time within the outbox.
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
			}, envs[i:i+1]))
		}
		return writes, envs, nil
	}
	n := (len(bodies) + busBatchLimit - 1) / busBatchLimit
	if others+n > maxTransactItems {
		return nil, nil, fmt.Errorf("dynamo: %d items and %d events need %d outbox batch items; a transaction holds at most %d items",
			others, len(bodies), n, maxTransactItems)
	}
	// Monotonic within the transaction, so that the batch items' keys sort in the order of their events.
	ids := ulid.Monotonic(rand.Reader, 0)
	writes := make([]types.TransactWriteItem, 0, n)
	for start := 0; start < len(bodies); start += busBatchLimit {
		id, err := ulid.New(ulid.Timestamp(now), ids)
		if err != nil {
			return nil, nil, err
		}
		end := min(start+busBatchLimit, len(bodies))
		batch, err := outboxBatch(id.String(), bodies[start:end], expires)
		if err != nil {
			return nil, nil, err
		}
		writes = append(writes, outboxPut(table, batch, envs[start:end]))
	}
	return writes, envs, nil
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
		// The event carries the trace of the invocation that commits it (Lambda sets _X_AMZN_TRACE_ID
		// for each invocation, one at a time per process).
		env, err := event.Wrap(p, event.Meta{ID: id.String(), OccurredAt: now, CorrelationID: m.CorrelationID, CausationID: m.CausationID,
			TraceHeader: traceheader.Invocation()})
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

// outboxBatch is an outbox batch item: keyed by an id of its own, not by one of its events (each keeps
// its id in its envelope, and no event id may key two items), with the envelopes as single items hold
// them and `kind` for the Pipes' filters. It has no type or source, which its events need not share.
//
// A batch holds at most busBatchLimit events, each of a few KB at most (InventoryReserved lists the
// order's lines), so it stays far below DynamoDB's 400 KB per item. The check makes an unforeseen
// growth fail the step with a clear error rather than DynamoDB's.
func outboxBatch(id string, bodies []string, expires string) (map[string]types.AttributeValue, error) {
	list := make([]types.AttributeValue, len(bodies))
	// Attribute names and values count; a list adds 3 bytes and 1 per element, a number at most its digits.
	size := len("eventId") + len(id) + len("kind") + len(batchKind) + len("expiresAt") + len(expires) + len("envelopes") + 3
	for i, b := range bodies {
		list[i] = &types.AttributeValueMemberS{Value: b}
		size += len(b) + 1
	}
	if size > maxItemBytes {
		return nil, fmt.Errorf("dynamo: an outbox batch of %d events is %d bytes; an item holds at most %d", len(bodies), size, maxItemBytes)
	}
	return map[string]types.AttributeValue{
		"eventId":   &types.AttributeValueMemberS{Value: id},
		"kind":      &types.AttributeValueMemberS{Value: batchKind},
		"envelopes": &types.AttributeValueMemberL{Value: list},
		"expiresAt": &types.AttributeValueMemberN{Value: expires},
	}, nil
}

// OutboxOrderIndex is the outbox's index of the items by the order their events are about (orderId,
// sorted by eventId, a ULID, so by time): an admin's story of one order reads its events there
// (internal/story) rather than scanning the table. It is sparse: an item whose events are about no
// order, or about several (a batch of stock alerts), has no orderId and is not in it.
const OutboxOrderIndex = "ByOrder"

// outboxPut puts an outbox item, keyed for OutboxOrderIndex when all its events are about one order.
func outboxPut(table string, item map[string]types.AttributeValue, envs []event.Envelope) types.TransactWriteItem {
	if id := oneOrder(envs); id != "" {
		item["orderId"] = &types.AttributeValueMemberS{Value: id}
	}
	return types.TransactWriteItem{Put: &types.Put{
		TableName: aws.String(table),
		Item:      item,
		// An event id is never reused; a collision must fail the transaction, not overwrite history.
		ConditionExpression: aws.String("attribute_not_exists(eventId)"),
	}}
}

// oneOrder is the order all the events are about, or "" when there is none or more than one.
func oneOrder(envs []event.Envelope) string {
	id := ""
	for i, env := range envs {
		o := env.OrderID()
		if o == "" || (i > 0 && o != id) {
			return ""
		}
		id = o
	}
	return id
}
