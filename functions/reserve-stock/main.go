// Command reserve-stock is the order saga's step saga.Steps.Reserve: hold stock for every line of an order, or reject it OUT_OF_STOCK.
package main

import (
	"github.com/orion-oss/orion/internal/saga"
	"github.com/orion-oss/orion/internal/saga/sagalambda"
)

func main() { sagalambda.Start("reserve-stock", (*saga.Steps).Reserve) }
