package dynamo_test

import (
	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/projection"
	"github.com/orion-oss/orion/internal/query"
)

// The ports of the use cases this adapter implements, checked at compile time. (The adapter imports a
// port's package only where a port's signature names its types: command's idempotency record,
// projection's Result.)
var (
	_ command.NewOrders    = (*dynamo.OrderRepository)(nil)
	_ command.OrderUpdater = (*dynamo.OrderRepository)(nil)
	_ command.Catalog      = (*dynamo.InventoryRepository)(nil)
	_ command.Items        = (*dynamo.InventoryRepository)(nil)
	_ query.OrderReader    = (*dynamo.OrderRepository)(nil)
	_ query.ItemReader     = (*dynamo.InventoryRepository)(nil)
	_ query.OrderViews     = (*dynamo.Projections)(nil)
	_ query.CatalogViews   = (*dynamo.Projections)(nil)
	_ projection.Projector = (*dynamo.Projections)(nil)
)
