package saga_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/adapter/dynamo/dynamotest"
	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/payment"
	"github.com/orion-oss/orion/internal/platform/metrics"
	"github.com/orion-oss/orion/internal/saga"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

// world is one test's storage: the template's tables in the emulator, the real store and the steps
// over the sandbox payment provider.
type world struct {
	t      *testing.T
	db     *dynamodb.Client
	tables dynamo.Tables
	store  *dynamo.Saga
	orders *dynamo.OrderRepository
	items  *dynamo.InventoryRepository
	steps  *saga.Steps
	// onCapture, when set, runs once after the provider captured (before the step records it).
	onCapture func()
}

// hookedProvider is the sandbox provider with a hook after each capture.
type hookedProvider struct {
	payment.Sandbox
	w *world
}

func (p hookedProvider) Capture(ctx context.Context, r payment.CaptureRequest) (string, error) {
	id, err := p.Sandbox.Capture(ctx, r)
	if f := p.w.onCapture; err == nil && f != nil {
		p.w.onCapture = nil
		f()
	}
	return id, err
}

func newWorld(t *testing.T) *world {
	t.Helper()
	db, tables := dynamotest.Tables(t)
	store := dynamo.NewSaga(db, tables)
	w := &world{t: t, db: db, tables: tables, store: store, orders: dynamo.NewOrderRepository(db, tables),
		items: dynamo.NewInventoryRepository(db, tables)}
	w.steps = saga.NewSteps(store, hookedProvider{w: w})
	return w
}

// cancelAfterCapture, a hook before ConfirmOrder, has the customer cancel right after the provider
// captured: between the capture and the confirmation's write.
func cancelAfterCapture(w *world, in saga.Input) { w.onCapture = func() { w.cancel(in) } }

var cause = event.Cause{CorrelationID: "corr-1"}

// item creates a SKU with stock.
func (w *world) item(sku string, available int64) {
	w.t.Helper()
	price, _ := money.New(1250, "USD")
	it, evs, err := inventory.NewItem(inventory.SKU(sku), inventory.Details{Name: sku, Price: price}, inventory.Quantity(available), 0)
	if err != nil {
		w.t.Fatal(err)
	}
	err = w.items.Create(context.Background(), it, evs, cause)
	if errors.Is(err, inventory.ErrExists) {
		// An SDK retry of a transaction whose answer was lost under load (see place): it is there.
		_, err = w.items.Get(context.Background(), inventory.SKU(sku))
	}
	if err != nil {
		w.t.Fatal(err)
	}
}

// place stores a PENDING order of qty units of sku paid with token.
func (w *world) place(sku string, qty int64, token string) saga.Input {
	w.t.Helper()
	price, _ := money.New(1250, "USD")
	l, err := order.NewLine(inventory.SKU(sku), sku, qty, price)
	if err != nil {
		w.t.Fatal(err)
	}
	id, _ := order.NewID(time.Now(), nil)
	o, evs, err := order.New(id, "cust-1", []order.Line{l}, token, nil, time.Now())
	if err != nil {
		w.t.Fatal(err)
	}
	err = w.orders.Place(context.Background(), o, command.Remembered{RequestHash: "h", OrderID: id}, string(id), evs, cause)
	if errors.Is(err, command.ErrKeyTaken) {
		// An SDK retry of a transaction whose answer was lost under load (the emulator ignores the
		// ClientRequestToken that makes it a no-op on DynamoDB): the order is there all the same.
		_, err = w.orders.Get(context.Background(), id)
	}
	if err != nil {
		w.t.Fatal(err)
	}
	// The order's lines, as the starter puts them in the execution input (the stock steps read the order
	// with its stock).
	return saga.Input{OrderID: string(id), CorrelationID: "corr-1", CausationID: "evt-placed", Lines: []saga.Line{{SKU: sku, Quantity: qty}}}
}

func (w *world) order(in saga.Input) *order.Order {
	w.t.Helper()
	o, err := w.orders.Get(context.Background(), order.ID(in.OrderID))
	if err != nil {
		w.t.Fatal(err)
	}
	return o
}

