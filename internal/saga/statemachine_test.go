package saga_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orion-oss/orion/infra/engine/states"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/saga"
)

// lambdas runs the state machine's Task states the way Lambda does for a Go function: the input is
// decoded into saga.Input, the step runs, and an error becomes a failure named after its Go type with
// Lambda's error JSON as its cause. A fault, when set for a function, decides per attempt whether the
// function fails before doing its work, or after it (the work is done but the response is lost: a
// crash or a timeout). A hook, when set for a function, runs before its first call (another actor
// changing the order between two steps).
type lambdas struct {
	w      *world
	mu     sync.Mutex
	calls  map[string]int
	faults map[string]func(call int) (before, after bool)
	hooks  map[string]func(w *world, in saga.Input)
}

var placeholder = regexp.MustCompile(`\$\{(\w+)FunctionArn\}`)

var stepFunctions = []string{"ReserveStock", "AuthorizePayment", "ConfirmOrder", "RefundPayment", "ReleaseStock", "ReturnStock", "FinishOrder"}

func (l *lambdas) Run(ctx context.Context, resource string, input any) (any, error) {
	name := resource[strings.LastIndex(resource, ":")+1:]
	steps := map[string]saga.Step{"ReserveStock": l.w.steps.Reserve, "AuthorizePayment": l.w.steps.Authorize,
		"ConfirmOrder": l.w.steps.Confirm, "RefundPayment": l.w.steps.Refund, "ReleaseStock": l.w.steps.Release,
		"ReturnStock": l.w.steps.Return, "FinishOrder": l.w.steps.Finish}
	step, ok := steps[name]
	if !ok {
		return nil, &states.Failure{Name: "States.Runtime", Cause: "no function " + name}
	}
	l.mu.Lock()
	l.calls[name]++
	call := l.calls[name]
	fault, hook := l.faults[name], l.hooks[name]
	l.mu.Unlock()
	var before, after bool
	if fault != nil {
		before, after = fault(call)
	}
	if before {
		return nil, &states.Failure{Name: "Lambda.ServiceException", Cause: "injected before " + name}
	}
	b, _ := json.Marshal(input)
	var in saga.Input
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, &states.Failure{Name: "Runtime.UnmarshalError", Cause: err.Error()}
	}
	if hook != nil && call == 1 {
		hook(l.w, in)
	}
	r, err := step(ctx, in)
	if after { // the work is done, its answer (a result or a named error) lost
		return nil, &states.Failure{Name: "Sandbox.Timedout", Cause: "injected after " + name}
	}
	if err != nil {
		t := reflect.TypeOf(err) // aws-lambda-go names an error after its type
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		cause, _ := json.Marshal(map[string]string{"errorType": t.Name(), "errorMessage": err.Error()})
		return nil, &states.Failure{Name: t.Name(), Cause: string(cause)}
	}
	b, _ = json.Marshal(r)
	var out any
	_ = json.Unmarshal(b, &out)
	return out, nil
}

// billed is what Step Functions Standard bills for a run: every state entered, and every retry
// (https://aws.amazon.com/step-functions/pricing/): each invocation of a step beyond the one per Task
// state entered. A caught error is no retry.
func (l *lambdas) billed(entered []string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(entered)
	for _, c := range l.calls {
		n += c
	}
	for _, s := range entered {
		if slices.Contains(stepFunctions, s) {
			n--
		}
	}
	return n
}

// runMachine runs a definition from statemachines/ against the world and returns the states entered
// and how the execution ended.
func runMachine(t *testing.T, l *lambdas, file string, in saga.Input) ([]string, error) {
	t.Helper()
	def, err := os.ReadFile("../../statemachines/" + file)
	if err != nil {
		t.Fatal(err)
	}
	text := placeholder.ReplaceAllString(string(def), "arn:aws:lambda:us-east-1:123456789012:function:$1")
	m, err := states.Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	var entered []string
	e := &states.Execution{Resources: l, Sleep: func(context.Context, time.Duration) error { return nil },
		Context: map[string]any{"Execution": map[string]any{"Name": in.OrderID}},
		Observe: func(tr states.Transition) {
			if tr.Entered {
				entered = append(entered, tr.State)
			}
		}}
	input, _ := json.Marshal(in)
	var data any
	_ = json.Unmarshal(input, &data)
	_, err = e.Run(context.Background(), m, data)
	return entered, err
}

func always(before, after bool) func(int) (bool, bool) {
	return func(int) (bool, bool) { return before, after }
}

func lostOnce(call int) (bool, bool) { return false, call == 1 }

