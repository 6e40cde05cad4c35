package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/order"
)

// held is an order's reservations record as stored.
type held struct {
	Version int64               `dynamodbav:"version"`
	SKUs    map[string]heldLine `dynamodbav:"skus"`
}

type heldLine struct {
	Quantity int64  `dynamodbav:"quantity"`
	State    string `dynamodbav:"state"`
}

func heldBy(t *testing.T, db *dynamodb.Client, tables dynamo.Tables, id order.ID) (held, bool) {
	t.Helper()
	out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(tables.Reservations), ConsistentRead: aws.Bool(true),
		Key: map[string]ddbtypes.AttributeValue{"orderId": &ddbtypes.AttributeValueMemberS{Value: string(id)}}})
	if err != nil {
		t.Fatal(err)
	}
	var h held
	if out.Item == nil {
		return h, false
	}
	for _, k := range []string{"orderId", "version", "updatedAt", "skus"} {
		if _, ok := out.Item[k]; !ok {
			t.Fatalf("reservations record %v has no %s", out.Item, k)
		}
	}
	if err := attributevalue.UnmarshalMap(out.Item, &h); err != nil {
		t.Fatal(err)
	}
	return h, true
}

// stateOf is an order's reservation state of one SKU ("" when it holds nothing there).
func stateOf(t *testing.T, db *dynamodb.Client, tables dynamo.Tables, id order.ID, sku string) string {
	t.Helper()
	h, _ := heldBy(t, db, tables, id)
	return h.SKUs[sku].State
}

// rawItem is an inventory item as stored, and its size by DynamoDB's rules (attribute names plus
// values; a number takes about one byte per two significant digits plus one).
func rawItem(t *testing.T, db *dynamodb.Client, tables dynamo.Tables, sku string) (map[string]ddbtypes.AttributeValue, int) {
	t.Helper()
	out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(tables.Inventory), ConsistentRead: aws.Bool(true),
		Key: map[string]ddbtypes.AttributeValue{"sku": &ddbtypes.AttributeValueMemberS{Value: sku}}})
	if err != nil || out.Item == nil {
		t.Fatalf("item %s: %v", sku, err)
	}
	return out.Item, attrSize(out.Item)
}

func attrSize(m map[string]ddbtypes.AttributeValue) int {
	n := 0
	for k, v := range m {
		n += len(k) + valueSize(v)
	}
	return n
}

func valueSize(v ddbtypes.AttributeValue) int {
	switch x := v.(type) {
	case *ddbtypes.AttributeValueMemberS:
		return len(x.Value)
	case *ddbtypes.AttributeValueMemberN:
		return (len(x.Value)+1)/2 + 1
	case *ddbtypes.AttributeValueMemberM:
		return 3 + len(x.Value) + attrSize(x.Value)
	case *ddbtypes.AttributeValueMemberL:
		n := 3
		for _, e := range x.Value {
			n += 1 + valueSize(e)
		}
		return n
	default:
		return 1
	}
}

// sagaFixture is the saga's store over fresh tables with one item per SKU of stock.
type sagaFixture struct {
	t      *testing.T
	db     *dynamodb.Client
	tables dynamo.Tables
	items  *dynamo.InventoryRepository
	orders *dynamo.OrderRepository
	saga   *dynamo.Saga
}

var cause = event.Cause{CorrelationID: "c"}

