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

	"github.com/orion-oss/orion/infra/states"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/saga"
)

// lambdas runs the state machine's Task states the way Lambda does for a Go function: the input is
// decoded into saga.Input, the step runs, and an error becomes a failure named after its Go type. A
// fault, when set for a function, decides per attempt whether the function fails before doing its
// work, or after it (the work is done but the response is lost: a crash or a timeout).
type lambdas struct {
	w      *world
	mu     sync.Mutex
	calls  map[string]int
	faults map[string]func(call int) (before, after bool)
}

var placeholder = regexp.MustCompile(`\$\{(\w+)FunctionArn\}`)

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
	fault := l.faults[name]
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
	r, err := step(ctx, in)
	if err != nil {
		t := reflect.TypeOf(err) // aws-lambda-go names an error after its type
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		return nil, &states.Failure{Name: t.Name(), Cause: err.Error()}
	}
	if after {
		return nil, &states.Failure{Name: "Sandbox.Timedout", Cause: "injected after " + name}
	}
	b, _ = json.Marshal(r)
	var out any
	_ = json.Unmarshal(b, &out)
	return out, nil
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

func TestOrderSagaUnderFaults(t *testing.T) {
	confirmed := []string{"ReserveStock", "AfterReserve", "AuthorizePayment", "AfterAuthorize", "ConfirmOrder", "AfterConfirm", "Settled"}
	tests := []struct {
		name    string
		token   string
		faults  map[string]func(int) (bool, bool)
		entered []string
		failed  string // the execution's error, if it fails
		status  order.Status
		reason  order.Reason
		events  []string
	}{
		{name: "every step's response lost once: the retries do nothing twice", token: "tok_visa",
			faults: map[string]func(int) (bool, bool){
				"ReserveStock":     func(call int) (bool, bool) { return false, call == 1 },
				"AuthorizePayment": func(call int) (bool, bool) { return false, call == 1 },
				"ConfirmOrder":     func(call int) (bool, bool) { return false, call == 1 },
			},
			entered: confirmed, status: order.Confirmed,
			events: sorted("OrderPlaced", "InventoryReserved", "PaymentAuthorized", "InventoryCommitted", "OrderConfirmed")},
		{name: "confirmation keeps failing: refund, release, FAILED STEP_FAILED", token: "tok_visa",
			faults:  map[string]func(int) (bool, bool){"ConfirmOrder": always(true, false)},
			entered: []string{"ReserveStock", "AfterReserve", "AuthorizePayment", "AfterAuthorize", "ConfirmOrder", "StepFailed", "RefundPayment", "ReleaseStock", "FinishOrder", "Settled"},
			status:  order.Failed, reason: order.StepFailed,
			events: sorted("OrderPlaced", "InventoryReserved", "PaymentAuthorized", "PaymentRefunded", "InventoryReleased", "OrderFailed")},
		{name: "reservation keeps failing: nothing held, FAILED STEP_FAILED", token: "tok_visa",
			faults:  map[string]func(int) (bool, bool){"ReserveStock": always(true, false)},
			entered: []string{"ReserveStock", "StepFailed", "RefundPayment", "ReleaseStock", "FinishOrder", "Settled"},
			status:  order.Failed, reason: order.StepFailed,
			events: sorted("OrderPlaced", "OrderFailed")},
		{name: "compensation keeps failing: the execution fails for recovery", token: "tok_visa",
			faults:  map[string]func(int) (bool, bool){"ConfirmOrder": always(true, false), "ReleaseStock": always(true, false)},
			entered: []string{"ReserveStock", "AfterReserve", "AuthorizePayment", "AfterAuthorize", "ConfirmOrder", "StepFailed", "RefundPayment", "ReleaseStock", "CompensationFailed"},
			failed:  "Saga.CompensationFailed", status: order.PaymentAuthorized,
			events: sorted("OrderPlaced", "InventoryReserved", "PaymentAuthorized", "PaymentRefunded")},
		{name: "provider unavailable through every retry", token: "tok_unavailable",
			entered: []string{"ReserveStock", "AfterReserve", "AuthorizePayment", "PaymentUnavailable", "ReleaseStock", "FinishOrder", "Settled"},
			status:  order.Failed, reason: order.PaymentUnavailable,
			events: sorted("OrderPlaced", "InventoryReserved", "InventoryReleased", "OrderFailed")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.item("F-1", 10)
			in := w.place("F-1", 2, tt.token)
			l := &lambdas{w: w, calls: map[string]int{}, faults: tt.faults}
			entered, err := runMachine(t, l, "order-saga.asl.json", in)
			var f *states.Failure
			switch {
			case tt.failed == "" && err != nil, tt.failed != "" && (!errors.As(err, &f) || f.Name != tt.failed):
				t.Fatalf("execution ended with %v; want %q", err, tt.failed)
			}
			if !slices.Equal(entered, tt.entered) {
				t.Fatalf("states %v\nwant   %v", entered, tt.entered)
			}
			if o := w.order(in); o.Status() != tt.status || o.Reason() != tt.reason {
				t.Fatalf("order %s/%s; want %s/%s", o.Status(), o.Reason(), tt.status, tt.reason)
			}
			if got := w.events(in); !slices.Equal(got, tt.events) {
				t.Fatalf("events %v\nwant   %v", got, tt.events)
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
	if _, err := runMachine(t, l, "order-saga.asl.json", in); err != nil || w.order(in).Status() != order.Confirmed {
		t.Fatalf("saga: %v, %s", err, w.order(in).Status())
	}
	w.cancel(in)
	entered, err := runMachine(t, l, "order-cancellation.asl.json", in)
	if err != nil || !slices.Equal(entered, []string{"RefundPayment", "ReturnStock", "FinishOrder", "Cancelled"}) {
		t.Fatalf("cancellation run: %v through %v", err, entered)
	}
	if o := w.order(in); o.Status() != order.Cancelled || o.Payment().RefundID == "" || !o.StockReturned() {
		t.Fatalf("order after the cancellation run: %v %+v", o, o.Payment())
	}
	if a, r, s := w.stock("X-1", 10); a != 10 || r != 0 || s != 0 {
		t.Fatalf("stock: available %d reserved %d sold %d", a, r, s)
	}
	want := sorted("OrderPlaced", "InventoryReserved", "PaymentAuthorized", "InventoryCommitted", "OrderConfirmed",
		"OrderCancellationRequested", "PaymentRefunded", "InventoryReturned", "OrderCancelled")
	if got := w.events(in); !slices.Equal(got, want) {
		t.Fatalf("events %v\nwant   %v", got, want)
	}
}