// Every path of the order saga, with the states it enters and the transitions Step Functions bills
// (issue 10: at most 12 on the confirmed path; each is $25 per million orders).
func TestOrderSagaUnderFaults(t *testing.T) {
	confirmed := []string{"ReserveStock", "AuthorizePayment", "ConfirmOrder"}
	compensated := []string{"ReserveStock", "AuthorizePayment", "ConfirmOrder", "RefundPayment", "ReleaseStock", "FinishOrder"}
	tests := []struct {
		name        string
		token       string
		qty         int64 // of the 10 in stock; 2 if 0
		faults      map[string]func(int) (bool, bool)
		hooks       map[string]func(w *world, in saga.Input)
		entered     []string
		transitions int
		failed      string // the execution's error, if it fails
		status      order.Status
		reason      order.Reason
		events      []string
		declineCode string
	}{
		{name: "confirmed", token: "tok_visa", entered: confirmed, transitions: 3, status: order.Confirmed,
			events: sorted("OrderPlaced", "InventoryReserved", "PaymentAuthorized", "InventoryCommitted", "OrderConfirmed")},
		{name: "every step's response lost once: the retries do nothing twice", token: "tok_visa",
			faults:  map[string]func(int) (bool, bool){"ReserveStock": lostOnce, "AuthorizePayment": lostOnce, "ConfirmOrder": lostOnce},
			entered: confirmed, transitions: 6, status: order.Confirmed,
			events: sorted("OrderPlaced", "InventoryReserved", "PaymentAuthorized", "InventoryCommitted", "OrderConfirmed")},
		{name: "out of stock: nothing held, REJECTED OUT_OF_STOCK", token: "tok_visa", qty: 11,
			entered: []string{"ReserveStock", "Settled"}, transitions: 2, status: order.Rejected, reason: order.OutOfStock,
			events: sorted("OrderPlaced", "InventoryReservationFailed", "OrderRejected")},
		{name: "out of stock, the response lost once: the retry finds the rejection", token: "tok_visa", qty: 11,
			faults:  map[string]func(int) (bool, bool){"ReserveStock": lostOnce},
			entered: []string{"ReserveStock", "Settled"}, transitions: 3, status: order.Rejected, reason: order.OutOfStock,
			events: sorted("OrderPlaced", "InventoryReservationFailed", "OrderRejected")},
		{name: "cancelled while PENDING: the saga finds it ended", token: "tok_visa",
			hooks:   map[string]func(*world, saga.Input){"ReserveStock": (*world).cancel},
			entered: []string{"ReserveStock", "Settled"}, transitions: 2, status: order.Cancelled, reason: order.CustomerRequest,
			events: sorted("OrderPlaced", "OrderCancelled")},
		{name: "declined: release, REJECTED PAYMENT_DECLINED with the provider's code", token: "tok_declined",
			entered: []string{"ReserveStock", "AuthorizePayment", "ReleaseStock", "FinishOrder"}, transitions: 4,
			status: order.Rejected, reason: order.PaymentDeclined, declineCode: "card_declined",
			events: sorted("OrderPlaced", "InventoryReserved", "InventoryReleased", "PaymentDeclined", "OrderRejected")},
		{name: "provider unavailable through every retry: release, FAILED PAYMENT_UNAVAILABLE", token: "tok_unavailable",
			entered: []string{"ReserveStock", "AuthorizePayment", "ReleaseStock", "FinishOrder"}, transitions: 7,
			status: order.Failed, reason: order.PaymentUnavailable,
			events: sorted("OrderPlaced", "InventoryReserved", "InventoryReleased", "OrderFailed")},
		{name: "cancelled before authorization: release, CANCELLED", token: "tok_visa",
			hooks:   map[string]func(*world, saga.Input){"AuthorizePayment": (*world).cancel},
			entered: []string{"ReserveStock", "AuthorizePayment", "RefundPayment", "ReleaseStock", "FinishOrder"}, transitions: 5,
			status: order.Cancelled, reason: order.CustomerRequest,
			events: sorted("OrderPlaced", "InventoryReserved", "OrderCancellationRequested", "InventoryReleased", "OrderCancelled")},
		{name: "cancelled before confirmation: refund, release, CANCELLED", token: "tok_visa",
			hooks:   map[string]func(*world, saga.Input){"ConfirmOrder": (*world).cancel},
			entered: compensated, transitions: 6, status: order.Cancelled, reason: order.CustomerRequest,
			events: sorted("OrderPlaced", "InventoryReserved", "PaymentAuthorized", "OrderCancellationRequested", "PaymentVoided", "InventoryReleased", "OrderCancelled")},
		{name: "confirmation keeps failing: refund, release, FAILED STEP_FAILED", token: "tok_visa",
			faults:  map[string]func(int) (bool, bool){"ConfirmOrder": always(true, false)},
			entered: compensated, transitions: 9, status: order.Failed, reason: order.StepFailed,
			events: sorted("OrderPlaced", "InventoryReserved", "PaymentAuthorized", "PaymentVoided", "InventoryReleased", "OrderFailed")},
		{name: "reservation keeps failing: nothing held, FAILED STEP_FAILED", token: "tok_visa",
			faults:  map[string]func(int) (bool, bool){"ReserveStock": always(true, false)},
			entered: []string{"ReserveStock", "RefundPayment", "ReleaseStock", "FinishOrder"}, transitions: 7,
			status: order.Failed, reason: order.StepFailed,
			events: sorted("OrderPlaced", "OrderFailed")},
		{name: "compensation keeps failing: the execution fails for recovery", token: "tok_visa",
			faults:      map[string]func(int) (bool, bool){"ConfirmOrder": always(true, false), "ReleaseStock": always(true, false)},
			entered:     []string{"ReserveStock", "AuthorizePayment", "ConfirmOrder", "RefundPayment", "ReleaseStock", "CompensationFailed"},
			transitions: 15, failed: "Saga.CompensationFailed", status: order.PaymentAuthorized,
			events: sorted("OrderPlaced", "InventoryReserved", "PaymentAuthorized", "PaymentVoided")},
		{name: "stock given back behind the saga's back: the execution fails for recovery", token: "tok_visa",
			hooks: map[string]func(*world, saga.Input){"AuthorizePayment": func(w *world, in saga.Input) {
				w.do("release", w.steps.Release, in)
			}},
			entered: []string{"ReserveStock", "AuthorizePayment", "UnexpectedStatus"}, transitions: 3,
			failed: "Saga.UnexpectedStatus", status: order.Reserved,
			events: sorted("OrderPlaced", "InventoryReserved", "InventoryReleased")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.item("F-1", 10)
			qty := tt.qty
			if qty == 0 {
				qty = 2
			}
			in := w.place("F-1", qty, tt.token)
			l := &lambdas{w: w, calls: map[string]int{}, faults: tt.faults, hooks: tt.hooks}
			entered, err := runMachine(t, l, "order-saga.asl.json", in)
			var f *states.Failure
			switch {
			case tt.failed == "" && err != nil, tt.failed != "" && (!errors.As(err, &f) || f.Name != tt.failed):
				t.Fatalf("execution ended with %v; want %q", err, tt.failed)
			}
			if !slices.Equal(entered, tt.entered) {
				t.Fatalf("states %v\nwant   %v", entered, tt.entered)
			}
			if got := l.billed(entered); got != tt.transitions {
				t.Fatalf("%d billed transitions (calls %v); want %d", got, l.calls, tt.transitions)
			}
			if o := w.order(in); o.Status() != tt.status || o.Reason() != tt.reason {
				t.Fatalf("order %s/%s; want %s/%s", o.Status(), o.Reason(), tt.status, tt.reason)
			}
			if got := w.events(in); !slices.Equal(got, tt.events) {
				t.Fatalf("events %v\nwant   %v", got, tt.events)
			}
			if tt.declineCode != "" {
				var d struct{ Code string }
				if err := json.Unmarshal(w.event(in, "PaymentDeclined").Data, &d); err != nil || d.Code != tt.declineCode {
					t.Fatalf("PaymentDeclined code %q (%v); want %q", d.Code, err, tt.declineCode)
				}
			}
			if tt.failed != "" {
				// What the failed execution's status change event then does.
				r, err := w.steps.Recover(context.Background(), in)
				if err != nil || r.Status != string(order.Failed) || r.Reason != string(order.SagaFailed) {
					t.Fatalf("recovered %+v %v", r, err)
				}
			}
			if o := w.order(in); o.Status() != order.Confirmed {
				if a, _, _ := w.stock("F-1", 10); a != 10 {
					t.Fatalf("available %d once the order ended %s; want 10", a, o.Status())
				}
			}
		})
	}
}