func newSagaFixture(t *testing.T, stock map[string]inventory.Quantity) *sagaFixture {
	t.Helper()
	db, tables := newTables(t)
	f := &sagaFixture{t: t, db: db, tables: tables, items: dynamo.NewInventoryRepository(db, tables), orders: dynamo.NewOrderRepository(db, tables),
		saga: dynamo.NewSaga(db, tables)}
	for _, sku := range slices.Sorted(maps.Keys(stock)) {
		it, evs := widget(t, sku, stock[sku])
		err := f.items.Create(context.Background(), it, evs, cause)
		if errors.Is(err, inventory.ErrExists) {
			// The fixture's tables are new, so the item exists only if this very write went through and
			// the SDK retried it after a lost or garbled answer (seen under make test's load on moto):
			// the retried conditional transaction then meets its own first attempt.
			if got, gerr := f.items.Get(context.Background(), it.SKU()); gerr == nil && got.Available() == it.Available() {
				continue
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (f *sagaFixture) step(name string, step func(context.Context, order.ID, event.Cause) (*order.Order, error), id order.ID) *order.Order {
	f.t.Helper()
	o, err := step(context.Background(), id, cause)
	if err != nil {
		f.t.Fatalf("%s %s: %v", name, id, err)
	}
	return o
}

// authorize authorizes and captures the order's payment, as the saga does before confirming.
func (f *sagaFixture) authorize(id order.ID) {
	f.t.Helper()
	if _, err := f.orders.Update(context.Background(), id, cause, func(o *order.Order) ([]event.Payload, error) {
		evs, err := o.AuthorizePayment("auth-"+string(id), time.Now())
		if err != nil {
			return nil, err
		}
		more, err := o.CapturePayment("cap-"+string(id), time.Now())
		return append(evs, more...), err
	}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *sagaFixture) cancelAndRefund(id order.ID) {
	f.t.Helper()
	if _, err := f.orders.Update(context.Background(), id, cause, func(o *order.Order) ([]event.Payload, error) {
		evs, err := o.RequestCancellation(order.ByCustomer, time.Now())
		if err != nil {
			return nil, err
		}
		more, err := o.RefundPayment("re-"+string(id), time.Now())
		return append(evs, more...), err
	}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *sagaFixture) counters(sku string) (int64, int64, int64) {
	f.t.Helper()
	it, err := f.items.Get(context.Background(), inventory.SKU(sku))
	if err != nil {
		f.t.Fatal(err)
	}
	return it.Available().Int64(), it.Reserved().Int64(), it.Sold().Int64()
}

// The item's size does not depend on how many orders it served: a hundred orders through every path
// of the saga leave it with the same attributes and, but for the digits of its counters, the same
// size, while each order's reservations are records of their own that still say what happened.
func TestItemSizeDoesNotGrowWithOrders(t *testing.T) {
	const orders = 100
	f := newSagaFixture(t, map[string]inventory.Quantity{"SIZE-1": 100_000})
	want := []string{"available", "description", "lowStockThreshold", "name", "price", "reserved", "sku", "sold", "version"}
	var firstSize int
	ids := make([]order.ID, orders)
	states := map[string]int{}
	for i := range ids {
		id := placeOrder(t, f.orders, line(t, "SIZE-1", 1+int64(i%3)))
		ids[i] = id
		f.step("reserve", stockStep(f.saga, order.ReserveStock), id)
		switch i % 10 {
		case 0: // payment declined
			f.step("release", stockStep(f.saga, order.ReleaseStock), id)
		case 1: // confirmed, then cancelled
			f.authorize(id)
			f.step("confirm", stockStep(f.saga, order.ConfirmStock), id)
			f.cancelAndRefund(id)
			f.step("return", stockStep(f.saga, order.ReturnStock), id)
		case 2: // still held
		default:
			f.authorize(id)
			f.step("confirm", stockStep(f.saga, order.ConfirmStock), id)
		}
		av, size := rawItem(t, f.db, f.tables, "SIZE-1")
		if got := slices.Sorted(maps.Keys(av)); !slices.Equal(got, want) {
			t.Fatalf("after %d orders the item has attributes %v; want %v", i+1, got, want)
		}
		if i == 0 {
			firstSize = size
		}
		// Counters and the version gain a digit now and then: a byte each.
		if size > firstSize+4 || size > 200 {
			t.Fatalf("after %d orders the item is %d bytes; after the first it was %d", i+1, size, firstSize)
		}
	}
	var reserved, sold int64
	for i, id := range ids {
		h, ok := heldBy(t, f.db, f.tables, id)
		if !ok || len(h.SKUs) != 1 {
			t.Fatalf("order %d: reservations %+v %v", i, h, ok)
		}
		r := h.SKUs["SIZE-1"]
		states[r.State]++
		switch r.State {
		case string(inventory.Reserved):
			reserved += r.Quantity
		case string(inventory.Committed):
			sold += r.Quantity
		}
	}
	want10 := map[string]int{"RELEASED": orders / 10, "RETURNED": orders / 10, "RESERVED": orders / 10, "COMMITTED": orders * 7 / 10}
	if !maps.Equal(states, want10) {
		t.Fatalf("reservation states %v; want %v", states, want10)
	}
	if av, rs, so := f.counters("SIZE-1"); rs != reserved || so != sold || av+rs+so != 100_000 {
		t.Fatalf("item %d/%d/%d; the reservations hold %d and sold %d", av, rs, so, reserved, sold)
	}
}

// Each stock move writes the order's reservations conditional on what it read (none yet, or the
// version read), so that a second writer of the same order's reservations makes it fail and retry even
// where the order's own version would not: a move can never apply twice or over another.
func TestReservationWritesAreConditional(t *testing.T) {
	ctx := context.Background()
	reserve := func(s *inventory.OrderStock) error {
		short, _, err := s.Reserve()
		if len(short) > 0 {
			return fmt.Errorf("short: %+v", short)
		}
		return err
	}
	moves := func(m func(*inventory.OrderStock) ([]event.Payload, error)) func(*inventory.OrderStock) error {
		return func(s *inventory.OrderStock) error { _, err := m(s); return err }
	}
	commit, release := moves((*inventory.OrderStock).Commit), moves((*inventory.OrderStock).Release)
	tests := []struct {
		name    string
		setup   []string // saga steps before: reserve, authorize
		move    func(*inventory.OrderStock) error
		between func(f *sagaFixture, id order.ID) // another writer of the order's reservations only
		want    error
		state   string // the order's reservation afterwards
		avail   int64  // the item's available stock afterwards
	}{
		{"reserve, nobody else", nil, reserve, nil, nil, "RESERVED", 8},
		{"reserve over a reservation written since", nil, reserve, func(f *sagaFixture, id order.ID) {
			putRaw(t, f, id, 1, "RESERVED")
		}, dynamo.ErrCondition, "RESERVED", 10},
		{"commit, nobody else", []string{"reserve"}, commit, nil, nil, "COMMITTED", 8},
		{"commit over a release written since", []string{"reserve"}, commit, func(f *sagaFixture, id order.ID) {
			putRaw(t, f, id, 2, "RELEASED")
		}, dynamo.ErrCondition, "RELEASED", 8},
		{"release over a commit written since", []string{"reserve"}, release, func(f *sagaFixture, id order.ID) {
			putRaw(t, f, id, 2, "COMMITTED")
		}, dynamo.ErrCondition, "COMMITTED", 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newSagaFixture(t, map[string]inventory.Quantity{"COND-1": 10})
			id := placeOrder(t, f.orders, line(t, "COND-1", 2))
			for _, s := range tt.setup {
				if s == "reserve" {
					f.step(s, stockStep(f.saga, order.ReserveStock), id)
				}
			}
			err := dynamo.MoveStock(ctx, f.db, f.tables, string(id), []inventory.Line{{SKU: "COND-1", Quantity: 2}}, tt.move, func() {
				if tt.between != nil {
					tt.between(f, id)
				}
			})
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("MoveStock: %v; want %v", err, tt.want)
			}
			if got := stateOf(t, f.db, f.tables, id, "COND-1"); got != tt.state {
				t.Fatalf("reservation %q; want %q", got, tt.state)
			}
			if av, _, _ := f.counters("COND-1"); av != tt.avail {
				t.Fatalf("available %d; want %d (a refused move leaves the item alone)", av, tt.avail)
			}
		})
	}
}

// putRaw stores an order's reservations record directly, as another writer would.
func putRaw(t *testing.T, f *sagaFixture, id order.ID, version int64, state string) {
	t.Helper()
	_, err := f.db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(f.tables.Reservations), Item: map[string]ddbtypes.AttributeValue{
		"orderId":   &ddbtypes.AttributeValueMemberS{Value: string(id)},
		"version":   &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(version, 10)},
		"updatedAt": &ddbtypes.AttributeValueMemberS{Value: time.Now().UTC().Format(time.RFC3339Nano)},
		"skus": &ddbtypes.AttributeValueMemberM{Value: map[string]ddbtypes.AttributeValue{
			"COND-1": &ddbtypes.AttributeValueMemberM{Value: map[string]ddbtypes.AttributeValue{
				"quantity": &ddbtypes.AttributeValueMemberN{Value: "2"},
				"state":    &ddbtypes.AttributeValueMemberS{Value: state},
			}},
		}},
	}})
	if err != nil {
		t.Fatal(err)
	}
}

// An order of the most lines there can be reserves, confirms and returns its stock in one transaction
// per step: 50 items, the order's one reservations record, the order and its events stay within
// DynamoDB's 100 items per transaction (a record per line would not).
func TestAFiftyLineOrderMovesInOneTransactionPerStep(t *testing.T) {
	stock := map[string]inventory.Quantity{}
	var lines []order.Line
	for i := range order.MaxLines {
		sku := fmt.Sprintf("MANY-%02d", i)
		stock[sku] = 20
		lines = append(lines, line(t, sku, 2))
	}
	f := newSagaFixture(t, stock)
	id := placeOrder(t, f.orders, lines...)
	if o := f.step("reserve", stockStep(f.saga, order.ReserveStock), id); o.Status() != order.Reserved {
		t.Fatalf("reserve: %s %s", o.Status(), o.Reason())
	}
	f.authorize(id)
	if o := f.step("confirm", stockStep(f.saga, order.ConfirmStock), id); o.Status() != order.Confirmed {
		t.Fatalf("confirm: %s", o.Status())
	}
	h, _ := heldBy(t, f.db, f.tables, id)
	if len(h.SKUs) != order.MaxLines || h.Version != 2 {
		t.Fatalf("reservations record: %d SKUs, v%d; want %d, v2", len(h.SKUs), h.Version, order.MaxLines)
	}
	f.cancelAndRefund(id)
	f.step("return", stockStep(f.saga, order.ReturnStock), id)
	for sku := range stock {
		if av, rs, so := f.counters(sku); av != 20 || rs != 0 || so != 0 {
			t.Fatalf("%s after the return: %d/%d/%d", sku, av, rs, so)
		}
		if s := stateOf(t, f.db, f.tables, id, sku); s != "RETURNED" {
			t.Fatalf("%s: reservation %s", sku, s)
		}
	}
}

// Items written before reservations had a table of their own carry a `reservations` map. Reading such
// an item ignores the map, stock moves work on it, and its next write drops the map (docs/data-model.md,
// "Migration").
func TestAnItemWithTheOldReservationsMapStillWorks(t *testing.T) {
	ctx := context.Background()
	f := newSagaFixture(t, nil)
	legacy := map[string]ddbtypes.AttributeValue{
		"sku":               &ddbtypes.AttributeValueMemberS{Value: "OLD-1"},
		"name":              &ddbtypes.AttributeValueMemberS{Value: "Widget"},
		"description":       &ddbtypes.AttributeValueMemberS{Value: ""},
		"price":             &ddbtypes.AttributeValueMemberM{Value: map[string]ddbtypes.AttributeValue{"amount": &ddbtypes.AttributeValueMemberN{Value: "1999"}, "currency": &ddbtypes.AttributeValueMemberS{Value: "USD"}}},
		"available":         &ddbtypes.AttributeValueMemberN{Value: "5"},
		"reserved":          &ddbtypes.AttributeValueMemberN{Value: "2"},
		"sold":              &ddbtypes.AttributeValueMemberN{Value: "3"},
		"lowStockThreshold": &ddbtypes.AttributeValueMemberN{Value: "1"},
		"version":           &ddbtypes.AttributeValueMemberN{Value: "7"},
		"reservations": &ddbtypes.AttributeValueMemberM{Value: map[string]ddbtypes.AttributeValue{
			"01JDQ7Z3M6X9V0YB2C4D5E6F7G": &ddbtypes.AttributeValueMemberM{Value: map[string]ddbtypes.AttributeValue{
				"quantity": &ddbtypes.AttributeValueMemberN{Value: "3"}, "state": &ddbtypes.AttributeValueMemberS{Value: "COMMITTED"}}},
			"01JDQ7Z3M6X9V0YB2C4D5E6F7H": &ddbtypes.AttributeValueMemberM{Value: map[string]ddbtypes.AttributeValue{
				"quantity": &ddbtypes.AttributeValueMemberN{Value: "2"}, "state": &ddbtypes.AttributeValueMemberS{Value: "RESERVED"}}},
		}},
	}
	if _, err := f.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(f.tables.Inventory), Item: legacy}); err != nil {
		t.Fatal(err)
	}
	if av, rs, so := f.counters("OLD-1"); av != 5 || rs != 2 || so != 3 {
		t.Fatalf("legacy item read as %d/%d/%d", av, rs, so)
	}
	id := placeOrder(t, f.orders, line(t, "OLD-1", 1))
	if o := f.step("reserve", stockStep(f.saga, order.ReserveStock), id); o.Status() != order.Reserved {
		t.Fatalf("reserve on a legacy item: %s", o.Status())
	}
	item, _ := rawItem(t, f.db, f.tables, "OLD-1")
	if _, ok := item["reservations"]; ok {
		t.Fatal("the item's write kept the old reservations map")
	}
	if av, rs, so := f.counters("OLD-1"); av != 4 || rs != 3 || so != 3 {
		t.Fatalf("after the reservation: %d/%d/%d", av, rs, so)
	}
	if s := stateOf(t, f.db, f.tables, id, "OLD-1"); s != "RESERVED" {
		t.Fatalf("reservation %q", s)
	}
}

