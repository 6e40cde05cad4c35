// Package storyread reads an order's events and emails for its story (internal/story's ports) from
// DynamoDB: the outbox's ByOrder index and the send-email function's inbox. Apart from package dynamo so
// that only the story's function links the story's types.
package storyread

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/story"
)

// emailConsumer is the send-email function's name in the inbox (email.Consumer, which this package
// does not import: only the mailers link internal/email; a test keeps the two equal).
const emailConsumer = "email"

// Events reads an order's events from the outbox's ByOrder index (dynamo.OutboxOrderIndex). The
// outbox keeps items 15 days (dynamo.OutboxRetention): an older order's story has its statuses, steps
// and emails but no events.
type Events struct {
	DB     *dynamodb.Client
	Outbox string // the outbox table's name
}

// OfOrder returns the order's events, oldest first, at most limit of them.
func (e Events) OfOrder(ctx context.Context, id order.ID, limit int) ([]event.Envelope, error) {
	var out []event.Envelope
	p := dynamodb.NewQueryPaginator(e.DB, &dynamodb.QueryInput{
		TableName:                 aws.String(e.Outbox),
		IndexName:                 aws.String(dynamo.OutboxOrderIndex),
		KeyConditionExpression:    aws.String("orderId = :id"),
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":id": &ddbtypes.AttributeValueMemberS{Value: string(id)}},
	})
	for p.HasMorePages() && len(out) < limit {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("storyread: outbox: %w", err)
		}
		for _, it := range page.Items {
			for _, raw := range Envelopes(it) {
				var env event.Envelope
				if json.Unmarshal([]byte(raw), &env) != nil || env.OrderID() != string(id) {
					continue // not this order's: the index holds only items about one order, but a doubt shows less
				}
				out = append(out, env)
			}
		}
	}
	// A batch item's key is its first event's time; its events may tie with the next item's.
	sort.SliceStable(out, func(i, j int) bool { return out[i].OccurredAt.Before(out[j].OccurredAt) })
	return out[:min(limit, len(out))], nil
}

// Envelopes are the events of an outbox item: its envelope, or those of a batch item (a transaction
// whose events did not fit DynamoDB's 100 items one per item, internal/adapter/dynamo's outboxPuts).
func Envelopes(item map[string]ddbtypes.AttributeValue) []string {
	if s, ok := item["envelope"].(*ddbtypes.AttributeValueMemberS); ok {
		return []string{s.Value}
	}
	l, _ := item["envelopes"].(*ddbtypes.AttributeValueMemberL)
	if l == nil {
		return nil
	}
	var out []string
	for _, v := range l.Value {
		if s, ok := v.(*ddbtypes.AttributeValueMemberS); ok {
			out = append(out, s.Value)
		}
	}
	return out
}

// Emails reads the send-email function's inbox records of events (pk email#<eventId>, inbox.Store):
// the outcome it recorded (SENT:<SES message id>, SKIPPED:<reason>, ...) and when. The inbox keeps no
// recipient or subject: SES's message id is the link to the delivery's own records (its event
// destination, docs/operations.md).
type Emails struct {
	DB    *dynamodb.Client
	Inbox string // the processed-events table's name
}

// batchGetMax is BatchGetItem's limit of keys per request
// (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html).
const batchGetMax = 100

// Of returns the records of those events the function handled (DONE) or is handling (IN_PROGRESS).
func (e Emails) Of(ctx context.Context, eventIDs []string) ([]story.Email, error) {
	var out []story.Email
	for start := 0; start < len(eventIDs); start += batchGetMax {
		var keys []map[string]ddbtypes.AttributeValue
		for _, id := range eventIDs[start:min(start+batchGetMax, len(eventIDs))] {
			keys = append(keys, map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: emailConsumer + "#" + id}})
		}
		// BatchGetItem may return some keys unprocessed (throttling, 16 MB): ask again for those, a
		// few times, as the API reference says to.
		req := map[string]ddbtypes.KeysAndAttributes{e.Inbox: {Keys: keys, ConsistentRead: aws.Bool(true)}}
		for try := 0; len(req) > 0; try++ {
			if try == 5 {
				return nil, fmt.Errorf("storyread: inbox: %d keys still unprocessed", len(req[e.Inbox].Keys))
			}
			if try > 0 {
				select {
				case <-ctx.Done():
					return nil, ctx.Err()
				case <-time.After(time.Duration(50<<try) * time.Millisecond):
				}
			}
			res, err := e.DB.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				return nil, fmt.Errorf("storyread: inbox: %w", err)
			}
			for _, it := range res.Responses[e.Inbox] {
				if m, ok := record(it); ok {
					out = append(out, m)
				}
			}
			req = res.UnprocessedKeys
		}
	}
	return out, nil
}

// record reads one inbox record.
func record(it map[string]ddbtypes.AttributeValue) (story.Email, bool) {
	s := func(k string) string {
		v, _ := it[k].(*ddbtypes.AttributeValueMemberS)
		if v == nil {
			return ""
		}
		return v.Value
	}
	id, ok := strings.CutPrefix(s("pk"), emailConsumer+"#")
	if !ok {
		return story.Email{}, false
	}
	m := story.Email{EventID: id, Outcome: s("outcome")}
	at := s("completedAt")
	if s("status") != "DONE" {
		m.Outcome, at = s("status"), s("claimedAt")
	}
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil || m.Outcome == "" {
		return story.Email{}, false
	}
	m.At = t
	return m, true
}
