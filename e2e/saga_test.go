package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/orion-oss/orion/infra/engine/eventbus"
	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/platform/awscfg"
)

// bus records every event the local runtime routes, by order id (or, for an event of no order, by
// its SKU), so that tests can assert which events an order's story produced, and how many of each.
var bus recorder

type recorder struct {
	mu      sync.Mutex
	byOrder map[string][]eventbus.Event
}

func (r *recorder) record(busName string, ev eventbus.Event) {
	var d struct {
		Data struct {
			OrderID string `json:"orderId"`
			SKU     string `json:"sku"` // InventoryLow and the catalog's events
		} `json:"data"`
		Name string `json:"name"` // Step Functions status changes: the execution name is the order id
	}
	_ = json.Unmarshal(ev.Detail, &d)
	id := d.Data.OrderID
	if id == "" {
		id = d.Name
	}
	if id == "" {
		id = d.Data.SKU
	}
	if id == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byOrder == nil {
		r.byOrder = map[string][]eventbus.Event{}
	}
	r.byOrder[id] = append(r.byOrder[id], ev)
}

// types lists the order's domain events (not Step Functions' own) in the order they were routed.
func (r *recorder) types(orderID string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, ev := range r.byOrder[orderID] {
		if ev.Source != "aws.states" {
			out = append(out, ev.DetailType)
		}
	}
	return out
}

func (r *recorder) first(orderID, detailType string) (eventbus.Event, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ev := range r.byOrder[orderID] {
		if ev.DetailType == detailType {
			return ev, true
		}
	}
	return eventbus.Event{}, false
}

// stockItem creates an item with the given stock and returns its SKU.
func stockItem(t *testing.T, available int) string {
	t.Helper()
	s := sku(t)
	body := fmt.Sprintf(`{"name":"Saga %s","price":{"amount":1250,"currency":"USD"},"available":%d}`, s, available)
	if r := do(t, "PUT", "/inventory/"+s, sys.adminTok, body); r.status != 201 {
		t.Fatalf("stock item: %d %s", r.status, r.body)
	}
	return s
}

// counters reads an item's stock counters from the inventory table (the public API shows only
// available stock).
func counters(t *testing.T, s string) (available, reserved, sold int64) {
	t.Helper()
	cfg, err := awscfg.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	repo := dynamo.NewInventoryRepository(dynamodb.NewFromConfig(cfg), dynamo.Tables{Inventory: output("InventoryTableName")})
	it, err := repo.Get(context.Background(), inventory.SKU(s))
	if err != nil {
		t.Fatal(err)
	}
	return it.Available().Int64(), it.Reserved().Int64(), it.Sold().Int64()
}

// conserved checks the stock invariant of one SKU: available + reserved + sold = initial, nothing below 0.
func conserved(t *testing.T, s string, initial int64) (available, reserved, sold int64) {
	t.Helper()
	a, r, so := counters(t, s)
	if a < 0 || r < 0 || so < 0 || a+r+so != initial {
		t.Fatalf("%s: available %d + reserved %d + sold %d != %d", s, a, r, so, initial)
	}
	return a, r, so
}

func order1(t *testing.T, tok, s string, qty int, paymentToken string) string {
	t.Helper()
	r := place(t, tok, awstest.Name(t, "k"), fmt.Sprintf(`{"items":[{"sku":%q,"quantity":%d}],"paymentToken":%q}`, s, qty, paymentToken))
	if r.status != 202 {
		t.Fatalf("place: %d %s", r.status, r.body)
	}
	return r.json(t)["orderId"].(string)
}

var terminal = []string{"CONFIRMED", "REJECTED", "CANCELLED", "FAILED"}

// settle polls the order until it reaches one of want (default: a terminal status) and returns it. The
// saga must get there within 10 s locally.
func settle(t *testing.T, tok, id string, want ...string) map[string]any {
	t.Helper()
	return settleWithin(t, slack(10*time.Second), tok, id, want...)
}

