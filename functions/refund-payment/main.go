// Command refund-payment is the order saga's step saga.Steps.Refund: give an authorized payment back (compensation).
package main

import (
	"github.com/orion-oss/orion/internal/saga"
	"github.com/orion-oss/orion/internal/saga/sagalambda"
)

func main() { sagalambda.Start("refund-payment", (*saga.Steps).Refund) }