// usage counts one client's DynamoDB calls and the write units of its transactions by table
// (a transactional write costs 2 WCU per started KB of the item written).
type usage struct {
	mu    sync.Mutex
	calls map[string]int
	wcu   map[string]int
	// retried counts the calls the SDK sent more than once; lastRetried is retried as of the last reset.
	retried, lastRetried map[string]int
}

func (u *usage) reset() (map[string]int, map[string]int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	calls, wcu := u.calls, u.wcu
	u.lastRetried = u.retried
	u.calls, u.wcu, u.retried = map[string]int{}, map[string]int{}, map[string]int{}
	return calls, wcu
}

func (u *usage) countRetry(in any) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.retried[strings.TrimSuffix(strings.TrimPrefix(fmt.Sprintf("%T", in), "*dynamodb."), "Input")]++
}

func (u *usage) count(in any) {
	u.mu.Lock()
	defer u.mu.Unlock()
	switch x := in.(type) {
	case *dynamodb.GetItemInput:
		u.calls["GetItem"]++
	case *dynamodb.BatchGetItemInput:
		u.calls["BatchGetItem"]++
	case *dynamodb.TransactWriteItemsInput:
		u.calls["TransactWriteItems"]++
		for _, w := range x.TransactItems {
			if w.Put != nil {
				u.wcu[aws.ToString(w.Put.TableName)] += 2 * ((attrSize(w.Put.Item) + 1023) / 1024)
			}
		}
	default:
		u.calls[fmt.Sprintf("%T", in)]++
	}
}

