package command

import (
	"errors"

	"github.com/orion-oss/orion/internal/order"
)

// ErrKeyTaken is what the order repository returns when another request stored the same
// Idempotency-Key first (internal/command.PlaceOrderHandler answers it with the first response).
var ErrKeyTaken = errors.New("command: idempotency key taken concurrently")

// Remembered is the request that created an order, stored under its Idempotency-Key in the same
// transaction as the order, so that a repeat is answered from it and creates nothing.
type Remembered struct {
	RequestHash string
	OrderID     order.ID
	Response    []byte
}
