package dynamo_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/order"
)

// newOrder makes a PENDING order of a customer, not stored.
func newOrder(t *testing.T, c customer.ID, lines ...order.Line) (*order.Order, []event.Payload) {
	t.Helper()
	id, err := order.NewID(time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	o, evs, err := order.New(id, c, lines, "tok_visa", nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return o, evs
}

func placeWith(repo *dynamo.OrderRepository, o *order.Order, key string, evs []event.Payload) error {
	return repo.Place(context.Background(), o, command.Remembered{RequestHash: "h-" + key, OrderID: o.ID()}, key, evs, event.Cause{CorrelationID: "c"})
}

func holdsOf(t *testing.T, repo *dynamo.OrderRepository, c customer.ID) order.Hold {
	t.Helper()
	h, err := repo.Holds(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func countItems(t *testing.T, db *dynamodb.Client, table string) int {
	t.Helper()
	out, err := db.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(table), Select: types.SelectCount, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	return int(out.Count)
}

// A customer at either limit cannot place another order, and the refusal writes nothing: no order, no
// idempotency record, no event, the holds as they were. A replay of a key already stored is answered
// as a replay at the limit too, and counts nothing twice. Other customers are not affected.
func TestPlaceEnforcesTheCustomerLimits(t *testing.T) {
	db, tables := newTables(t)
	repo := dynamo.NewOrderRepository(db, tables).WithLimits(order.Limits{MaxOpenOrders: 2, MaxHeldUnits: 5})
	const ann, bob customer.ID = "ann", "bob"

	first, evs := newOrder(t, ann, line(t, "A-1", 2))
	if err := placeWith(repo, first, "k1", evs); err != nil {
		t.Fatal(err)
	}
	// A replay of k1 (a new order id, the same key) counts nothing.
	again, evs := newOrder(t, ann, line(t, "A-1", 2))
	if err := placeWith(repo, again, "k1", evs); !errors.Is(err, command.ErrKeyTaken) {
		t.Fatalf("replay: %v; want ErrKeyTaken", err)
	}
	if h := holdsOf(t, repo, ann); h != (order.Hold{Orders: 1, Units: 2}) {
		t.Fatalf("after one order and its replay: %+v", h)
	}

	tests := []struct {
		name  string
		units int64
		want  error
	}{
		{"more units than any customer may hold", 6, order.ErrOverLimit},
		{"units beyond what is left (2 held + 4 > 5)", 4, order.ErrLimitReached},
		{"fits exactly (2 + 3 = 5)", 3, nil},
		{"a third open order", 1, order.ErrLimitReached},
	}
	for _, tt := range tests {
		orders, outbox := countItems(t, db, tables.Orders), countItems(t, db, tables.Outbox)
		before := holdsOf(t, repo, ann)
		o, evs := newOrder(t, ann, line(t, "A-1", tt.units))
		err := placeWith(repo, o, "k-"+tt.name, evs)
		if (tt.want == nil) != (err == nil) || !errors.Is(err, tt.want) {
			t.Fatalf("%s: %v; want %v", tt.name, err, tt.want)
		}
		if err == nil {
			continue
		}
		if n, m := countItems(t, db, tables.Orders), countItems(t, db, tables.Outbox); n != orders || m != outbox {
			t.Fatalf("%s: refused but wrote: orders table %d -> %d items, outbox %d -> %d", tt.name, orders, n, outbox, m)
		}
		if h := holdsOf(t, repo, ann); h != before {
			t.Fatalf("%s: refused but holds %+v -> %+v", tt.name, before, h)
		}
		if _, err := repo.Remembered(context.Background(), ann, "k-"+tt.name); err != nil {
			t.Fatal(err)
		}
	}
	if h := holdsOf(t, repo, ann); h != (order.Hold{Orders: 2, Units: 5}) {
		t.Fatalf("at the limit: %+v", h)
	}
	// The replay of the first order is still a replay (not a refusal) now that ann is at the limit.
	if err := placeWith(repo, again, "k1", nil); !errors.Is(err, command.ErrKeyTaken) {
		t.Fatalf("replay at the limit: %v; want ErrKeyTaken", err)
	}
	other, evs := newOrder(t, bob, line(t, "A-1", 5))
	if err := placeWith(repo, other, "k1", evs); err != nil {
		t.Fatalf("another customer: %v", err)
	}
}

// The transition that ends an order's hold gives it back to the customer in the same transaction, and
// only once: every step below runs twice, as a Step Functions retry or a redelivered event repeats it,
// and the holds end at zero, not below.
func TestHoldEndsOnceWhateverEndsTheOrder(t *testing.T) {
	ctx := context.Background()
	db, tables := newTables(t)
	items, saga := dynamo.NewInventoryRepository(db, tables), dynamo.NewSaga(db, tables)
	repo := dynamo.NewOrderRepository(db, tables).WithLimits(order.Limits{MaxOpenOrders: 10, MaxHeldUnits: 100})
	it, evs := widget(t, "W-1", 3)
	if err := items.Create(ctx, it, evs, event.Cause{CorrelationID: "c"}); err != nil {
		t.Fatal(err)
	}
	cause := event.Cause{CorrelationID: "c"}
	at := time.Now()
	update := func(fn func(*order.Order) ([]event.Payload, error)) func(context.Context, order.ID) error {
		return func(ctx context.Context, id order.ID) error {
			_, err := saga.Update(ctx, id, cause, fn)
			return err
		}
	}
	stock := func(step *order.StockStep) func(context.Context, order.ID) error {
		return func(ctx context.Context, id order.ID) error {
			_, err := stockStep(saga, step)(ctx, id, cause)
			return err
		}
	}
	tests := []struct {
		name  string
		units int64
		steps []func(context.Context, order.ID) error
		want  order.Status
	}{
		{"rejected out of stock", 50, []func(context.Context, order.ID) error{stock(order.ReserveStock)}, order.Rejected},
		{"cancelled while pending", 1, []func(context.Context, order.ID) error{
			update(func(o *order.Order) ([]event.Payload, error) { return o.RequestCancellation(order.ByCustomer, at) }),
		}, order.Cancelled},
		{"failed after its stock went back", 1, []func(context.Context, order.ID) error{
			stock(order.ReserveStock), stock(order.ReleaseStock),
			update(func(o *order.Order) ([]event.Payload, error) { return o.Finish(order.Failed, order.SagaFailed, "", at) }),
		}, order.Failed},
		{"declined", 1, []func(context.Context, order.ID) error{
			stock(order.ReserveStock), stock(order.ReleaseStock),
			update(func(o *order.Order) ([]event.Payload, error) {
				return o.Finish(order.Rejected, order.PaymentDeclined, "card_declined", at)
			}),
		}, order.Rejected},
		{"confirmed", 1, []func(context.Context, order.ID) error{
			stock(order.ReserveStock),
			update(func(o *order.Order) ([]event.Payload, error) { return o.AuthorizePayment("auth-1", at) }),
			update(func(o *order.Order) ([]event.Payload, error) { return o.CapturePayment("cap-1", at) }),
			stock(order.ConfirmStock),
		}, order.Confirmed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := customer.ID(strings.ReplaceAll("cust-"+tt.name, " ", "-"))
			o, evs := newOrder(t, c, line(t, "W-1", tt.units))
			if err := placeWith(repo, o, "k", evs); err != nil {
				t.Fatal(err)
			}
			if h := holdsOf(t, repo, c); h != (order.Hold{Orders: 1, Units: tt.units}) {
				t.Fatalf("placed: holds %+v", h)
			}
			for i, step := range tt.steps {
				for try := range 2 {
					// A repeated cancellation of an order it ended is refused (409 to the client) and writes nothing.
					if err := step(ctx, o.ID()); err != nil && (try == 0 || !errors.Is(err, order.ErrTerminal)) {
						t.Fatalf("step %d, try %d: %v", i, try, err)
					}
				}
			}
			got, err := repo.Get(ctx, o.ID())
			if err != nil || got.Status() != tt.want {
				t.Fatalf("order %v %v; want %s", got, err, tt.want)
			}
			if h := holdsOf(t, repo, c); !h.IsZero() {
				t.Fatalf("%s: holds %+v; want none", tt.want, h)
			}
			// Ended, the customer may place orders up to the limit again.
			next, evs := newOrder(t, c, line(t, "W-1", 100))
			if err := placeWith(repo, next, "k2", evs); err != nil {
				t.Fatalf("after the end: %v", err)
			}
		})
	}
}

// An order stored before the limits existed ends without subtracting from a sum it was never added to.
func TestOrdersStoredBeforeTheLimitsSubtractNothing(t *testing.T) {
	ctx := context.Background()
	db, tables := newTables(t)
	repo, saga := dynamo.NewOrderRepository(db, tables), dynamo.NewSaga(db, tables)
	o, evs := newOrder(t, "old", line(t, "W-1", 2))
	if err := placeWith(repo, o, "k", evs); err != nil {
		t.Fatal(err)
	}
	// What the order's item looked like before: no countsTowardLimits, no holds item.
	key := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "ORDER#" + string(o.ID())}, "sk": &types.AttributeValueMemberS{Value: "ORDER"}}
	if _, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(tables.Orders), Key: key, UpdateExpression: aws.String("REMOVE countsTowardLimits")}); err != nil {
		t.Fatal(err)
	}
	holds := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "CUSTOMER#old"}, "sk": &types.AttributeValueMemberS{Value: "HOLDS"}}
	if _, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(tables.Orders), Key: holds}); err != nil {
		t.Fatal(err)
	}
	if _, err := saga.Update(ctx, o.ID(), event.Cause{CorrelationID: "c"}, func(o *order.Order) ([]event.Payload, error) {
		return o.RequestCancellation(order.ByCustomer, time.Now())
	}); err != nil {
		t.Fatal(err)
	}
	if h := holdsOf(t, repo, "old"); !h.IsZero() {
		t.Fatalf("holds %+v; want none", h)
	}
}

