// Command release-stock is the order saga's step saga.Steps.Release: give reserved stock back (compensation before confirmation).
package main

import (
	"github.com/orion-oss/orion/internal/saga"
	"github.com/orion-oss/orion/internal/saga/sagalambda"
)

func main() { sagalambda.Start("release-stock", (*saga.Steps).Release) }
