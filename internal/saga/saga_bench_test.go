package saga_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/adapter/dynamo/dynamotest"
	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/payment"
	"github.com/orion-oss/orion/internal/saga"
)

// BenchmarkSteps measures each saga step over the real DynamoDB store on the local endpoint: ns/op is
// the step with its reads and transactions against the emulator (moto's latency dominates; on AWS a
// DynamoDB call takes single-digit milliseconds), allocs/op is the step's own work plus the SDK's.
// The steps before the measured one run with the timer stopped, each iteration on a fresh order.
func BenchmarkSteps(b *testing.B) {
	db, tables := dynamotest.Tables(b)
	store := dynamo.NewSaga(db, tables)
	orders, items := dynamo.NewOrderRepository(db, tables), dynamo.NewInventoryRepository(db, tables)
	steps := saga.NewSteps(store, payment.Sandbox{})
	ctx := context.Background()
	price, _ := money.New(1250, "USD")
	sku := inventory.SKU(fmt.Sprintf("BENCH-%d", time.Now().UnixNano()))
	it, evs, err := inventory.NewItem(sku, inventory.Details{Name: "bench", Price: price}, 1_000_000, 0)
	if err != nil {
		b.Fatal(err)
	}
	if err := items.Create(ctx, it, evs, cause); err != nil {
		b.Fatal(err)
	}
	place := func(b *testing.B) saga.Input {
		l, err := order.NewLine(sku, "bench", 1, price)
		if err != nil {
			b.Fatal(err)
		}
		id, _ := order.NewID(time.Now(), nil)
		o, evs, err := order.New(id, "cust-bench", []order.Line{l}, "tok_visa", nil, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		if err := orders.Place(ctx, o, command.Remembered{RequestHash: "h", OrderID: id}, string(id), evs, cause); err != nil {
			b.Fatal(err)
		}
		return saga.Input{OrderID: string(id), CorrelationID: "corr-bench", CausationID: "evt-placed", Lines: []saga.Line{{SKU: string(l.SKU), Quantity: l.Quantity.Int64()}}}
	}
	run := func(b *testing.B, in saga.Input, step saga.Step) {
		if _, err := step(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
	cases := []struct {
		name   string
		before []saga.Step
		step   saga.Step
	}{
		{"Reserve", nil, steps.Reserve},
		{"Authorize", []saga.Step{steps.Reserve}, steps.Authorize},
		{"Capture", []saga.Step{steps.Reserve, steps.Authorize}, steps.Capture},
		{"Confirm", []saga.Step{steps.Reserve, steps.Authorize, steps.Capture}, steps.Confirm},
		{"Release", []saga.Step{steps.Reserve}, steps.Release},
		{"Refund", []saga.Step{steps.Reserve, steps.Authorize, steps.Capture}, steps.Refund},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				in := place(b)
				for _, s := range c.before {
					run(b, in, s)
				}
				b.StartTimer()
				run(b, in, c.step)
			}
		})
	}
}
