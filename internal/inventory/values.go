// Package inventory holds the Inventory aggregate (one catalog item and its stock) and its value objects.
// Stock moves only through methods given an order's reservation of the item, whose state says what
// already happened, so AWS's at-least-once retries can repeat any of them without moving stock twice.
package inventory

import (
	"errors"
	"fmt"

	"github.com/orion-oss/orion/internal/validation"
)

// SKU identifies a catalog item: 1-64 characters of A-Z, 0-9, '-' and '_'. SKUs are case-sensitive and
// upper case by rule rather than normalised, so a URL path and a stored key can never disagree.
type SKU string

// MaxSKULength bounds SKUs (they are DynamoDB keys and URL path segments).
const MaxSKULength = 64

// ParseSKU validates a SKU.
func ParseSKU(s string) (SKU, error) {
	if s == "" {
		return "", validation.New("sku", "is required")
	}
	if len(s) > MaxSKULength {
		return "", validation.New("sku", "must be at most %d characters", MaxSKULength)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return "", validation.New("sku", "may contain only A-Z, 0-9, '-' and '_'")
		}
	}
	return SKU(s), nil
}

func (s SKU) String() string { return string(s) }

// Quantity is a non-negative count of units, at most MaxQuantity.
type Quantity int64

// MaxQuantity bounds every stock figure; far above any real stock, far below int64 overflow.
const MaxQuantity Quantity = 1_000_000_000

// ErrQuantityRange means a quantity or the result of quantity arithmetic left [0, MaxQuantity].
var ErrQuantityRange = errors.New("inventory: quantity out of range")

// NewQuantity validates n.
func NewQuantity(n int64) (Quantity, error) {
	if n < 0 || n > int64(MaxQuantity) {
		return 0, fmt.Errorf("%w: %d", ErrQuantityRange, n)
	}
	return Quantity(n), nil
}

// Add returns q+o, failing past MaxQuantity.
func (q Quantity) Add(o Quantity) (Quantity, error) { return NewQuantity(int64(q) + int64(o)) }

// Sub returns q-o, failing below zero.
func (q Quantity) Sub(o Quantity) (Quantity, error) { return NewQuantity(int64(q) - int64(o)) }

// Int64 is the count.
func (q Quantity) Int64() int64 { return int64(q) }
