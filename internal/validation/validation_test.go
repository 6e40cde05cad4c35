package validation_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/orion-oss/orion/internal/validation"
)

func TestCollectorPaths(t *testing.T) {
	var c validation.Collector
	c.Add("paymentToken", "is required")
	c.Merge("items[0]", validation.New("quantity", "must be between %d and %d", 1, 1000))
	c.Merge(validation.Index("items", 2), validation.Errors{{Field: "sku", Message: "bad"}, {Field: "[0]", Message: "x"}})
	c.Merge("shippingAddress", errors.New("plain"))
	c.Merge("ignored", nil)
	err := c.Err()
	var ve validation.Errors
	if !errors.As(err, &ve) || !errors.Is(err, validation.ErrInvalid) {
		t.Fatalf("err = %v", err)
	}
	want := "[{paymentToken is required} {items[0].quantity must be between 1 and 1000} {items[2].sku bad} {items[2][0] x} {shippingAddress plain}]"
	if got := fmt.Sprint([]validation.Problem(ve)); got != want {
		t.Fatalf("problems = %s\nwant       %s", got, want)
	}
	var empty validation.Collector
	if empty.Err() != nil {
		t.Fatal("an empty collector is an error")
	}
}
