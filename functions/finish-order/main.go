// Command finish-order is the order saga's step saga.Steps.Finish: end a compensated order REJECTED, CANCELLED or FAILED.
package main

import (
	"github.com/orion-oss/orion/internal/saga"
	"github.com/orion-oss/orion/internal/saga/sagalambda"
)

func main() { sagalambda.Start("finish-order", (*saga.Steps).Finish) }
