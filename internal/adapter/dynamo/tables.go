// Package dynamo holds Orion's DynamoDB adapters: the repositories of the Order and Inventory aggregates
// and the transactional outbox they write their events to. Every change is one conditional
// TransactWriteItems of the aggregate (checked against the version it was read at) and its events, so
// an event exists exactly when its state change does.
package dynamo

import (
	"time"

	"github.com/orion-oss/orion/internal/adapter/dynamo/tables"
)

// Errors callers check with errors.Is.
var (
	// ErrConflict means other writers kept changing the aggregate between our reads and writes, beyond
	// the repository's own retries (optimistic locking under heavy contention). It reports Busy, so the
	// HTTP layer can answer "retry" without importing this package.
	ErrConflict error = conflictError{}
)

type conflictError struct{}

func (conflictError) Error() string { return "dynamo: concurrent modification" }

// Busy marks a failure that a retry of the same request may not meet (web.Error answers 409 busy).
func (conflictError) Busy() bool { return true }

// Tables are the physical table names (package tables reads them from the environment, without
// linking this package).
type Tables = tables.Names

// OutboxRetention is how long outbox items live. The Pipes read them within seconds, but a batch they
// fail waits in their dead-letter queue, which keeps messages 14 days (template.yaml, the SQS maximum),
// and can only be redriven from the outbox (infra/orion/redrive): the items outlive every message that may
// need them, by a day.
const OutboxRetention = 15 * 24 * time.Hour
