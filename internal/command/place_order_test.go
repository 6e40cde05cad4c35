package command_test

import (
	"context"
	"errors"
	"testing"

	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/validation"
)

func mug(t *testing.T) *inventory.Item {
	t.Helper()
	it, _, err := inventory.NewItem("MUG-1", inventory.Details{Name: "Mug", Price: usd(t, 1250)}, 10, 1)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

func place(hash string, lines ...command.OrderLine) command.PlaceOrder {
	return command.PlaceOrder{Customer: "cust-1", Key: "k-1", RequestHash: hash, PaymentToken: "tok_visa", Items: lines,
		Cause:  event.Cause{CorrelationID: "c"},
		Render: func(o *order.Order) ([]byte, error) { return []byte(o.ID()), nil }}
}

func TestPlaceOrderLooksUpTheKeyOnlyForRepeats(t *testing.T) {
	r := newOrders()
	cat := shelf{"MUG-1": mug(t)}
	h := command.NewPlaceOrderHandler(r, cat)
	cmd := func(hash string, qty int64) command.PlaceOrder {
		return place(hash, command.OrderLine{SKU: "MUG-1", Quantity: qty})
	}
	ctx := context.Background()
	first, replayed, err := h.Handle(ctx, cmd("h1", 2))
	if err != nil || replayed || r.rememberedN != 0 || len(r.byID) != 1 {
		t.Fatalf("first: %s %v %v; key reads %d, orders %d; want no key read", first, replayed, err, r.rememberedN, len(r.byID))
	}
	if len(r.events) != 1 {
		t.Fatalf("events %v; want the OrderPlaced", r.events)
	}
	if _, ok := r.events[0].(event.OrderPlaced); !ok {
		t.Fatalf("event %T; want OrderPlaced", r.events[0])
	}
	tests := []struct {
		name     string
		cmd      command.PlaceOrder
		before   func()
		replayed bool
		err      error
	}{
		{name: "the same request", cmd: cmd("h1", 2), replayed: true},
		{name: "another request under the key", cmd: cmd("h2", 3), err: command.ErrKeyMismatch},
		{name: "the same request after its item left the catalog", cmd: cmd("h1", 2), before: func() { delete(cat, "MUG-1") }, replayed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.before != nil {
				tt.before()
			}
			body, replayed, err := h.Handle(ctx, tt.cmd)
			if !errors.Is(err, tt.err) || replayed != tt.replayed || (tt.replayed && string(body) != string(first)) {
				t.Fatalf("got %s %v %v; want replayed %v err %v", body, replayed, err, tt.replayed, tt.err)
			}
			if len(r.byID) != 1 {
				t.Fatalf("%d orders; a repeat must create none", len(r.byID))
			}
		})
	}
}

// What a first request gets back when it cannot be placed, or when a concurrent request with its key
// won the transaction.
func TestPlaceOrderRefusals(t *testing.T) {
	mugLine := command.OrderLine{SKU: "MUG-1", Quantity: 1}
	tests := []struct {
		name     string
		cmd      command.PlaceOrder
		race     *command.Remembered
		replayed bool
		check    func(error) bool
	}{
		{name: "unknown sku", cmd: place("h", mugLine, command.OrderLine{SKU: "NOPE-1", Quantity: 1}),
			check: func(err error) bool {
				var u *command.UnknownItemsError
				return errors.As(err, &u) && len(u.Problems) == 1 && u.Problems[0].Field == "items[1].sku"
			}},
		{name: "line the order refuses", cmd: place("h", command.OrderLine{SKU: "MUG-1", Quantity: 0}),
			check: func(err error) bool {
				var ve validation.Errors
				return errors.As(err, &ve) && ve[0].Field == "items[0].quantity"
			}},
		{name: "the same request won the race", cmd: place("h", mugLine), race: &command.Remembered{RequestHash: "h", Response: []byte("first")},
			replayed: true, check: func(err error) bool { return err == nil }},
		{name: "another request won the race", cmd: place("h", mugLine), race: &command.Remembered{RequestHash: "other"},
			check: func(err error) bool { return errors.Is(err, command.ErrKeyMismatch) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newOrders()
			r.race = tt.race
			body, replayed, err := command.NewPlaceOrderHandler(r, shelf{"MUG-1": mug(t)}).Handle(context.Background(), tt.cmd)
			if !tt.check(err) || replayed != tt.replayed {
				t.Fatalf("got %q replayed %v err %v", body, replayed, err)
			}
			if tt.replayed && string(body) != "first" {
				t.Fatalf("replayed %q; want the winner's response", body)
			}
			if len(r.byID) != 0 {
				t.Fatalf("%d orders stored", len(r.byID))
			}
		})
	}
}