func TestCancellationRunAfterConfirmation(t *testing.T) {
	w := newWorld(t)
	w.item("X-1", 10)
	in := w.place("X-1", 2, "tok_visa")
	l := &lambdas{w: w, calls: map[string]int{}, faults: map[string]func(int) (bool, bool){
		"ReturnStock": func(call int) (bool, bool) { return false, call == 1 }, // its response lost once
	}}
	entered, err := runMachine(t, l, "order-saga.asl.json", in)
	if err != nil || w.order(in).Status() != order.Confirmed {
		t.Fatalf("saga: %v, %s", err, w.order(in).Status())
	}
	if got := l.billed(entered); got != 3 {
		t.Fatalf("%d billed transitions for the saga; want 3", got)
	}
	w.cancel(in)
	l.calls = map[string]int{}
	entered, err = runMachine(t, l, "order-cancellation.asl.json", in)
	if err != nil || !slices.Equal(entered, []string{"RefundPayment", "ReturnStock", "FinishOrder"}) {
		t.Fatalf("cancellation run: %v through %v", err, entered)
	}
	if got := l.billed(entered); got != 3+1 { // ReturnStock's retry is billed
		t.Fatalf("%d billed transitions for the cancellation run; want 4", got)
	}
	if o := w.order(in); o.Status() != order.Cancelled || !o.Payment().Voided || !o.StockReturned() {
		t.Fatalf("order after the cancellation run: %v %+v", o, o.Payment())
	}
	if a, r, s := w.stock("X-1", 10); a != 10 || r != 0 || s != 0 {
		t.Fatalf("stock: available %d reserved %d sold %d", a, r, s)
	}
	want := sorted("OrderPlaced", "InventoryReserved", "PaymentAuthorized", "InventoryCommitted", "OrderConfirmed",
		"OrderCancellationRequested", "PaymentVoided", "InventoryReturned", "OrderCancelled")
	if got := w.events(in); !slices.Equal(got, want) {
		t.Fatalf("events %v\nwant   %v", got, want)
	}
}

