// Command return-stock is the order saga's step saga.Steps.Return: give a cancelled confirmed order's sold stock back.
package main

import (
	"github.com/orion-oss/orion/internal/saga"
	"github.com/orion-oss/orion/internal/saga/sagalambda"
)

func main() { sagalambda.Start("return-stock", (*saga.Steps).Return) }
