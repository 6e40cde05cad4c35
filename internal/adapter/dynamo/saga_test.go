package dynamo_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/order"
)

func placeOrder(t *testing.T, repo *dynamo.OrderRepository, lines ...order.Line) order.ID {
	t.Helper()
	id, _ := order.NewID(time.Now(), nil)
	o, evs, err := order.New(id, "cust", lines, "tok_visa", nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	err = repo.Place(context.Background(), o, command.Remembered{RequestHash: "h", OrderID: id}, string(id), evs, event.Cause{CorrelationID: "c"})
	if errors.Is(err, command.ErrKeyTaken) {
		// The SDK retried a transaction whose answer was lost under load: the emulator ignores the
		// ClientRequestToken that makes this retry a no-op on DynamoDB. The order is there all the same.
		_, err = repo.Get(context.Background(), id)
	}
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// stockStep is one of the domain's stock steps through the store, as the saga's steps run it.
func stockStep(s *dynamo.Saga, step *order.StockStep) func(context.Context, order.ID, event.Cause) (*order.Order, error) {
	return func(ctx context.Context, id order.ID, cause event.Cause) (*order.Order, error) {
		return s.UpdateOrderStock(ctx, id, cause, step.Applies, func(o *order.Order, st *inventory.OrderStock) ([]event.Payload, error) {
			return step.Apply(o, st, time.Now())
		})
	}
}

func line(t *testing.T, sku string, qty int64) order.Line {
	t.Helper()
	price, _ := money.New(100, "USD")
	l, err := order.NewLine(inventory.SKU(sku), "x", qty, price)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// No oversell: 50 concurrent one-unit orders against a stock of 10 end with exactly 10 reserved.
func TestReserveStockNeverOversells(t *testing.T) {
	ctx := context.Background()
	db, tables := newTables(t)
	items, orders, saga := dynamo.NewInventoryRepository(db, tables), dynamo.NewOrderRepository(db, tables), dynamo.NewSaga(db, tables)
	it, evs := widget(t, "HOT-1", 10)
	if err := items.Create(ctx, it, evs, event.Cause{CorrelationID: "c"}); err != nil {
		t.Fatal(err)
	}
	ids := make([]order.ID, 50)
	for i := range ids {
		ids[i] = placeOrder(t, orders, line(t, "HOT-1", 1))
	}
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for { // the saga's Retry on a lasting conflict
				_, err := stockStep(saga, order.ReserveStock)(ctx, id, event.Cause{CorrelationID: "c"})
				if !errors.Is(err, dynamo.ErrConflict) {
					if err != nil {
						t.Error(err)
					}
					return
				}
			}
		}()
	}
	wg.Wait()
	counts := map[order.Status]int{}
	for _, id := range ids {
		o, err := orders.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		counts[o.Status()]++
		if o.Status() == order.Rejected && o.Reason() != order.OutOfStock {
			t.Fatalf("rejected for %s", o.Reason())
		}
		// Only a reserved order has a reservation, and a rejected one has no record at all.
		h, ok := heldBy(t, db, tables, id)
		if want := o.Status() == order.Reserved; ok != want || (ok && (h.SKUs["HOT-1"] != heldLine{Quantity: 1, State: "RESERVED"} || h.Version != 1)) {
			t.Fatalf("%s order %s: reservations %+v %v", o.Status(), id, h, ok)
		}
	}
	got, _ := items.Get(ctx, "HOT-1")
	if counts[order.Reserved] != 10 || counts[order.Rejected] != 40 || got.Available() != 0 || got.Reserved() != 10 {
		t.Fatalf("statuses %v, available %d, reserved %d", counts, got.Available(), got.Reserved())
	}
	// A repeated step changes nothing.
	before, _ := orders.Get(ctx, ids[0])
	after, err := stockStep(saga, order.ReserveStock)(ctx, ids[0], event.Cause{CorrelationID: "c"})
	if err != nil || after.Version() != before.Version() {
		t.Fatalf("repeat: v%d -> v%d %v", before.Version(), after.Version(), err)
	}
}

// All or nothing: when one line is short, no line is reserved.
func TestReserveStockAllOrNothing(t *testing.T) {
	ctx := context.Background()
	db, tables := newTables(t)
	items, orders, saga := dynamo.NewInventoryRepository(db, tables), dynamo.NewOrderRepository(db, tables), dynamo.NewSaga(db, tables)
	for sku, n := range map[string]inventory.Quantity{"A-1": 5, "B-1": 1} {
		it, evs := widget(t, sku, n)
		if err := items.Create(ctx, it, evs, event.Cause{CorrelationID: "c"}); err != nil {
			t.Fatal(err)
		}
	}
	id := placeOrder(t, orders, line(t, "A-1", 2), line(t, "B-1", 3))
	o, err := stockStep(saga, order.ReserveStock)(ctx, id, event.Cause{CorrelationID: "c"})
	if err != nil || o.Status() != order.Rejected {
		t.Fatalf("order %v %v", o, err)
	}
	for sku, want := range map[inventory.SKU]inventory.Quantity{"A-1": 5, "B-1": 1} {
		it, _ := items.Get(ctx, sku)
		if it.Available() != want || it.Reserved() != 0 {
			t.Fatalf("%s: available %d reserved %d; nothing may be held", sku, it.Available(), it.Reserved())
		}
	}
	// The outbox holds the rejection and the shortage, and the reservation event of a fitting order
	// carries the stock figures for the catalog view.
	ok := placeOrder(t, orders, line(t, "A-1", 2))
	if _, err := stockStep(saga, order.ReserveStock)(ctx, ok, event.Cause{CorrelationID: "c"}); err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, env := range outbox(t, db, tables.Outbox) {
		if env.Type != event.TypeInventoryReserved {
			continue
		}
		p, _ := env.Payload()
		r := p.(*event.InventoryReserved)
		if r.OrderID == string(ok) {
			found = r.Lines[0].Available != nil && *r.Lines[0].Available == 3 && r.Lines[0].ItemVersion > 1
			if !found {
				t.Fatalf("stock line %+v", r.Lines[0])
			}
		}
	}
	if !found {
		t.Fatal("no InventoryReserved for the fitting order")
	}
}

// The stock moves of the saga's paths keep stock conserved, and every step repeated does nothing.
func TestStockMovesThroughTheSaga(t *testing.T) {
	ctx := context.Background()
	db, tables := newTables(t)
	items, orders, saga := dynamo.NewInventoryRepository(db, tables), dynamo.NewOrderRepository(db, tables), dynamo.NewSaga(db, tables)
	it, evs := widget(t, "FLOW-1", 10)
	if err := items.Create(ctx, it, evs, event.Cause{CorrelationID: "c"}); err != nil {
		t.Fatal(err)
	}
	cause := event.Cause{CorrelationID: "c"}
	stock := func() (int64, int64, int64) {
		it, _ := items.Get(ctx, "FLOW-1")
		return it.Available().Int64(), it.Reserved().Int64(), it.Sold().Int64()
	}
	twice := func(step func(context.Context, order.ID, event.Cause) (*order.Order, error), id order.ID) *order.Order {
		t.Helper()
		o, err := step(ctx, id, cause)
		if err != nil {
			t.Fatal(err)
		}
		again, err := step(ctx, id, cause)
		if err != nil || again.Version() != o.Version() {
			t.Fatalf("repeat moved v%d -> v%d: %v", o.Version(), again.Version(), err)
		}
		return o
	}
	authorize := func(id order.ID) {
		if _, err := orders.Update(ctx, id, cause, func(o *order.Order) ([]event.Payload, error) {
			evs, err := o.AuthorizePayment("auth-1", time.Now())
			if err != nil {
				return nil, err
			}
			more, err := o.CapturePayment("cap-1", time.Now()) // the saga captures before it confirms
			return append(evs, more...), err
		}); err != nil {
			t.Fatal(err)
		}
	}

	// The order's reservation of the item, as stored beside it.
	holds := func(id order.ID, state string, version int64) {
		t.Helper()
		h, _ := heldBy(t, db, tables, id)
		if h.SKUs["FLOW-1"].State != state || h.Version != version {
			t.Fatalf("reservation of %s: %+v; want %s at v%d", id, h, state, version)
		}
	}

	// Declined payment: reserve, then release.
	a := placeOrder(t, orders, line(t, "FLOW-1", 3))
	twice(stockStep(saga, order.ReserveStock), a)
	if av, rs, _ := stock(); av != 7 || rs != 3 {
		t.Fatalf("after reserve: %d/%d", av, rs)
	}
	holds(a, "RESERVED", 1)
	twice(stockStep(saga, order.ReleaseStock), a)
	if av, rs, _ := stock(); av != 10 || rs != 0 {
		t.Fatalf("after release: %d/%d", av, rs)
	}
	holds(a, "RELEASED", 2)

	// Confirmed, then cancelled: reserve, authorize, confirm, refund, return.
	b := placeOrder(t, orders, line(t, "FLOW-1", 4))
	twice(stockStep(saga, order.ReserveStock), b)
	authorize(b)
	if o := twice(stockStep(saga, order.ConfirmStock), b); o.Status() != order.Confirmed {
		t.Fatalf("confirm: %s", o.Status())
	}
	if av, rs, sold := stock(); av != 6 || rs != 0 || sold != 4 {
		t.Fatalf("after confirm: %d/%d/%d", av, rs, sold)
	}
	holds(b, "COMMITTED", 2)
	if _, err := orders.Update(ctx, b, cause, func(o *order.Order) ([]event.Payload, error) {
		evs, err := o.RequestCancellation(order.ByCustomer, time.Now())
		if err != nil {
			return nil, err
		}
		more, err := o.RefundPayment("re-1", time.Now())
		return append(evs, more...), err
	}); err != nil {
		t.Fatal(err)
	}
	twice(stockStep(saga, order.ReturnStock), b)
	if av, rs, sold := stock(); av != 10 || rs != 0 || sold != 0 {
		t.Fatalf("after return: %d/%d/%d", av, rs, sold)
	}
	holds(b, "RETURNED", 3)

	// A cancellation pending before confirmation stops the confirm step.
	c := placeOrder(t, orders, line(t, "FLOW-1", 1))
	twice(stockStep(saga, order.ReserveStock), c)
	authorize(c)
	if _, err := orders.Update(ctx, c, cause, func(o *order.Order) ([]event.Payload, error) { return o.RequestCancellation(order.ByAdmin, time.Now()) }); err != nil {
		t.Fatal(err)
	}
	if _, err := stockStep(saga, order.ConfirmStock)(ctx, c, cause); !errors.Is(err, order.ErrCancellationRequested) {
		t.Fatalf("confirm with a cancellation pending: %v", err)
	}
	if av, rs, _ := stock(); av != 9 || rs != 1 {
		t.Fatalf("a refused confirm moved stock: %d/%d", av, rs)
	}
	holds(c, "RESERVED", 1)
}

// Every payment field of the order survives storage: the pending action and the task token of a
// payment awaiting the customer, and the decline, void, capture and refund of compensation. The
// token is written conditionally like any change (a stale writer rereads and decides again).
func TestOrderPaymentRoundTrips(t *testing.T) {
	ctx := context.Background()
	db, tables := newTables(t)
	orders := dynamo.NewOrderRepository(db, tables)
	cause := event.Cause{CorrelationID: "c"}
	steps := []func(o *order.Order) ([]event.Payload, error){
		func(o *order.Order) ([]event.Payload, error) { return o.MarkReserved(time.Now()) },
		func(o *order.Order) ([]event.Payload, error) {
			return o.RequirePaymentAction("pi_1", order.PaymentAction{Type: "redirect_to_url", RedirectURL: "https://bank.example/3ds"}, time.Now())
		},
		func(o *order.Order) ([]event.Payload, error) {
			_, err := o.AwaitPaymentAction("token-1", time.Now())
			return nil, err
		},
		func(o *order.Order) ([]event.Payload, error) { return o.CompletePaymentAction("pi_1", time.Now()) },
		func(o *order.Order) ([]event.Payload, error) { return o.CapturePayment("ch_1", time.Now()) },
		func(o *order.Order) ([]event.Payload, error) { return o.RequestCancellation(order.ByAdmin, time.Now()) },
		func(o *order.Order) ([]event.Payload, error) { return o.RefundPayment("re_1", time.Now()) },
	}
	id := placeOrder(t, orders, line(t, "PAY-1", 1))
	for i, step := range steps {
		want, err := orders.Update(ctx, id, cause, step)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		got, err := orders.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Snapshot(), want.Snapshot()) {
			t.Fatalf("step %d: stored\n%+v\nwant\n%+v", i, got.Snapshot(), want.Snapshot())
		}
	}
	p := mustGet(t, orders, id).Payment()
	if p.TaskToken != "token-1" || p.CaptureID != "ch_1" || p.RefundID != "re_1" || p.Action.Pending() {
		t.Fatalf("payment %+v", p)
	}

	declined := placeOrder(t, orders, line(t, "PAY-2", 1))
	for _, step := range []func(o *order.Order) ([]event.Payload, error){
		func(o *order.Order) ([]event.Payload, error) { return o.MarkReserved(time.Now()) },
		func(o *order.Order) ([]event.Payload, error) { return o.AuthorizePayment("pi_2", time.Now()) },
		func(o *order.Order) ([]event.Payload, error) { return o.DeclineCapture("capture_declined", time.Now()) },
		func(o *order.Order) ([]event.Payload, error) { return o.VoidPayment(time.Now()) },
	} {
		if _, err := orders.Update(ctx, declined, cause, step); err != nil {
			t.Fatal(err)
		}
	}
	if p := mustGet(t, orders, declined).Payment(); p.DeclineCode != "capture_declined" || !p.Voided {
		t.Fatalf("payment %+v", p)
	}
}

func mustGet(t *testing.T, orders *dynamo.OrderRepository, id order.ID) *order.Order {
	t.Helper()
	o, err := orders.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return o
}