// metered is a client of the same endpoint whose calls u counts.
func metered(t *testing.T, u *usage) *dynamodb.Client {
	u.reset()
	return dynamodb.NewFromConfig(awstest.Config(t), func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Initialize.Add(middleware.InitializeMiddlewareFunc("orion-usage", func(ctx context.Context, in middleware.InitializeInput,
				next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				u.count(in.Parameters)
				out, md, err := next.HandleInitialize(ctx, in)
				if res, ok := retry.GetAttemptResults(md); ok && len(res.Results) > 1 {
					u.countRetry(in.Parameters)
				}
				return out, md, err
			}), middleware.After)
		})
	})
}

// Every stock step of the saga is one read of the order, one BatchGetItem (the lines' items and the
// order's reservations together) and one transaction, and writes each moved item at 2 WCU whatever
// number of orders the item has served; a repeated step is the order's read alone.
func TestStockStepsAreThreeCallsAndTheItemCostsTheSame(t *testing.T) {
	f := newSagaFixture(t, map[string]inventory.Quantity{"COST-1": 100_000})
	u := &usage{}
	f.saga = dynamo.NewSaga(metered(t, u), f.tables)
	oneStep := map[string]int{"GetItem": 1, "BatchGetItem": 1, "TransactWriteItems": 1}
	type step struct {
		name string
		run  func(context.Context, order.ID, event.Cause) (*order.Order, error)
	}
	for i := range 30 {
		declined := i%3 == 0
		id := placeOrder(t, f.orders, line(t, "COST-1", 1))
		steps := []step{{"reserve", stockStep(f.saga, order.ReserveStock)}, {"confirm", stockStep(f.saga, order.ConfirmStock)}}
		if declined {
			steps[1] = step{"release", stockStep(f.saga, order.ReleaseStock)}
		}
		for j, s := range steps {
			if j == 1 && !declined {
				f.authorize(id)
			}
			u.reset()
			f.step(s.name, s.run, id)
			calls, wcu := u.reset()
			if !maps.Equal(calls, oneStep) {
				// The SDK resent a transaction whose first attempt committed and whose answer was lost (the
				// emulator under load): the resent one fails its conditions, and the step reads the order
				// again and finds it done. One more GetItem, and the step still happened once.
				resent := map[string]int{"GetItem": 2, "BatchGetItem": 1, "TransactWriteItems": 1}
				if u.lastRetried["TransactWriteItems"] == 0 || !maps.Equal(calls, resent) {
					t.Fatalf("order %d %s called %v (SDK retries %v); want %v", i, s.name, calls, u.lastRetried, oneStep)
				}
				t.Logf("order %d %s: the SDK resent its committed transaction; the step read the order again", i, s.name)
			}
			if wcu[f.tables.Inventory] != 2 || wcu[f.tables.Reservations] != 2 {
				t.Fatalf("order %d %s wrote %v WCU; want 2 on the item and 2 on the reservations", i, s.name, wcu)
			}
			if i == 29 {
				t.Logf("%s: calls %v, transaction WCU by table %v", s.name, calls, wcu)
			}
			f.step(s.name, s.run, id)
			if calls, _ := u.reset(); !maps.Equal(calls, map[string]int{"GetItem": 1}) {
				t.Fatalf("order %d %s repeated called %v; want the order's read alone", i, s.name, calls)
			}
		}
	}
}

