// Command authorize-payment is the order saga's step saga.Steps.Authorize: authorize the order total with the payment provider.
package main

import (
	"github.com/orion-oss/orion/internal/saga"
	"github.com/orion-oss/orion/internal/saga/sagalambda"
)

func main() { sagalambda.Start("authorize-payment", (*saga.Steps).Authorize) }
