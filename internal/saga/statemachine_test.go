package saga_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orion-oss/orion/infra/engine/states"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/saga"
)

// lambdas runs the state machine's Task states the way Lambda does for a Go function: the input is
// decoded into saga.Input, the step runs, and an error becomes a failure named after its Go type with
// Lambda's error JSON as its cause. A fault, when set for a function, decides per attempt whether the
// function fails before doing its work, or after it (the work is done but the response is lost: a
// crash or a timeout). A hook, when set for a function, runs before its first call (another actor
// changing the order between two steps); an after hook runs after each call that answered (the
// provider's event arriving while the run waits). A .waitForTaskToken task's token is answered
// through the interpreter's Tokens, which the world's steps resume with (tokenResumer).
type lambdas struct {
	w      *world
	mu     sync.Mutex
	calls  map[string]int
	faults map[string]func(call int) (before, after bool)
	hooks  map[string]func(w *world, in saga.Input)
	after  map[string]func(w *world, in saga.Input)
	tokens *states.Tokens
}

var placeholder = regexp.MustCompile(`\$\{(\w+)FunctionArn\}`)

// stepFunctions are the Task states that invoke a step function.
var stepFunctions = []string{"ReserveStock", "AuthorizePayment", "AwaitPaymentAction", "ConfirmOrder", "RefundPayment",
	"ReleaseStock", "ReturnStock", "FinishOrder"}

func (l *lambdas) Run(ctx context.Context, resource string, input any) (any, error) {
	envelope := resource == "arn:aws:states:::lambda:invoke" // the integration: Parameters name the function and its payload
	if envelope {
		m := input.(map[string]any)
		resource, input = m["FunctionName"].(string), m["Payload"]
	}
	name := resource[strings.LastIndex(resource, ":")+1:]
	steps := map[string]saga.Step{"ReserveStock": l.w.steps.Reserve, "AuthorizePayment": l.w.steps.Authorize,
		"AwaitPayment": l.w.steps.Await,
		"ConfirmOrder": l.w.steps.Confirm, "RefundPayment": l.w.steps.Refund, "ReleaseStock": l.w.steps.Release,
		"ReturnStock": l.w.steps.Return, "FinishOrder": l.w.steps.Finish}
	step, ok := steps[name]
	if !ok {
		return nil, &states.Failure{Name: "States.Runtime", Cause: "no function " + name}
	}
	l.mu.Lock()
	l.calls[name]++
	call := l.calls[name]
	fault, hook, then := l.faults[name], l.hooks[name], l.after[name]
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
	if then != nil {
		then(l.w, in)
	}
	b, _ = json.Marshal(r)
	var out any
	_ = json.Unmarshal(b, &out)
	if envelope {
		return map[string]any{"ExecutedVersion": "$LATEST", "Payload": out, "StatusCode": 200.0}, nil
	}
	return out, nil
}

// tokenResumer answers task tokens through the interpreter's Tokens, as the Step Functions adapter
// does through the API: a token nobody waits for is saga.ErrTaskClosed.
type tokenResumer struct{ tokens *states.Tokens }

func (r tokenResumer) Succeed(_ context.Context, token string, output []byte) error {
	return closed(r.tokens.Succeed(token, string(output)))
}

func (r tokenResumer) Fail(_ context.Context, token, name, cause string) error {
	return closed(r.tokens.Fail(token, name, cause))
}

func closed(err error) error {
	if errors.Is(err, states.ErrInvalidToken) {
		return errors.Join(saga.ErrTaskClosed, err)
	}
	return err
}

// newLambdas runs the world's steps, waits included.
func newLambdas(w *world) *lambdas {
	l := &lambdas{w: w, calls: map[string]int{}, tokens: &states.Tokens{}}
	w.steps.Resumer = tokenResumer{l.tokens}
	return l
}