// The order saga routes every named error a forward step can return by its own Catch, never retries
// one (each is an answer: a retry would ask again and bill again), and names only errors the steps
// have (a typo would fall through to States.ALL: compensation, FAILED STEP_FAILED).
func TestOrderSagaRoutesEveryNamedError(t *testing.T) {
	def, err := os.ReadFile("../../statemachines/order-saga.asl.json")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		States map[string]struct {
			Type  string
			Retry []struct {
				ErrorEquals []string
				MaxAttempts *int
			}
			Catch []struct {
				ErrorEquals []string
				Next        string
			}
		}
	}
	if err := json.Unmarshal(def, &m); err != nil {
		t.Fatal(err)
	}
	name := func(err error) string { return reflect.TypeOf(err).Elem().Name() }
	ended := []error{&saga.OutOfStock{}, &saga.OrderEnded{}, &saga.CancellationRequested{}, &saga.UnexpectedStatus{}}
	offPath := map[string][]error{"ReserveStock": ended, "ConfirmOrder": ended,
		"AuthorizePayment": append([]error{&saga.PaymentDeclined{}}, ended...)}
	known := map[string]bool{name(&saga.InvalidInput{}): true, name(&saga.PaymentUnavailable{}): true, name(&saga.PaymentDeclined{}): true}
	for _, err := range ended {
		known[name(err)] = true
	}
	wantNext := map[string]string{"OutOfStock": "Settled", "OrderEnded": "Settled", "CancellationRequested": "RefundPayment",
		"UnexpectedStatus": "UnexpectedStatus", "PaymentDeclined": "ReleaseStock", "PaymentUnavailable": "ReleaseStock"}
	for state, s := range m.States {
		for _, r := range s.Retry {
			for _, e := range r.ErrorEquals {
				if !strings.HasPrefix(e, "States.") && !known[e] {
					t.Errorf("%s retries %s, which no step returns", state, e)
				}
			}
		}
		for _, c := range s.Catch {
			for _, e := range c.ErrorEquals {
				if !strings.HasPrefix(e, "States.") && !known[e] {
					t.Errorf("%s catches %s, which no step returns", state, e)
				}
			}
		}
		for _, err := range offPath[state] {
			e := name(err)
			for _, r := range s.Retry {
				if slices.Contains(r.ErrorEquals, e) || slices.Contains(r.ErrorEquals, "States.ALL") {
					if r.MaxAttempts == nil || *r.MaxAttempts != 0 {
						t.Errorf("%s retries %s", state, e)
					}
					break
				}
			}
			next := ""
			for _, c := range s.Catch {
				if slices.Contains(c.ErrorEquals, e) {
					next = c.Next
					break
				}
			}
			if next != wantNext[e] {
				t.Errorf("%s routes %s to %q; want %q", state, e, next, wantNext[e])
			}
		}
	}
	// PaymentUnavailable is retried (its own retrier, before States.ALL), then releases the stock.
	authorize := m.States["AuthorizePayment"]
	for _, c := range authorize.Catch {
		if slices.Contains(c.ErrorEquals, "PaymentUnavailable") && c.Next != wantNext["PaymentUnavailable"] {
			t.Errorf("AuthorizePayment routes PaymentUnavailable to %s", c.Next)
		}
	}
	for _, r := range authorize.Retry {
		if slices.Contains(r.ErrorEquals, "PaymentUnavailable") && (r.MaxAttempts == nil || *r.MaxAttempts == 0) {
			t.Errorf("AuthorizePayment does not retry PaymentUnavailable")
		}
	}
}
