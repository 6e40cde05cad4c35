// Package tables names Orion's DynamoDB tables. It is apart from package dynamo so that reading the
// names does not link the DynamoDB client: every function's boot reads them (internal/platform/boot),
// and a function that never talks to DynamoDB should not pay for the client's package initialization
// at each cold start.
package tables

import (
	"fmt"
	"os"
)

// Names are the physical names of the command side's tables, from the functions' environment
// (template.yaml Globals). The query side's and the consumers' tables (projections, processed events,
// connections) are one per function: their mains read them with boot.Require.
type Names struct {
	Orders, Inventory, Reservations, Outbox string
}

// FromEnv reads the table names; a missing one is a deployment error reported at init.
func FromEnv() (Names, error) {
	t := Names{Orders: os.Getenv("ORDERS_TABLE"), Inventory: os.Getenv("INVENTORY_TABLE"), Reservations: os.Getenv("RESERVATIONS_TABLE"),
		Outbox: os.Getenv("OUTBOX_TABLE")}
	for name, v := range map[string]string{"ORDERS_TABLE": t.Orders, "INVENTORY_TABLE": t.Inventory, "RESERVATIONS_TABLE": t.Reservations,
		"OUTBOX_TABLE": t.Outbox} {
		if v == "" {
			return t, fmt.Errorf("dynamo: %s is not set", name)
		}
	}
	return t, nil
}