// providerEvent is what the provider-event handler does with the outcome of a customer action: it
// records it on the order and, when the run's task token is stored there, answers it. The
// ProviderEvents handler is tested on its own; this stands in for it between two steps.
func providerEvent(succeeded bool) func(w *world, in saga.Input) {
	return func(w *world, in saga.Input) {
		w.t.Helper()
		o, err := w.store.Update(context.Background(), order.ID(in.OrderID), cause, func(o *order.Order) ([]event.Payload, error) {
			if succeeded {
				return o.CompletePaymentAction(o.Payment().AuthorizationID, time.Now())
			}
			return o.FailPaymentAction("authentication_failed", time.Now())
		})
		if err != nil {
			w.t.Fatal(err)
		}
		token := o.Payment().TaskToken
		if token == "" {
			return // the wait has not begun: it will find the outcome
		}
		r := w.steps.Resumer
		if succeeded {
			b, _ := json.Marshal(map[string]any{"orderId": in.OrderID, "status": string(o.Status())})
			err = r.Succeed(context.Background(), token, b)
		} else {
			err = r.Fail(context.Background(), token, "PaymentDeclined", "payment declined: authentication_failed")
		}
		if err != nil && !errors.Is(err, saga.ErrTaskClosed) {
			w.t.Fatal(err)
		}
	}
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
func runMachine(t *testing.T, l *lambdas, file string, in saga.Input, edits ...func(string) string) ([]string, error) {
	t.Helper()
	def, err := os.ReadFile("../../statemachines/" + file)
	if err != nil {
		t.Fatal(err)
	}
	text := placeholder.ReplaceAllString(string(def), "arn:aws:lambda:us-east-1:123456789012:function:$1")
	for _, edit := range edits {
		text = edit(text)
	}
	m, err := states.Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	var entered []string
	// Retry intervals pass at once, but not once the execution has ended (timed out): as on AWS, and as the
	// engine's own sleep does, an ended run retries nothing.
	input, _ := json.Marshal(in)
	var data any
	_ = json.Unmarshal(input, &data)
	e := &states.Execution{Resources: l, Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }, Tokens: l.tokens,
		Context: map[string]any{"Execution": map[string]any{"Name": in.OrderID, "Input": data}},
		Observe: func(tr states.Transition) {
			if tr.Entered {
				entered = append(entered, tr.State)
			}
		}}
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
	withAction := []string{"ReserveStock", "AuthorizePayment", "AwaitPaymentAction", "ConfirmOrder"}
	actionFailed := []string{"ReserveStock", "AuthorizePayment", "AwaitPaymentAction", "RefundPayment", "ReleaseStock", "FinishOrder"}
	tests := []struct {
		name        string
		token       string
		qty         int64 // of the 10 in stock; 2 if 0
		faults      map[string]func(int) (bool, bool)
		hooks       map[string]func(w *world, in saga.Input)
		after       map[string]func(w *world, in saga.Input)
		waitSeconds int // the wait's TimeoutSeconds, if not the definition's
		runSeconds  int // the execution's TimeoutSeconds, if not the definition's
		entered     []string
		transitions int
		failed      string // the execution's error, if it fails
		status      order.Status
		reason      order.Reason
		events      []string
		declineCode string
	}{
		{name: "confirmed", token: "tok_visa", entered: confirmed, transitions: 3, status: order.Confirmed,
			events: sorted("OrderPlaced", "InventoryReserved", "PaymentAuthorized", "PaymentCaptured", "InventoryCommitted", "OrderConfirmed")},
		{name: "every step's response lost once: the retries do nothing twice", token: "tok_visa",
			faults:  map[string]func(int) (bool, bool){"ReserveStock": lostOnce, "AuthorizePayment": lostOnce, "ConfirmOrder": lostOnce},
			entered: confirmed, transitions: 6, status: order.Confirmed,
			events: sorted("OrderPlaced", "InventoryReserved", "PaymentAuthorized", "PaymentCaptured", "InventoryCommitted", "OrderConfirmed")},
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
		// The confirming step captures nothing once a cancellation is pending: the hold is voided, never
		// captured and refunded.
		{name: "cancelled before confirmation: void the hold, release, CANCELLED", token: "tok_visa",
			hooks:   map[string]func(*world, saga.Input){"ConfirmOrder": (*world).cancel},
			entered: compensated, transitions: 6, status: order.Cancelled, reason: order.CustomerRequest,
			events: sorted("OrderPlaced", "InventoryReserved", "PaymentAuthorized", "OrderCancellationRequested", "PaymentVoided",
				"InventoryReleased", "OrderCancelled")},
		// A cancellation that lands between the capture and the confirmation's write: the capture is
		// recorded alone and refunded.
		{name: "cancelled after the capture: refund, release, CANCELLED", token: "tok_visa",
			hooks:   map[string]func(*world, saga.Input){"ConfirmOrder": cancelAfterCapture},
			entered: compensated, transitions: 6, status: order.Cancelled, reason: order.CustomerRequest,
			events: sorted("OrderPlaced", "InventoryReserved", "PaymentAuthorized", "OrderCancellationRequested", "PaymentCaptured", "PaymentRefunded",
				"InventoryReleased", "OrderCancelled")},
		{name: "confirmation keeps failing: void, release, FAILED STEP_FAILED", token: "tok_visa",
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
		{name: "3-D Secure, the outcome after the wait began: the provider's event resumes the run", token: "tok_3ds",
			after:   map[string]func(*world, saga.Input){"AwaitPayment": providerEvent(true)},
			entered: withAction, transitions: 4, status: order.Confirmed,
			events: sorted("OrderPlaced", "InventoryReserved", "PaymentActionRequired", "PaymentAuthorized", "PaymentCaptured", "InventoryCommitted", "OrderConfirmed")},
		{name: "3-D Secure, the outcome before the wait: the wait resumes the run itself", token: "tok_3ds",
			hooks:   map[string]func(*world, saga.Input){"AwaitPayment": providerEvent(true)},
			entered: withAction, transitions: 4, status: order.Confirmed,
			events: sorted("OrderPlaced", "InventoryReserved", "PaymentActionRequired", "PaymentAuthorized", "PaymentCaptured", "InventoryCommitted", "OrderConfirmed")},
		{name: "3-D Secure, the wait's answer lost once: the retried wait stores its own token", token: "tok_3ds",
			faults:  map[string]func(int) (bool, bool){"AwaitPayment": lostOnce, "ConfirmOrder": lostOnce},
			after:   map[string]func(*world, saga.Input){"AwaitPayment": providerEvent(true)},
			entered: withAction, transitions: 6, status: order.Confirmed,
			events: sorted("OrderPlaced", "InventoryReserved", "PaymentActionRequired", "PaymentAuthorized", "PaymentCaptured", "InventoryCommitted", "OrderConfirmed")},
		{name: "3-D Secure failed after the wait began: void, release, REJECTED with the provider's code", token: "tok_3ds",
			after:   map[string]func(*world, saga.Input){"AwaitPayment": providerEvent(false)},
			entered: actionFailed, transitions: 6, status: order.Rejected, reason: order.PaymentDeclined, declineCode: "authentication_failed",
			events: sorted("OrderPlaced", "InventoryReserved", "PaymentActionRequired", "PaymentVoided", "InventoryReleased", "PaymentDeclined", "OrderRejected")},
		{name: "3-D Secure failed before the wait: the wait fails the run itself", token: "tok_3ds",
			hooks:   map[string]func(*world, saga.Input){"AwaitPayment": providerEvent(false)},
			entered: actionFailed, transitions: 6, status: order.Rejected, reason: order.PaymentDeclined, declineCode: "authentication_failed",
			events: sorted("OrderPlaced", "InventoryReserved", "PaymentActionRequired", "PaymentVoided", "InventoryReleased", "PaymentDeclined", "OrderRejected")},
		{name: "3-D Secure never completed: the wait expires, void, release, REJECTED payment_action_expired", token: "tok_3ds", waitSeconds: 1,
			entered:     []string{"ReserveStock", "AuthorizePayment", "AwaitPaymentAction", "PaymentActionExpired", "RefundPayment", "ReleaseStock", "FinishOrder"},
			transitions: 7, status: order.Rejected, reason: order.PaymentDeclined, declineCode: "payment_action_expired",
			events: sorted("OrderPlaced", "InventoryReserved", "PaymentActionRequired", "PaymentVoided", "InventoryReleased", "PaymentDeclined", "OrderRejected")},
		{name: "nothing answers within the whole run's window: the run times out, recovery voids, releases, FAILED SAGA_FAILED",
			token: "tok_3ds", runSeconds: 1,
			entered: []string{"ReserveStock", "AuthorizePayment", "AwaitPaymentAction"}, transitions: 3, failed: "States.Timeout",
			status: order.Reserved, events: sorted("OrderPlaced", "InventoryReserved", "PaymentActionRequired")},
		{name: "cancelled while the action is pending: void, release, CANCELLED", token: "tok_3ds",
			hooks:   map[string]func(*world, saga.Input){"AwaitPayment": (*world).cancel},
			entered: actionFailed, transitions: 6, status: order.Cancelled, reason: order.CustomerRequest,
			events: sorted("OrderPlaced", "InventoryReserved", "PaymentActionRequired", "OrderCancellationRequested", "PaymentVoided", "InventoryReleased", "OrderCancelled")},
		{name: "capture declined: void, release, REJECTED capture_declined", token: "tok_capture_declined",
			entered:     []string{"ReserveStock", "AuthorizePayment", "ConfirmOrder", "RefundPayment", "ReleaseStock", "FinishOrder"},
			transitions: 6, status: order.Rejected, reason: order.PaymentDeclined, declineCode: "capture_declined",
			events: sorted("OrderPlaced", "InventoryReserved", "PaymentAuthorized", "PaymentVoided", "InventoryReleased", "PaymentDeclined", "OrderRejected")},
		{name: "capture declined, its answer lost once: the retry answers the same", token: "tok_capture_declined",
			faults:      map[string]func(int) (bool, bool){"ConfirmOrder": lostOnce},
			entered:     []string{"ReserveStock", "AuthorizePayment", "ConfirmOrder", "RefundPayment", "ReleaseStock", "FinishOrder"},
			transitions: 7, status: order.Rejected, reason: order.PaymentDeclined, declineCode: "capture_declined",
			events: sorted("OrderPlaced", "InventoryReserved", "PaymentAuthorized", "PaymentVoided", "InventoryReleased", "PaymentDeclined", "OrderRejected")},
		{name: "capture unavailable through every retry: void, release, FAILED PAYMENT_UNAVAILABLE", token: "tok_capture_unavailable",
			entered:     []string{"ReserveStock", "AuthorizePayment", "ConfirmOrder", "RefundPayment", "ReleaseStock", "FinishOrder"},
			transitions: 9, status: order.Failed, reason: order.PaymentUnavailable,
			events: sorted("OrderPlaced", "InventoryReserved", "PaymentAuthorized", "PaymentVoided", "InventoryReleased", "OrderFailed")},
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
			// Each path has tables of its own (newWorld), and several wait out a run's or a wait's
			// timeout in real time: side by side, the test takes its longest path, not the sum of
			// them (20 s; docs/adr/0025).
			t.Parallel()
			w := newWorld(t)
			w.item("F-1", 10)
			qty := tt.qty
			if qty == 0 {
				qty = 2
			}
			in := w.place("F-1", qty, tt.token)
			l := newLambdas(w)
			l.faults, l.hooks, l.after = tt.faults, tt.hooks, tt.after
			var edits []func(string) string
			if tt.waitSeconds > 0 {
				edits = append(edits, func(def string) string {
					return strings.Replace(def, `"TimeoutSeconds": 900`, fmt.Sprintf(`"TimeoutSeconds": %d`, tt.waitSeconds), 1)
				})
			}
			if tt.runSeconds > 0 {
				edits = append(edits, func(def string) string {
					return strings.Replace(def, `"TimeoutSeconds": 1800`, fmt.Sprintf(`"TimeoutSeconds": %d`, tt.runSeconds), 1)
				})
			}
			entered, err := runMachine(t, l, "order-saga.asl.json", in, edits...)
			if h := w.holds(); tt.status.IsOpen() != (h == order.Hold{Orders: 1, Units: qty}) || (!tt.status.IsOpen() && !h.IsZero()) {
				t.Fatalf("the customer's holds are %+v with the order %s", h, tt.status)
			}
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
			// Every path ends the hold on the customer's limits, once (steps retried and answers lost
			// above included), so the customer may place orders up to the limits again.
			if h := w.holds(); !h.IsZero() {
				t.Fatalf("the customer's holds are %+v once the order is %s; want none", h, w.order(in).Status())
			}
		})
	}
}

