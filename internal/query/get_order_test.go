package query_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/query"
)

// orders fakes OrderReader.
type orders map[order.ID]*order.Order

func (f orders) Get(_ context.Context, id order.ID) (*order.Order, error) {
	if o, ok := f[id]; ok {
		return o, nil
	}
	return nil, fmt.Errorf("%w: %s", order.ErrNotFound, id)
}

func TestGetOrder(t *testing.T) {
	now := time.Now()
	id, _ := order.NewID(now, nil)
	price, _ := money.New(500, "USD")
	l, _ := order.NewLine("MUG-1", "Mug", 1, price)
	o, _, err := order.New(id, "ann", []order.Line{l}, "tok_visa", nil, now)
	if err != nil {
		t.Fatal(err)
	}
	h := query.NewGetOrderHandler(orders{id: o})
	tests := []struct {
		name   string
		id     order.ID
		caller customer.ID
		admin  bool
		found  bool
	}{
		{name: "owner", id: id, caller: "ann", found: true},
		{name: "admin", id: id, caller: "root", admin: true, found: true},
		{name: "another customer: as if there were none", id: id, caller: "bob"},
		{name: "no such order", id: "01JDQ7Z3M6X9V0YB2C4D5E6F7G", caller: "ann"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := h.Handle(context.Background(), query.GetOrder{OrderID: tt.id, Caller: tt.caller, Admin: tt.admin})
			if tt.found && (err != nil || got.ID() != id) {
				t.Fatalf("got %v %v; want the order", got, err)
			}
			if !tt.found && (!errors.Is(err, order.ErrNotFound) || got != nil) {
				t.Fatalf("got %v %v; want order.ErrNotFound", got, err)
			}
		})
	}
}