// holds is what the customer's open orders hold against the limits (every order here is cust-1's).
func (w *world) holds() order.Hold {
	w.t.Helper()
	h, err := w.orders.Holds(context.Background(), "cust-1")
	if err != nil {
		w.t.Fatal(err)
	}
	return h
}

// stock returns a SKU's counters and checks they add up to total.
func (w *world) stock(sku string, total int64) (available, reserved, sold int64) {
	w.t.Helper()
	it, err := w.items.Get(context.Background(), inventory.SKU(sku))
	if err != nil {
		w.t.Fatal(err)
	}
	a, r, s := it.Available().Int64(), it.Reserved().Int64(), it.Sold().Int64()
	if a < 0 || r < 0 || s < 0 || a+r+s != total {
		w.t.Fatalf("%s: available %d + reserved %d + sold %d != %d", sku, a, r, s, total)
	}
	return a, r, s
}

// events lists the types of the order's events in the outbox, sorted by name: the events of one
// transaction share their time, so they are compared as a multiset.
func (w *world) events(in saga.Input) []string {
	w.t.Helper()
	out, err := w.db.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(w.tables.Outbox), ConsistentRead: aws.Bool(true)})
	if err != nil {
		w.t.Fatal(err)
	}
	var envs []event.Envelope
	for _, it := range out.Items {
		env, err := event.Decode([]byte(it["envelope"].(*ddbtypes.AttributeValueMemberS).Value))
		if err != nil {
			w.t.Fatal(err)
		}
		var d struct{ OrderID string }
		_ = json.Unmarshal(env.Data, &d)
		if d.OrderID == in.OrderID {
			envs = append(envs, env)
		}
	}
	types := make([]string, len(envs))
	for i, e := range envs {
		types[i] = e.Type
	}
	slices.Sort(types)
	return types
}

// event returns the order's one event of a type from the outbox.
func (w *world) event(in saga.Input, typ string) event.Envelope {
	w.t.Helper()
	out, err := w.db.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(w.tables.Outbox), ConsistentRead: aws.Bool(true)})
	if err != nil {
		w.t.Fatal(err)
	}
	var found []event.Envelope
	for _, it := range out.Items {
		env, err := event.Decode([]byte(it["envelope"].(*ddbtypes.AttributeValueMemberS).Value))
		if err != nil {
			w.t.Fatal(err)
		}
		var d struct{ OrderID string }
		if json.Unmarshal(env.Data, &d) == nil && d.OrderID == in.OrderID && env.Type == typ {
			found = append(found, env)
		}
	}
	if len(found) != 1 {
		w.t.Fatalf("%d %s events of order %s; want 1", len(found), typ, in.OrderID)
	}
	return found[0]
}

func sorted(types ...string) []string {
	slices.Sort(types)
	return types
}

// do runs a step twice, as a Retry or a redelivered task would, and checks the repeat changed nothing.
func (w *world) do(name string, step saga.Step, in saga.Input) saga.Result {
	w.t.Helper()
	r, err := step(context.Background(), in)
	if err != nil {
		w.t.Fatalf("%s: %v", name, err)
	}
	before := w.events(in)
	again, err := step(context.Background(), in)
	if err != nil || again.Version != r.Version || again.Status != r.Status {
		w.t.Fatalf("%s repeated: %+v %v; first %+v", name, again, err, r)
	}
	if after := w.events(in); !slices.Equal(after, before) {
		w.t.Fatalf("%s repeated wrote events: %v -> %v", name, before, after)
	}
	return r
}

// offPath runs a step twice and checks it leaves the happy path both times with the error named want
// (the name Step Functions matches: the Go type's), and that the repeat changed nothing.
func (w *world) offPath(name string, step saga.Step, in saga.Input, want string) error {
	w.t.Helper()
	_, err := step(context.Background(), in)
	if got := errorName(err); got != want {
		w.t.Fatalf("%s: %v (%s); want %s", name, err, got, want)
	}
	before := w.events(in)
	_, again := step(context.Background(), in)
	if errorName(again) != want || again.Error() != err.Error() {
		w.t.Fatalf("%s repeated: %v; first %v", name, again, err)
	}
	if after := w.events(in); !slices.Equal(after, before) {
		w.t.Fatalf("%s repeated wrote events: %v -> %v", name, before, after)
	}
	return err
}