func TestCancellationRunAfterConfirmation(t *testing.T) {
	w := newWorld(t)
	w.item("X-1", 10)
	in := w.place("X-1", 2, "tok_visa")
	l := newLambdas(w)
	l.faults = map[string]func(int) (bool, bool){
		"ReturnStock": func(call int) (bool, bool) { return false, call == 1 }, // its response lost once
	}
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
	if o := w.order(in); o.Status() != order.Cancelled || o.Payment().RefundID == "" || !o.StockReturned() {
		t.Fatalf("order after the cancellation run: %v %+v", o, o.Payment())
	}
	if a, r, s := w.stock("X-1", 10); a != 10 || r != 0 || s != 0 {
		t.Fatalf("stock: available %d reserved %d sold %d", a, r, s)
	}
	want := sorted("OrderPlaced", "InventoryReserved", "PaymentAuthorized", "PaymentCaptured", "InventoryCommitted", "OrderConfirmed",
		"OrderCancellationRequested", "PaymentRefunded", "InventoryReturned", "OrderCancelled")
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
	declinedOrEnded := append([]error{&saga.PaymentDeclined{}}, ended...)
	offPath := map[string][]error{"ReserveStock": ended, "ConfirmOrder": declinedOrEnded,
		"AuthorizePayment":   append([]error{&saga.PaymentActionRequired{}}, declinedOrEnded...),
		"AwaitPaymentAction": declinedOrEnded}
	known := map[string]bool{name(&saga.InvalidInput{}): true, name(&saga.PaymentUnavailable{}): true, name(&saga.PaymentDeclined{}): true,
		name(&saga.PaymentActionRequired{}): true}
	for _, err := range ended {
		known[name(err)] = true
	}
	wantNext := map[string]string{"OutOfStock": "Settled", "OrderEnded": "Settled", "CancellationRequested": "RefundPayment",
		"UnexpectedStatus": "UnexpectedStatus", "PaymentDeclined": "ReleaseStock", "PaymentUnavailable": "ReleaseStock",
		"PaymentActionRequired": "AwaitPaymentAction"}
	// After the authorization, the provider holds money: a decline or an unavailable provider voids it first.
	holding := map[string]bool{"AwaitPaymentAction": true, "ConfirmOrder": true}
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
			want := wantNext[e]
			if holding[state] && (e == "PaymentDeclined" || e == "PaymentUnavailable") {
				want = "RefundPayment"
			}
			if next != want {
				t.Errorf("%s routes %s to %q; want %q", state, e, next, want)
			}
		}
	}
	// PaymentUnavailable is retried (its own retrier, before States.ALL), then releases the stock
	// (authorize: nothing held) or voids the hold first (capture).
	for state, next := range map[string]string{"AuthorizePayment": "ReleaseStock", "ConfirmOrder": "RefundPayment"} {
		routed, retried := false, false
		for _, c := range m.States[state].Catch {
			if slices.Contains(c.ErrorEquals, "PaymentUnavailable") {
				routed = c.Next == next
				break
			}
		}
		for _, r := range m.States[state].Retry {
			if slices.Contains(r.ErrorEquals, "PaymentUnavailable") {
				retried = r.MaxAttempts != nil && *r.MaxAttempts > 0
				break
			}
		}
		if !routed || !retried {
			t.Errorf("%s: PaymentUnavailable routed to %s: %v, retried: %v", state, next, routed, retried)
		}
	}
	// The wait is never retried after it expired (that would wait again), and its expiry is a decline.
	for _, r := range m.States["AwaitPaymentAction"].Retry {
		if slices.Contains(r.ErrorEquals, "States.Timeout") || slices.Contains(r.ErrorEquals, "States.ALL") {
			if !slices.Contains(r.ErrorEquals, "States.Timeout") || r.MaxAttempts == nil || *r.MaxAttempts != 0 {
				t.Error("AwaitPaymentAction retries States.Timeout")
			}
			break
		}
	}
}
