package dynamo_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
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

// conflicts answers the next n TransactWriteItems calls the way DynamoDB does when another transaction is
// writing one of their items at that moment (TransactionCanceledException, reason TransactionConflict,
// docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html), and sends
// everything else on to the emulator. moto serialises transactions and never answers so; DynamoDB does
// when two orders of one customer meet on the holds item.
type conflicts struct {
	next dynamodb.HTTPClient
	n    atomic.Int32
	seen atomic.Int32
}

func (c *conflicts) Do(r *http.Request) (*http.Response, error) {
	if !strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".TransactWriteItems") || c.n.Add(-1) < 0 {
		return c.next.Do(r)
	}
	c.seen.Add(1)
	body := `{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException",` +
		`"Message":"Transaction cancelled, please refer cancellation reasons for specific reasons [None, None, TransactionConflict]",` +
		`"CancellationReasons":[{"Code":"None"},{"Code":"None"},{"Code":"TransactionConflict","Message":"Transaction is ongoing for the item"}]}`
	return &http.Response{StatusCode: 400, Status: "400 Bad Request", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Request: r,
		Header: http.Header{"Content-Type": {"application/x-amz-json-1.0"}, "X-Amzn-Requestid": {"conflict"}},
		Body:   io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body))}, nil
}

// A transaction cancelled for a conflict wrote nothing and is sent again: placing and ending an order
// go through a few conflicts; a lasting one is ErrConflict (409 "retry") and leaves nothing behind.
func TestTransactionConflictsAreRetried(t *testing.T) {
	ctx := context.Background()
	plain, tables := newTables(t)
	c := &conflicts{next: http.DefaultClient}
	db := dynamodb.NewFromConfig(awstest.Config(t), func(o *dynamodb.Options) { o.HTTPClient = c })
	repo := dynamo.NewOrderRepository(db, tables).WithLimits(order.Limits{MaxOpenOrders: 2, MaxHeldUnits: 10})
	const cust customer.ID = "busy"

	c.n.Store(2)
	o, evs := newOrder(t, cust, line(t, "C-1", 3))
	if err := placeWith(repo, o, "k1", evs); err != nil {
		t.Fatalf("place through 2 conflicts: %v", err)
	}
	if h := holdsOf(t, repo, cust); c.seen.Load() != 2 || h != (order.Hold{Orders: 1, Units: 3}) {
		t.Fatalf("%d conflicts answered, holds %+v", c.seen.Load(), h)
	}

	c.n.Store(1)
	if _, err := dynamo.NewSaga(db, tables).Update(ctx, o.ID(), event.Cause{CorrelationID: "c"}, func(o *order.Order) ([]event.Payload, error) {
		return o.RequestCancellation(order.ByCustomer, time.Now())
	}); err != nil {
		t.Fatalf("cancel through a conflict: %v", err)
	}
	if h := holdsOf(t, repo, cust); c.seen.Load() != 3 || !h.IsZero() {
		t.Fatalf("%d conflicts answered, holds %+v", c.seen.Load(), h)
	}

	c.n.Store(1000)
	items := countItems(t, plain, tables.Orders)
	o, evs = newOrder(t, cust, line(t, "C-1", 1))
	err := placeWith(repo, o, "k2", evs)
	var b interface{ Busy() bool }
	if !errors.Is(err, dynamo.ErrConflict) || !errors.As(err, &b) || !b.Busy() {
		t.Fatalf("a lasting conflict: %v; want ErrConflict", err)
	}
	if n := countItems(t, plain, tables.Orders); n != items {
		t.Fatalf("orders table %d -> %d items after a lasting conflict", items, n)
	}
}
