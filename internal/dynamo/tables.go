// Package dynamo holds Orion's DynamoDB adapters: the repositories of the Order and Inventory aggregates
// and the transactional outbox they write their events to. Every change is one conditional
// TransactWriteItems of the aggregate (checked against the version it was read at) and its events, so
// an event exists exactly when its state change does.
package dynamo

import (
	"errors"
	"fmt"
	"os"
	"time"
)

// Errors callers check with errors.Is.
var (
	// ErrConflict means other writers kept changing the aggregate between our reads and writes, beyond
	// the repository's own retries (optimistic locking under heavy contention).
	ErrConflict = errors.New("dynamo: concurrent modification")
)

// Tables are the physical table names, from the functions' environment (template.yaml Globals).
type Tables struct {
	Orders, Inventory, Reservations, Outbox, Projections, ProcessedEvents, Connections string
}

// TablesFromEnv reads the table names; a missing one is a deployment error reported at init.
func TablesFromEnv() (Tables, error) {
	t := Tables{Orders: os.Getenv("ORDERS_TABLE"), Inventory: os.Getenv("INVENTORY_TABLE"), Reservations: os.Getenv("RESERVATIONS_TABLE"),
		Outbox: os.Getenv("OUTBOX_TABLE"), Projections: os.Getenv("PROJECTIONS_TABLE"), ProcessedEvents: os.Getenv("PROCESSED_EVENTS_TABLE"),
		Connections: os.Getenv("CONNECTIONS_TABLE")}
	for name, v := range map[string]string{"ORDERS_TABLE": t.Orders, "INVENTORY_TABLE": t.Inventory, "RESERVATIONS_TABLE": t.Reservations,
		"OUTBOX_TABLE": t.Outbox} {
		if v == "" {
			return t, fmt.Errorf("dynamo: %s is not set", name)
		}
	}
	return t, nil
}

// OutboxRetention is how long outbox items live; the Pipe reads them within seconds.
const OutboxRetention = 7 * 24 * time.Hour