// errorName is the error's name as aws-lambda-go reports it: its type's name.
func errorName(err error) string {
	if err == nil {
		return ""
	}
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

// lambdaCause is the cause Step Functions gives a Catch for a Go function's error: Lambda's error JSON.
func lambdaCause(err error) string {
	b, _ := json.Marshal(map[string]string{"errorType": errorName(err), "errorMessage": err.Error()})
	return string(b)
}

func (w *world) cancel(in saga.Input) {
	w.t.Helper()
	if _, err := w.orders.Update(context.Background(), order.ID(in.OrderID), cause, func(o *order.Order) ([]event.Payload, error) {
		return o.RequestCancellation(order.ByCustomer, time.Now())
	}); err != nil {
		w.t.Fatal(err)
	}
}

func TestStepsConfirmAnOrderOnceEach(t *testing.T) {
	w := newWorld(t)
	w.item("A-1", 10)
	in := w.place("A-1", 3, "tok_visa")
	if r := w.do("reserve", w.steps.Reserve, in); r.Status != "RESERVED" {
		t.Fatalf("reserve: %+v", r)
	}
	if a, r, _ := w.stock("A-1", 10); a != 7 || r != 3 {
		t.Fatalf("reserved: available %d reserved %d", a, r)
	}
	if r := w.do("authorize", w.steps.Authorize, in); r.Status != "PAYMENT_AUTHORIZED" || r.Payment != saga.PaymentAuthorized {
		t.Fatalf("authorize: %+v", r)
	}
	if r := w.do("capture", w.steps.Capture, in); r.Status != "PAYMENT_AUTHORIZED" || r.Payment != saga.PaymentCaptured {
		t.Fatalf("capture: %+v", r)
	}
	if r := w.do("confirm", w.steps.Confirm, in); r.Status != "CONFIRMED" {
		t.Fatalf("confirm: %+v", r)
	}
	if a, r, s := w.stock("A-1", 10); a != 7 || r != 0 || s != 3 {
		t.Fatalf("confirmed: available %d reserved %d sold %d", a, r, s)
	}
	// Forward steps repeated go on and change nothing; compensation steps leave a confirmed order
	// nobody asked to cancel alone.
	for name, step := range map[string]saga.Step{"authorize": w.steps.Authorize, "capture": w.steps.Capture, "refund": w.steps.Refund,
		"release": w.steps.Release, "return": w.steps.Return, "recover": w.steps.Recover} {
		if r := w.do(name, step, in); r.Status != "CONFIRMED" || r.Payment != saga.PaymentCaptured {
			t.Fatalf("%s on a confirmed order: %+v", name, r)
		}
	}
	in.Outcome = &saga.Outcome{Status: order.Failed, Reason: order.StepFailed}
	if r := w.do("finish", w.steps.Finish, in); r.Status != "CONFIRMED" {
		t.Fatalf("finish on a confirmed order: %+v", r)
	}
	want := sorted("OrderPlaced", "InventoryReserved", "PaymentAuthorized", "PaymentCaptured", "InventoryCommitted", "OrderConfirmed")
	if got := w.events(in); !slices.Equal(got, want) {
		t.Fatalf("events %v; want %v", got, want)
	}
}

// A forward step that finds the order off the happy path says where by the error's name, every time it
// runs; a CONFIRMED order goes on from every step, a cancellation of it included (the cancellation
// run's business, not the order saga's).
func TestStepsLeaveTheHappyPathByName(t *testing.T) {
	w := newWorld(t)
	w.item("P-1", 10)
	short := w.place("P-1", 11, "tok_visa")
	w.offPath("reserve", w.steps.Reserve, short, "OutOfStock")
	w.offPath("authorize", w.steps.Authorize, short, "OutOfStock")
	w.offPath("capture", w.steps.Capture, short, "OutOfStock")
	w.offPath("confirm", w.steps.Confirm, short, "OutOfStock")
	if got, want := w.events(short), sorted("OrderPlaced", "InventoryReservationFailed", "OrderRejected"); !slices.Equal(got, want) {
		t.Fatalf("events %v; want %v", got, want)
	}

	cancelled := w.place("P-1", 1, "tok_visa")
	w.cancel(cancelled) // a PENDING order is cancelled at once
	for name, step := range map[string]saga.Step{"reserve": w.steps.Reserve, "authorize": w.steps.Authorize, "capture": w.steps.Capture,
		"confirm": w.steps.Confirm} {
		w.offPath(name, step, cancelled, "OrderEnded")
	}

	unpaid := w.place("P-1", 1, "tok_visa")
	w.do("reserve", w.steps.Reserve, unpaid)
	w.offPath("capture before authorization", w.steps.Capture, unpaid, "UnexpectedStatus")
	w.offPath("confirm before authorization", w.steps.Confirm, unpaid, "UnexpectedStatus")
	w.do("authorize", w.steps.Authorize, unpaid)
	// Confirm takes the money before it confirms, never on money only held: both in one write.
	if r := w.do("confirm", w.steps.Confirm, unpaid); r.Status != "CONFIRMED" || r.Payment != saga.PaymentCaptured {
		t.Fatalf("confirm of an authorized order: %+v", r)
	}
	if got, want := w.events(unpaid), sorted("OrderPlaced", "InventoryReserved", "PaymentAuthorized", "PaymentCaptured", "InventoryCommitted",
		"OrderConfirmed"); !slices.Equal(got, want) {
		t.Fatalf("events %v; want %v", got, want)
	}

	confirmed := w.place("P-1", 2, "tok_visa")
	w.do("reserve", w.steps.Reserve, confirmed) // in the saga's order: a map's would be random
	w.do("authorize", w.steps.Authorize, confirmed)
	w.do("capture", w.steps.Capture, confirmed) // as executions started before Confirm captured still run it
	w.do("confirm", w.steps.Confirm, confirmed)
	w.cancel(confirmed)
	for name, step := range map[string]saga.Step{"reserve": w.steps.Reserve, "authorize": w.steps.Authorize, "capture": w.steps.Capture,
		"confirm": w.steps.Confirm} {
		if r := w.do(name, step, confirmed); r.Status != "CONFIRMED" || !r.CancellationRequested {
			t.Fatalf("%s on a confirmed order with a cancellation: %+v", name, r)
		}
	}
	if a, r, s := w.stock("P-1", 10); a != 7 || r != 0 || s != 3 { // the two confirmed orders sold 1 and 2
		t.Fatalf("stock: available %d reserved %d sold %d; want 7, 0, 3", a, r, s)
	}
}

func TestStepsCompensate(t *testing.T) {
	tests := []struct {
		name    string
		token   string
		run     func(w *world, in saga.Input) saga.Input // the path up to its outcome
		status  order.Status
		reason  order.Reason
		payment string
		events  []string
	}{
		{name: "declined", token: "tok_declined", status: order.Rejected, reason: order.PaymentDeclined, payment: saga.PaymentNone,
			run: func(w *world, in saga.Input) saga.Input {
				w.do("reserve", w.steps.Reserve, in)
				declined := w.offPath("authorize", w.steps.Authorize, in, "PaymentDeclined")
				w.do("release", w.steps.Release, in)
				in.Error = &saga.CaughtError{Error: "PaymentDeclined", Cause: lambdaCause(declined)}
				return in
			},
			events: sorted("OrderPlaced", "InventoryReserved", "InventoryReleased", "PaymentDeclined", "OrderRejected")},
		{name: "cancelled after authorization", token: "tok_visa", status: order.Cancelled, reason: order.CustomerRequest, payment: saga.PaymentVoided,
			run: func(w *world, in saga.Input) saga.Input {
				w.do("reserve", w.steps.Reserve, in)
				w.do("authorize", w.steps.Authorize, in)
				w.cancel(in)
				err := w.offPath("confirm", w.steps.Confirm, in, "CancellationRequested")
				w.do("refund", w.steps.Refund, in)
				w.do("release", w.steps.Release, in)
				in.Error = &saga.CaughtError{Error: "CancellationRequested", Cause: lambdaCause(err)}
				return in
			},
			events: sorted("OrderPlaced", "InventoryReserved", "PaymentAuthorized", "OrderCancellationRequested", "PaymentVoided", "InventoryReleased", "OrderCancelled")},
		{name: "cancelled while reserved: nothing authorized", token: "tok_visa", status: order.Cancelled, reason: order.CustomerRequest, payment: saga.PaymentNone,
			run: func(w *world, in saga.Input) saga.Input {
				w.do("reserve", w.steps.Reserve, in)
				w.cancel(in)
				err := w.offPath("authorize", w.steps.Authorize, in, "CancellationRequested")
				w.do("refund", w.steps.Refund, in)
				w.do("release", w.steps.Release, in)
				in.Error = &saga.CaughtError{Error: "CancellationRequested", Cause: lambdaCause(err)}
				return in
			},
			events: sorted("OrderPlaced", "InventoryReserved", "OrderCancellationRequested", "InventoryReleased", "OrderCancelled")},
		{name: "a technical failure after authorization", token: "tok_visa", status: order.Failed, reason: order.StepFailed, payment: saga.PaymentVoided,
			run: func(w *world, in saga.Input) saga.Input {
				w.do("reserve", w.steps.Reserve, in)
				w.do("authorize", w.steps.Authorize, in)
				w.do("refund", w.steps.Refund, in)
				w.do("release", w.steps.Release, in)
				// A late or repeated confirmation must not sell stock that went back.
				if _, err := w.steps.Confirm(context.Background(), in); err == nil {
					w.t.Fatal("confirm after compensation succeeded")
				}
				in.Error = &saga.CaughtError{Error: "Lambda.ServiceException", Cause: "Rate Exceeded."}
				return in
			},
			events: sorted("OrderPlaced", "InventoryReserved", "PaymentAuthorized", "PaymentVoided", "InventoryReleased", "OrderFailed")},
		{name: "a failure with a cancellation pending ends cancelled", token: "tok_visa", status: order.Cancelled, reason: order.CustomerRequest, payment: saga.PaymentNone,
			run: func(w *world, in saga.Input) saga.Input {
				w.do("reserve", w.steps.Reserve, in)
				w.cancel(in)
				w.do("release", w.steps.Release, in)
				in.Outcome = &saga.Outcome{Status: order.Failed, Reason: order.StepFailed}
				return in
			},
			events: sorted("OrderPlaced", "InventoryReserved", "OrderCancellationRequested", "InventoryReleased", "OrderCancelled")},
		{name: "cancelled after confirmation", token: "tok_visa", status: order.Cancelled, reason: order.CustomerRequest, payment: saga.PaymentRefunded,
			run: func(w *world, in saga.Input) saga.Input {
				w.do("reserve", w.steps.Reserve, in)
				w.do("authorize", w.steps.Authorize, in)
				w.do("capture", w.steps.Capture, in)
				w.do("confirm", w.steps.Confirm, in)
				w.cancel(in)
				w.do("refund", w.steps.Refund, in)
				w.do("return", w.steps.Return, in)
				in.Outcome = &saga.Outcome{Status: order.Cancelled}
				return in
			},
			events: sorted("OrderPlaced", "InventoryReserved", "PaymentAuthorized", "PaymentCaptured", "InventoryCommitted", "OrderConfirmed",
				"OrderCancellationRequested", "PaymentRefunded", "InventoryReturned", "OrderCancelled")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.item("C-1", 10)
			in := tt.run(w, w.place("C-1", 4, tt.token))
			r := w.do("finish", w.steps.Finish, in)
			if r.Status != string(tt.status) || r.Reason != string(tt.reason) || r.Payment != tt.payment {
				t.Fatalf("finished %+v; want %s/%s payment %s", r, tt.status, tt.reason, tt.payment)
			}
			if a, _, _ := w.stock("C-1", 10); a != 10 {
				t.Fatalf("available %d after compensation; want 10", a)
			}
			if got := w.events(in); !slices.Equal(got, tt.events) {
				t.Fatalf("events %v\nwant %v", got, tt.events)
			}
		})
	}
}

