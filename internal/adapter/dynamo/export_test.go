package dynamo

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
)

// ErrCondition is errCondition for the package's external tests.
var ErrCondition = errCondition

// OutboxPuts is outboxPuts for the package's external tests.
var OutboxPuts = outboxPuts

// MoveStock is the stock half of a saga step, for tests of its conditions alone: it reads the items of
// an order's lines and its reservations of them as a step does, applies move, lets between run
// (another writer), then writes the moves (without the order) conditional on what it read.
func MoveStock(ctx context.Context, db *dynamodb.Client, t Tables, orderID string, lines []inventory.Line,
	move func(*inventory.OrderStock) error, between func()) error {
	s, err := NewInventoryRepository(db, t).orderStock(ctx, orderID, lines)
	if err != nil {
		return err
	}
	if err := move(s.OrderStock); err != nil {
		return err
	}
	between()
	writes, err := s.writes(t, time.Now())
	if err != nil || len(writes) == 0 {
		return err
	}
	return writeWithEvents(ctx, db, t.Outbox, writes, nil, event.Cause{}, time.Now())
}
