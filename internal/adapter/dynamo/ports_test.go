package dynamo_test

import (
	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/query"
)

// The ports of the use cases this adapter implements (checked here rather than in the adapter's own
// files, so that functions linking the adapter for other ports do not link package command).
var (
	_ command.NewOrders    = (*dynamo.OrderRepository)(nil)
	_ command.OrderUpdater = (*dynamo.OrderRepository)(nil)
	_ command.Catalog      = (*dynamo.InventoryRepository)(nil)
	_ command.Items        = (*dynamo.InventoryRepository)(nil)
	_ query.OrderReader    = (*dynamo.OrderRepository)(nil)
	_ query.ItemReader     = (*dynamo.InventoryRepository)(nil)
	_ query.OrderViews     = (*dynamo.Projections)(nil)
	_ query.CatalogViews   = (*dynamo.Projections)(nil)
)