// A stock step told the order's lines (the saga's execution input carries them) reads the order in the
// BatchGetItem of its stock: one read and one transaction. The order stays the truth: lines that are not
// the order's cost a second read of its own lines' stock and move those, and an order that is not there
// is order.ErrNotFound as from Get.
func TestStockStepsToldTheLinesReadOnce(t *testing.T) {
	f := newSagaFixture(t, map[string]inventory.Quantity{"ONE-1": 10, "ONE-2": 10})
	u := &usage{}
	f.saga = dynamo.NewSaga(metered(t, u), f.tables)
	of := func(lines ...inventory.Line) func(context.Context, order.ID, event.Cause) (*order.Order, error) {
		return func(ctx context.Context, id order.ID, cause event.Cause) (*order.Order, error) {
			return f.saga.UpdateOrderStockOf(ctx, id, lines, cause, order.ReserveStock.Applies, func(o *order.Order, st *inventory.OrderStock) ([]event.Payload, error) {
				return order.ReserveStock.Apply(o, st, time.Now())
			})
		}
	}
	tests := []struct {
		name      string
		told      []inventory.Line
		calls     map[string]int
		available int64 // ONE-1's after the step: the order's own 2 units held, whatever it was told
	}{
		{"the order's lines", []inventory.Line{{SKU: "ONE-1", Quantity: 2}}, map[string]int{"BatchGetItem": 1, "TransactWriteItems": 1}, 8},
		{"another quantity", []inventory.Line{{SKU: "ONE-1", Quantity: 5}}, map[string]int{"BatchGetItem": 2, "TransactWriteItems": 1}, 6},
		{"another SKU", []inventory.Line{{SKU: "ONE-2", Quantity: 2}}, map[string]int{"BatchGetItem": 2, "TransactWriteItems": 1}, 4},
		{"none", nil, map[string]int{"GetItem": 1, "BatchGetItem": 1, "TransactWriteItems": 1}, 2},
	}
	for _, tt := range tests {
		id := placeOrder(t, f.orders, line(t, "ONE-1", 2))
		u.reset()
		if o := f.step(tt.name, of(tt.told...), id); o.Status() != order.Reserved {
			t.Fatalf("%s: order %s", tt.name, o.Status())
		}
		calls, _ := u.reset()
		if !maps.Equal(calls, tt.calls) && u.lastRetried["TransactWriteItems"] == 0 {
			t.Errorf("%s: called %v; want %v", tt.name, calls, tt.calls)
		}
		if av, _, _ := f.counters("ONE-1"); av != tt.available {
			t.Errorf("%s: ONE-1 available %d; want %d", tt.name, av, tt.available)
		}
		if av, _, _ := f.counters("ONE-2"); av != 10 {
			t.Errorf("%s: ONE-2 available %d; want 10, the order holds none of it", tt.name, av)
		}
		// Repeated (Step Functions retried a step whose answer was lost): nothing moves again.
		f.step(tt.name+" repeated", of(tt.told...), id)
		if av, _, _ := f.counters("ONE-1"); av != tt.available {
			t.Errorf("%s repeated: ONE-1 available %d; want %d", tt.name, av, tt.available)
		}
	}
	missing, _ := order.NewID(time.Now(), nil)
	if _, err := of(inventory.Line{SKU: "ONE-1", Quantity: 1})(context.Background(), missing, cause); !errors.Is(err, order.ErrNotFound) {
		t.Errorf("an order that is not there: %v; want order.ErrNotFound", err)
	}
}
