// Command confirm-order is the order saga's step saga.Steps.Confirm: sell the held stock and confirm the order.
package main

import (
	"github.com/orion-oss/orion/internal/saga"
	"github.com/orion-oss/orion/internal/saga/sagalambda"
)

func main() { sagalambda.Start("confirm-order", (*saga.Steps).Confirm) }