func TestStepErrorsAreNamedForTheStateMachine(t *testing.T) {
	w := newWorld(t)
	w.item("E-1", 10)
	unavailable := w.place("E-1", 1, "tok_unavailable")
	w.do("reserve", w.steps.Reserve, unavailable)
	ctx := context.Background()
	var pu *saga.PaymentUnavailable
	if _, err := w.steps.Authorize(ctx, unavailable); !errors.As(err, &pu) {
		t.Fatalf("tok_unavailable: %v; want *PaymentUnavailable", err)
	}
	if o := w.order(unavailable); o.Status() != order.Reserved || o.Payment().AuthorizationID != "" {
		t.Fatalf("a failed authorization changed the order: %v", o)
	}
	flaky := w.place("E-1", 1, "tok_flaky")
	w.do("reserve", w.steps.Reserve, flaky)
	for attempt := range 3 {
		flaky.Attempt = attempt
		r, err := w.steps.Authorize(ctx, flaky)
		if (attempt < 2) != errors.As(err, &pu) || (attempt == 2 && r.Status != "PAYMENT_AUTHORIZED") {
			t.Fatalf("tok_flaky attempt %d: %+v %v", attempt, r, err)
		}
	}
	var invalid *saga.InvalidInput
	for name, in := range map[string]saga.Input{
		"bad order id":     {OrderID: "not-an-id"},
		"unknown order":    {OrderID: "01JDQ7Z3M6X9V0YB2C4D5E6F7G"},
		"no outcome":       {OrderID: flaky.OrderID},
		"outcome unwanted": {OrderID: flaky.OrderID, Outcome: &saga.Outcome{Status: order.Confirmed}},
	} {
		step := w.steps.Reserve
		if in.OrderID == flaky.OrderID {
			step = w.steps.Finish
		}
		if _, err := step(ctx, in); !errors.As(err, &invalid) {
			t.Errorf("%s: %v; want *InvalidInput", name, err)
		}
	}
}

