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

// outboxPuts wraps payloads in envelopes and returns the outbox writes for a transaction. Event ids are
// ULIDs, so they sort by time within the outbox.
func outboxPuts(table string, payloads []event.Payload, m event.Cause, now time.Time) ([]types.TransactWriteItem, []event.Envelope, error) {
	var writes []types.TransactWriteItem
	var envs []event.Envelope
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
		writes = append(writes, types.TransactWriteItem{Put: &types.Put{
			TableName: aws.String(table),
			Item: map[string]types.AttributeValue{
				"eventId":   &types.AttributeValueMemberS{Value: env.ID},
				"type":      &types.AttributeValueMemberS{Value: env.Type},
				"source":    &types.AttributeValueMemberS{Value: env.Source},
				"envelope":  &types.AttributeValueMemberS{Value: string(body)},
				"expiresAt": &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(OutboxRetention).Unix(), 10)},
			},
			// An event id is never reused; a collision must fail the transaction, not overwrite history.
			ConditionExpression: aws.String("attribute_not_exists(eventId)"),
		}})
		envs = append(envs, env)
	}
	return writes, envs, nil
}