// settleWithin is settle for tests whose subject is not the saga's speed: they wait as long as a loaded
// machine may need.
func settleWithin(t *testing.T, within time.Duration, tok, id string, want ...string) map[string]any {
	t.Helper()
	if len(want) == 0 {
		want = terminal
	}
	deadline := time.Now().Add(within)
	for {
		o := do(t, "GET", "/orders/"+id, tok, "").json(t)
		if slices.Contains(want, o["status"].(string)) {
			return o
		}
		if time.Now().After(deadline) {
			t.Fatalf("order %s is %v after %v; want one of %v", id, o["status"], within, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func expectOutcome(t *testing.T, o map[string]any, status, reason string) {
	t.Helper()
	if o["status"] != status || (reason != "" && o["statusReason"] != reason) {
		t.Fatalf("order ended %v/%v; want %s/%s", o["status"], o["statusReason"], status, reason)
	}
	// Exactly one terminal status in the order's history.
	n := 0
	for _, h := range o["history"].([]any) {
		if slices.Contains(terminal[1:], h.(map[string]any)["status"].(string)) {
			n++
		}
	}
	if (status != "CONFIRMED" && n != 1) || (status == "CONFIRMED" && n != 0) {
		t.Fatalf("history %v has %d terminal statuses", o["history"], n)
	}
}

// expectEvents waits until the order's events are exactly want (each once, in this order), then checks
// that nothing more arrives.
func expectEvents(t *testing.T, id string, want ...string) {
	t.Helper()
	deadline := time.Now().Add(slack(5 * time.Second))
	for !slices.Equal(bus.types(id), want) {
		if time.Now().After(deadline) {
			t.Fatalf("events of %s:\n got %v\nwant %v", id, bus.types(id), want)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(slack(300 * time.Millisecond))
	if got := bus.types(id); !slices.Equal(got, want) {
		t.Fatalf("events of %s kept coming:\n got %v\nwant %v", id, got, want)
	}
}

func sfnClient(t *testing.T) *sfn.Client {
	t.Helper()
	return sfn.NewFromConfig(awsConfig(t), func(o *sfn.Options) { atEdge(&o.BaseEndpoint) })
}

// catalogAvailable pages through the public catalog (the projection) for one SKU's available stock, as
// an admin: only an admin sees the counts.
func catalogAvailable(t *testing.T, s string) (float64, bool) {
	t.Helper()
	path := "/inventory?limit=100"
	for range 100 {
		r := do(t, "GET", path, sys.adminTok, "")
		body := r.json(t)
		for _, it := range body["items"].([]any) {
			if m := it.(map[string]any); m["sku"] == s {
				return m["available"].(float64), true
			}
		}
		next, _ := body["nextCursor"].(string)
		if next == "" {
			break
		}
		path = "/inventory?limit=100&cursor=" + url.QueryEscape(next)
	}
	return 0, false
}

func executionArn(machineOutput, orderID string) string {
	return strings.Replace(output(machineOutput), ":stateMachine:", ":execution:", 1) + ":" + orderID
}

// run is one execution as its history tells it: the states entered, the task failures by state, and
// how it ended.
type run struct {
	status   string
	entered  []string
	failures map[string][]string // state -> error names of its failed attempts
}

func execution(t *testing.T, machineOutput, orderID string) run {
	t.Helper()
	c, arn := sfnClient(t), executionArn(machineOutput, orderID)
	var d *sfn.DescribeExecutionOutput
	deadline := time.Now().Add(slack(10 * time.Second))
	for {
		var err error
		d, err = c.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: &arn})
		if err == nil && d.Status != sfntypes.ExecutionStatusRunning {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("execution %s: %v %v", arn, d, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	h, err := c.GetExecutionHistory(context.Background(), &sfn.GetExecutionHistoryInput{ExecutionArn: &arn})
	if err != nil {
		t.Fatal(err)
	}
	r := run{status: string(d.Status), failures: map[string][]string{}}
	current := ""
	for _, ev := range h.Events {
		switch {
		case ev.StateEnteredEventDetails != nil:
			current = aws.ToString(ev.StateEnteredEventDetails.Name)
			r.entered = append(r.entered, current)
		case ev.Type == sfntypes.HistoryEventTypeTaskFailed:
			r.failures[current] = append(r.failures[current], aws.ToString(ev.TaskFailedEventDetails.Error))
		}
	}
	return r
}

func (r run) expect(t *testing.T, status string, states ...string) {
	t.Helper()
	if r.status != status || !slices.Equal(r.entered, states) {
		t.Fatalf("execution %s through %v;\nwant %s through %v", r.status, r.entered, status, states)
	}
}

var confirmedPath = []string{"ReserveStock", "AuthorizePayment", "ConfirmOrder"}

func TestSagaPaths(t *testing.T) {
	tok := customerToken(t)
	unavailable := []string{"PaymentUnavailable", "PaymentUnavailable", "PaymentUnavailable", "PaymentUnavailable"}
	tests := []struct {
		name, token     string
		qty             int
		status, reason  string
		available, sold int64
		events, states  []string
		failures        map[string][]string // state -> error names of its failed attempts, retried or caught
	}{
		{name: "approved", token: "tok_visa", qty: 2, status: "CONFIRMED", available: 8, sold: 2,
			events: []string{"OrderPlaced", "InventoryReserved", "PaymentAuthorized", "PaymentCaptured", "InventoryCommitted", "OrderConfirmed"},
			states: confirmedPath, failures: map[string][]string{}},
		{name: "declined", token: "tok_declined", qty: 2, status: "REJECTED", reason: "PAYMENT_DECLINED", available: 10,
			events:   []string{"OrderPlaced", "InventoryReserved", "InventoryReleased", "PaymentDeclined", "OrderRejected"},
			states:   []string{"ReserveStock", "AuthorizePayment", "ReleaseStock", "FinishOrder"},
			failures: map[string][]string{"AuthorizePayment": {"PaymentDeclined"}}},
		{name: "unknown token declined", token: "tok_whatever", qty: 1, status: "REJECTED", reason: "PAYMENT_DECLINED", available: 10,
			events:   []string{"OrderPlaced", "InventoryReserved", "InventoryReleased", "PaymentDeclined", "OrderRejected"},
			states:   []string{"ReserveStock", "AuthorizePayment", "ReleaseStock", "FinishOrder"},
			failures: map[string][]string{"AuthorizePayment": {"PaymentDeclined"}}},
		{name: "flaky provider absorbed by Retry", token: "tok_flaky", qty: 3, status: "CONFIRMED", available: 7, sold: 3,
			events:   []string{"OrderPlaced", "InventoryReserved", "PaymentAuthorized", "PaymentCaptured", "InventoryCommitted", "OrderConfirmed"},
			states:   confirmedPath,
			failures: map[string][]string{"AuthorizePayment": {"PaymentUnavailable", "PaymentUnavailable"}}},
		{name: "provider unavailable", token: "tok_unavailable", qty: 1, status: "FAILED", reason: "PAYMENT_UNAVAILABLE", available: 10,
			events:   []string{"OrderPlaced", "InventoryReserved", "InventoryReleased", "OrderFailed"},
			states:   []string{"ReserveStock", "AuthorizePayment", "ReleaseStock", "FinishOrder"},
			failures: map[string][]string{"AuthorizePayment": unavailable}},
		{name: "out of stock", token: "tok_visa", qty: 11, status: "REJECTED", reason: "OUT_OF_STOCK", available: 10,
			events:   []string{"OrderPlaced", "InventoryReservationFailed", "OrderRejected"},
			states:   []string{"ReserveStock", "Settled"},
			failures: map[string][]string{"ReserveStock": {"OutOfStock"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := stockItem(t, 10)
			id := order1(t, tok, s, tt.qty, tt.token)
			expectOutcome(t, settle(t, tok, id), tt.status, tt.reason)
			expectEvents(t, id, tt.events...)
			r := execution(t, "OrderSagaStateMachineArn", id)
			r.expect(t, "SUCCEEDED", tt.states...)
			if !maps.EqualFunc(r.failures, tt.failures, slices.Equal) {
				t.Fatalf("failed attempts %v; want %v", r.failures, tt.failures)
			}
			if a, _, sold := conserved(t, s, 10); a != tt.available || sold != tt.sold {
				t.Fatalf("stock: available %d sold %d; want %d and %d", a, sold, tt.available, tt.sold)
			}
		})
	}
}

// A cancellation while the saga waits for the payment provider (tok_flaky's retries leave the order
// RESERVED for about two seconds): the saga notices it, compensates, and the order ends CANCELLED.
func TestSagaCancelBeforeConfirmation(t *testing.T) {
	tok := customerToken(t)
	s := stockItem(t, 10)
	id := order1(t, tok, s, 4, "tok_flaky")
	settle(t, tok, id, "RESERVED")
	if c := do(t, "POST", "/orders/"+id+"/cancel", tok, ""); c.status != 202 || c.json(t)["status"] != "RESERVED" {
		t.Fatalf("cancel: %d %s", c.status, c.body)
	}
	expectOutcome(t, settle(t, tok, id), "CANCELLED", "CUSTOMER_REQUEST")
	expectEvents(t, id, "OrderPlaced", "InventoryReserved", "OrderCancellationRequested", "InventoryReleased", "OrderCancelled")
	r := execution(t, "OrderSagaStateMachineArn", id)
	r.expect(t, "SUCCEEDED", "ReserveStock", "AuthorizePayment", "RefundPayment", "ReleaseStock", "FinishOrder")
	// The provider's failures until the cancellation landed (how many depends on when it did), then the
	// step's answer to it, caught into compensation.
	attempts := r.failures["AuthorizePayment"]
	if len(attempts) == 0 || len(attempts) > 3 || attempts[len(attempts)-1] != "CancellationRequested" ||
		slices.ContainsFunc(attempts[:len(attempts)-1], func(e string) bool { return e != "PaymentUnavailable" }) {
		t.Fatalf("AuthorizePayment's failed attempts %v; want PaymentUnavailable (up to 2), then CancellationRequested", attempts)
	}
	if a, _, _ := conserved(t, s, 10); a != 10 {
		t.Fatalf("available %d after the cancellation; want 10", a)
	}
}

// After confirmation a cancellation runs its own compensation: refund of the capture, sold stock back, CANCELLED.
func TestSagaCancelAfterConfirmation(t *testing.T) {
	tok := customerToken(t)
	s := stockItem(t, 10)
	id := order1(t, tok, s, 3, "tok_visa")
	expectOutcome(t, settle(t, tok, id), "CONFIRMED", "")
	if a, _, sold := conserved(t, s, 10); a != 7 || sold != 3 {
		t.Fatalf("after confirmation: available %d sold %d", a, sold)
	}
	if c := do(t, "POST", "/orders/"+id+"/cancel", tok, ""); c.status != 202 || c.json(t)["status"] != "CONFIRMED" {
		t.Fatalf("cancel: %d %s", c.status, c.body)
	}
	expectOutcome(t, settle(t, tok, id, "CANCELLED"), "CANCELLED", "CUSTOMER_REQUEST")
	expectEvents(t, id, "OrderPlaced", "InventoryReserved", "PaymentAuthorized", "PaymentCaptured", "InventoryCommitted", "OrderConfirmed",
		"OrderCancellationRequested", "PaymentRefunded", "InventoryReturned", "OrderCancelled")
	execution(t, "OrderCancellationStateMachineArn", id).expect(t, "SUCCEEDED", "RefundPayment", "ReturnStock", "FinishOrder")
	if a, _, sold := conserved(t, s, 10); a != 10 || sold != 0 {
		t.Fatalf("after the cancellation: available %d sold %d; want 10 and 0", a, sold)
	}
	problemOf(t, do(t, "POST", "/orders/"+id+"/cancel", tok, ""), 409)
}

// Duplicated OrderPlaced events (EventBridge delivers at least once), while the saga runs and after it
// ended, start nothing more: one execution, one event per change.
func TestSagaDuplicateOrderPlaced(t *testing.T) {
	tok := customerToken(t)
	s := stockItem(t, 10)
	id := order1(t, tok, s, 1, "tok_flaky") // slow enough to duplicate while it runs
	var placed eventbus.Event
	eventually(t, "OrderPlaced on the bus", func() bool {
		var ok bool
		placed, ok = bus.first(id, "OrderPlaced")
		return ok
	})
	again := func() { putAgain(t, placed) }
	again()
	expectOutcome(t, settle(t, tok, id), "CONFIRMED", "")
	again()
	// The three OrderPlaced deliveries are seen on the bus; every change after them happened once.
	eventually(t, "the third OrderPlaced", func() bool { return len(bus.types(id)) == 8 })
	time.Sleep(slack(300 * time.Millisecond))
	counts := map[string]int{}
	for _, typ := range bus.types(id) {
		counts[typ]++
	}
	want := map[string]int{"OrderPlaced": 3, "InventoryReserved": 1, "PaymentAuthorized": 1, "PaymentCaptured": 1, "InventoryCommitted": 1,
		"OrderConfirmed": 1}
	if !maps.Equal(counts, want) {
		t.Fatalf("events %v; want %v", counts, want)
	}
	list, err := sfnClient(t).ListExecutions(context.Background(), &sfn.ListExecutionsInput{
		StateMachineArn: aws.String(output("OrderSagaStateMachineArn"))})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range list.Executions {
		if aws.ToString(e.Name) == id {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d executions for order %s; want 1", n, id)
	}
	if a, _, sold := conserved(t, s, 10); a != 9 || sold != 1 {
		t.Fatalf("stock: available %d sold %d", a, sold)
	}
}

// Every step invoked again after the saga ended (a redelivered task) changes nothing.
func TestSagaStepsInvokedTwice(t *testing.T) {
	tok := customerToken(t)
	s := stockItem(t, 10)
	id := order1(t, tok, s, 2, "tok_visa")
	expectOutcome(t, settle(t, tok, id), "CONFIRMED", "")
	want := []string{"OrderPlaced", "InventoryReserved", "PaymentAuthorized", "PaymentCaptured", "InventoryCommitted", "OrderConfirmed"}
	expectEvents(t, id, want...)
	fn := lambdaClient(t)
	input := fmt.Sprintf(`{"orderId":%q,"correlationId":"again","outcome":{"status":"FAILED","reason":"STEP_FAILED"}}`, id)
	for _, step := range []string{"ReserveStock", "AuthorizePayment", "ConfirmOrder", "RefundPayment", "ReleaseStock", "FinishOrder"} {
		name := functionName(t, step+"Function")
		for range 2 {
			out, err := fn.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(input)})
			if err != nil || out.FunctionError != nil {
				t.Fatalf("%s: %v %s", step, err, out.Payload)
			}
			var r struct{ Status string }
			if json.Unmarshal(out.Payload, &r) != nil || r.Status != "CONFIRMED" {
				t.Fatalf("%s answered %s; want the order as it is, CONFIRMED", step, out.Payload)
			}
		}
	}
	expectEvents(t, id, want...)
	if a, r, sold := conserved(t, s, 10); a != 8 || r != 0 || sold != 2 {
		t.Fatalf("stock moved: available %d reserved %d sold %d", a, r, sold)
	}
}

// A saga run that ends badly (here: stopped while it waits for the provider) is recovered from Step
// Functions' status change event: stock released, the order FAILED SAGA_FAILED, never stuck.
func TestSagaRunAbortedIsRecovered(t *testing.T) {
	tok := customerToken(t)
	s := stockItem(t, 10)
	id := order1(t, tok, s, 5, "tok_unavailable")
	settle(t, tok, id, "RESERVED")
	arn := executionArn("OrderSagaStateMachineArn", id)
	if _, err := sfnClient(t).StopExecution(context.Background(), &sfn.StopExecutionInput{ExecutionArn: &arn}); err != nil {
		t.Fatal(err)
	}
	expectOutcome(t, settle(t, tok, id), "FAILED", "SAGA_FAILED")
	expectEvents(t, id, "OrderPlaced", "InventoryReserved", "InventoryReleased", "OrderFailed")
	if r := execution(t, "OrderSagaStateMachineArn", id); r.status != "ABORTED" {
		t.Fatalf("execution %s", r.status)
	}
	if a, _, _ := conserved(t, s, 10); a != 10 {
		t.Fatalf("available %d; want 10", a)
	}
}

// No oversell: 50 concurrent one-unit orders against a stock of 10. Five customers place ten each: one
// customer may have at most 10 open orders at once (MaxOpenOrdersPerCustomer, hoarding_test.go).
func TestSagaNoOversellUnderConcurrency(t *testing.T) {
	toks := make([]string, 5)
	for i := range toks {
		toks[i] = customerToken(t)
	}
	s := stockItem(t, 10)
	ids := make([]string, 50)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() { ids[i] = order1(t, toks[i%len(toks)], s, 1, "tok_visa") })
	}
	wg.Wait()
	counts := map[string]int{}
	for i, id := range ids {
		o := settle(t, toks[i%len(toks)], id)
		key := o["status"].(string)
		if r, _ := o["statusReason"].(string); r != "" {
			key += "/" + r
		}
		counts[key]++
	}
	if counts["CONFIRMED"] != 10 || counts["REJECTED/OUT_OF_STOCK"] != 40 || len(counts) != 2 {
		t.Fatalf("outcomes %v; want 10 CONFIRMED and 40 REJECTED/OUT_OF_STOCK", counts)
	}
	if a, r, sold := conserved(t, s, 10); a != 0 || r != 0 || sold != 10 {
		t.Fatalf("stock: available %d reserved %d sold %d; want 0, 0, 10", a, r, sold)
	}
	// The public catalog follows the stock moves.
	eventually(t, "the catalog to show no stock", func() bool {
		a, ok := catalogAvailable(t, s)
		return ok && a == 0
	})
}