// A saga run that failed, timed out or was aborted is recovered from its status change event: the
// order gives back what it holds and ends, whatever step it had reached.
func TestRecoverExecution(t *testing.T) {
	tests := []struct {
		name   string
		upTo   func(w *world, in saga.Input)
		status order.Status
		reason order.Reason
	}{
		{"pending", func(*world, saga.Input) {}, order.Failed, order.SagaFailed},
		{"reserved", func(w *world, in saga.Input) { w.do("reserve", w.steps.Reserve, in) }, order.Failed, order.SagaFailed},
		{"authorized", func(w *world, in saga.Input) {
			w.do("reserve", w.steps.Reserve, in)
			w.do("authorize", w.steps.Authorize, in)
		}, order.Failed, order.SagaFailed},
		{"awaiting the customer's action", func(w *world, in saga.Input) { // paid with tok_3ds
			w.do("reserve", w.steps.Reserve, in)
			w.offPath("authorize", w.steps.Authorize, in, "PaymentActionRequired")
		}, order.Failed, order.SagaFailed},
		{"captured", func(w *world, in saga.Input) {
			w.do("reserve", w.steps.Reserve, in)
			w.do("authorize", w.steps.Authorize, in)
			w.do("capture", w.steps.Capture, in)
		}, order.Failed, order.SagaFailed},
		{"confirmed and cancelled", func(w *world, in saga.Input) {
			w.do("reserve", w.steps.Reserve, in)
			w.do("authorize", w.steps.Authorize, in)
			w.do("capture", w.steps.Capture, in)
			w.do("confirm", w.steps.Confirm, in)
			w.cancel(in)
		}, order.Cancelled, order.CustomerRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.item("R-1", 10)
			token := "tok_visa"
			if strings.HasPrefix(tt.name, "awaiting") {
				token = "tok_3ds"
			}
			in := w.place("R-1", 2, token)
			tt.upTo(w, in)
			input, _ := json.Marshal(in)
			detail, _ := json.Marshal(saga.ExecutionStatusChange{ExecutionArn: "arn:aws:states:us-east-1:123456789012:execution:saga:" + in.OrderID,
				Name: in.OrderID, Status: "ABORTED", Input: string(input)})
			for range 2 { // EventBridge may deliver the status change twice
				r, err := w.steps.RecoverExecution(context.Background(), detail)
				if err != nil || r.Status != string(tt.status) || r.Reason != string(tt.reason) {
					t.Fatalf("recovered %+v %v; want %s/%s", r, err, tt.status, tt.reason)
				}
			}
			if a, _, _ := w.stock("R-1", 10); a != 10 {
				t.Fatalf("available %d after recovery; want 10", a)
			}
			if o := w.order(in); o.PaymentReturn() != order.ReturnNone {
				t.Fatalf("recovered order still holds payment %+v", o.Payment())
			}
		})
	}
	w := newWorld(t)
	if _, err := w.steps.RecoverExecution(context.Background(), []byte(`{"name":"x","status":"SUCCEEDED"}`)); err == nil {
		t.Fatal("a succeeded execution was recovered")
	}
}