// Two (here eight) concurrent orders of one customer at the limit's edge: exactly one is placed, every
// other is refused, and the holds count the one.
func TestConcurrentPlacementsAtTheLimitOneWins(t *testing.T) {
	db, tables := newTables(t)
	repo := dynamo.NewOrderRepository(db, tables).WithLimits(order.Limits{MaxOpenOrders: 3, MaxHeldUnits: 100})
	const c customer.ID = "racer"
	for i := range 2 {
		o, evs := newOrder(t, c, line(t, "R-1", 1))
		if err := placeWith(repo, o, "pre-"+string(rune('a'+i)), evs); err != nil {
			t.Fatal(err)
		}
	}
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		o, evs := newOrder(t, c, line(t, "R-1", 1))
		wg.Go(func() {
			<-start
			errs[i] = placeWith(repo, o, "race-"+string(rune('a'+i)), evs)
		})
	}
	close(start)
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case errors.Is(err, order.ErrLimitReached), errors.Is(err, dynamo.ErrConflict):
		default:
			t.Fatalf("placement %d: %v", i, err)
		}
	}
	if h := holdsOf(t, repo, c); won != 1 || h != (order.Hold{Orders: 3, Units: 3}) {
		t.Fatalf("%d placed, holds %+v; want 1 and {3 3}", won, h)
	}
}