// recover-order's handler recovers the order of a run's status change event and logs the outcome as a
// warning; an event it cannot recover from is logged and returned, so that Lambda retries it and then
// dead-letters it.
func TestRecoverOrderHandlesStatusChangeEvents(t *testing.T) {
	w := newWorld(t)
	w.item("H-1", 10)
	in := w.place("H-1", 2, "tok_visa")
	w.do("reserve", w.steps.Reserve, in)
	var logs bytes.Buffer
	h := saga.RecoverOrder{Steps: w.steps, Log: slog.New(slog.NewJSONHandler(&logs, nil))}
	input, _ := json.Marshal(in)
	detail, _ := json.Marshal(saga.ExecutionStatusChange{Name: in.OrderID, Status: "TIMED_OUT", Input: string(input)})
	if err := h.Handle(context.Background(), events.EventBridgeEvent{ID: "eb-1", Detail: detail}); err != nil {
		t.Fatal(err)
	}
	if o := w.order(in); o.Status() != order.Failed || o.Reason() != order.SagaFailed {
		t.Fatalf("recovered %s/%s", o.Status(), o.Reason())
	}
	if a, _, _ := w.stock("H-1", 10); a != 10 {
		t.Fatalf("available %d after recovery", a)
	}
	// The run that timed out held the order open; recovery ends it, and its hold on the customer's limits.
	if h := w.holds(); !h.IsZero() {
		t.Fatalf("holds %+v after recovery", h)
	}
	var line struct{ Level, Msg, OrderID, Status string }
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil || line.Level != "WARN" || line.OrderID != in.OrderID || line.Status != "FAILED" {
		t.Fatalf("log %s", logs.String())
	}
	logs.Reset()
	if err := h.Handle(context.Background(), events.EventBridgeEvent{ID: "eb-2", Detail: []byte(`{"name":"x","status":"SUCCEEDED"}`)}); err == nil {
		t.Fatal("a succeeded execution was recovered")
	}
	if !strings.Contains(logs.String(), `"level":"ERROR"`) || !strings.Contains(logs.String(), `"eventId":"eb-2"`) {
		t.Fatalf("log %s", logs.String())
	}
}

// The provider's latency is a metric (EMF on stdout in Lambda), by what it answered.
func TestAuthorizeRecordsPaymentLatency(t *testing.T) {
	w := newWorld(t)
	var out bytes.Buffer
	w.steps.Metrics = metrics.New(&out)
	w.item("M-1", 10)
	for _, token := range []string{"tok_visa", "tok_declined", "tok_unavailable"} {
		in := w.place("M-1", 1, token)
		w.do("reserve", w.steps.Reserve, in)
		w.steps.Authorize(context.Background(), in)
	}
	var outcomes []string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var m struct {
			Outcome        string
			PaymentLatency *float64
		}
		if json.Unmarshal([]byte(line), &m) != nil || m.PaymentLatency == nil || !strings.Contains(line, `"_aws"`) {
			t.Fatalf("not a PaymentLatency metric: %s", line)
		}
		outcomes = append(outcomes, m.Outcome)
	}
	if strings.Join(outcomes, ",") != "AUTHORIZED,DECLINED,UNAVAILABLE" {
		t.Fatalf("outcomes %v", outcomes)
	}
}
