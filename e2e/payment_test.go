package e2e

// The payment lifecycle of issue 19 through the deployed saga, with the sandbox provider's tokens
// (internal/payment/sandbox.go): the capture before confirmation and its failures, and the wait for
// the customer's 3-D Secure action, answered the way the provider-event handler answers it.

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/orion-oss/orion/infra/engine/edge"
	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/payment"
	"github.com/orion-oss/orion/internal/platform/awscfg"
)

// A capture that fails after the authorization gives the hold back (void) before the stock, and the
// order ends with the capture's outcome.
func TestPaymentCaptureFailures(t *testing.T) {
	tok := customerToken(t)
	unavailable := []string{"PaymentUnavailable", "PaymentUnavailable", "PaymentUnavailable", "PaymentUnavailable"}
	tests := []struct {
		name, token, status, reason, code string
		events                            []string
		failures                          map[string][]string
	}{
		{name: "declined", token: "tok_capture_declined", status: "REJECTED", reason: "PAYMENT_DECLINED", code: "capture_declined",
			events:   []string{"OrderPlaced", "InventoryReserved", "PaymentAuthorized", "PaymentVoided", "InventoryReleased", "PaymentDeclined", "OrderRejected"},
			failures: map[string][]string{"ConfirmOrder": {"PaymentDeclined"}}},
		{name: "unavailable", token: "tok_capture_unavailable", status: "FAILED", reason: "PAYMENT_UNAVAILABLE",
			events:   []string{"OrderPlaced", "InventoryReserved", "PaymentAuthorized", "PaymentVoided", "InventoryReleased", "OrderFailed"},
			failures: map[string][]string{"ConfirmOrder": unavailable}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := stockItem(t, 10)
			id := order1(t, tok, s, 2, tt.token)
			expectOutcome(t, settle(t, tok, id), tt.status, tt.reason)
			expectEvents(t, id, tt.events...)
			r := execution(t, "OrderSagaStateMachineArn", id)
			r.expect(t, "SUCCEEDED", "ReserveStock", "AuthorizePayment", "ConfirmOrder", "RefundPayment", "ReleaseStock", "FinishOrder")
			if !maps.EqualFunc(r.failures, tt.failures, slices.Equal) {
				t.Fatalf("failed attempts %v; want %v", r.failures, tt.failures)
			}
			if tt.code != "" {
				if got := eventData[event.PaymentDeclined](t, id, "PaymentDeclined").Code; got != tt.code {
					t.Fatalf("decline code %q; want %q", got, tt.code)
				}
			}
			if a, _, sold := conserved(t, s, 10); a != 10 || sold != 0 {
				t.Fatalf("stock: available %d sold %d; want 10 and 0", a, sold)
			}
		})
	}
}

// A provider that refuses Orion's configuration (a wrong API key) is no decline: the step fails
// through its retries, compensation releases the stock, the order ends FAILED STEP_FAILED, and
// PaymentConfigurationErrors (the metric its alarm pages on) counts every attempt.
func TestPaymentConfigurationError(t *testing.T) {
	tok := customerToken(t)
	s := stockItem(t, 10)
	id := order1(t, tok, s, 1, "tok_misconfigured")
	expectOutcome(t, settle(t, tok, id), "FAILED", "STEP_FAILED")
	expectEvents(t, id, "OrderPlaced", "InventoryReserved", "InventoryReleased", "OrderFailed")
	r := execution(t, "OrderSagaStateMachineArn", id)
	r.expect(t, "SUCCEEDED", "ReserveStock", "AuthorizePayment", "RefundPayment", "ReleaseStock", "FinishOrder")
	if want := []string{"StepError", "StepError", "StepError", "StepError"}; !slices.Equal(r.failures["AuthorizePayment"], want) {
		t.Fatalf("AuthorizePayment's failed attempts %v; want %v", r.failures["AuthorizePayment"], want)
	}
	if sys.stack != nil && len(emitted.lookup("Orion", "PaymentConfigurationErrors")) == 0 {
		t.Fatal("no PaymentConfigurationErrors metric line")
	}
	if a, _, _ := conserved(t, s, 10); a != 10 {
		t.Fatalf("available %d; want 10", a)
	}
}

// tok_3ds: the provider asks for a redirect. The order stays RESERVED with the action, the saga waits
// with its task token stored on the order, and the outcome the provider reports resumes it: a
// success captures and confirms; a failure voids, releases and rejects with the provider's code.
// Whichever of the wait and the outcome is recorded second answers the token: the provider-event
// handler when the wait came first, the wait itself (await-payment's SendTask*) when the outcome did.
func TestPaymentActionResumesTheSaga(t *testing.T) {
	tok := customerToken(t)
	paymentActions(t, tok, []paymentAction{
		{name: "completed", succeeded: true, events: completedAfterAction,
			states: []string{"ReserveStock", "AuthorizePayment", "AwaitPaymentAction", "ConfirmOrder"}},
		{name: "failed", succeeded: false, events: failedAfterAction,
			states: []string{"ReserveStock", "AuthorizePayment", "AwaitPaymentAction", "RefundPayment", "ReleaseStock", "FinishOrder"}},
	})
}

// The outcome recorded before the wait stored its token: await-payment answers its own token. A test
// of its own, so that make test's in-process pass (which selects whole tests) runs it.
func TestPaymentActionOutcomeBeforeTheWait(t *testing.T) {
	inProcessOnly(t, "lands the provider's outcome between await-payment's read and its write (the runtime's edge)")
	tok := customerToken(t)
	paymentActions(t, tok, []paymentAction{
		{name: "completed", succeeded: true, eventFirst: true, events: completedAfterAction,
			states: []string{"ReserveStock", "AuthorizePayment", "AwaitPaymentAction", "ConfirmOrder"}},
		{name: "failed", succeeded: false, eventFirst: true, events: failedAfterAction,
			states: []string{"ReserveStock", "AuthorizePayment", "AwaitPaymentAction", "RefundPayment", "ReleaseStock", "FinishOrder"}},
	})
}

// paymentAction is one path of a customer's payment action.
type paymentAction struct {
	name                  string
	succeeded, eventFirst bool
	events                []string
	states                []string
}

var (
	completedAfterAction = []string{"OrderPlaced", "InventoryReserved", "PaymentActionRequired", "PaymentAuthorized", "PaymentCaptured",
		"InventoryCommitted", "OrderConfirmed"}
	failedAfterAction = []string{"OrderPlaced", "InventoryReserved", "PaymentActionRequired", "PaymentVoided", "InventoryReleased",
		"PaymentDeclined", "OrderRejected"}
)

func paymentActions(t *testing.T, tok string, tests []paymentAction) {
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := stockItem(t, 10)
			var token string
			id := order1(t, tok, s, 1, "tok_3ds")
			if tt.eventFirst {
				outcomeFirst(t, id, tt.succeeded) // the saga's reservation and authorization come first
			}
			eventually(t, "PaymentActionRequired", func() bool { _, ok := bus.first(id, "PaymentActionRequired"); return ok })
			action := eventData[event.PaymentActionRequired](t, id, "PaymentActionRequired")
			if action.ActionType != "redirect_to_url" || action.AuthorizationID == "" {
				t.Fatalf("action %+v", action)
			}
			if ev, _ := bus.first(id, "PaymentActionRequired"); strings.Contains(string(ev.Detail), payment.SandboxActionBase) {
				t.Fatalf("the redirect URL is on the bus: %s", ev.Detail)
			}
			if !tt.eventFirst {
				token = waitingToken(t, id)
				o := settle(t, tok, id, "RESERVED")
				if o["status"] != "RESERVED" {
					t.Fatalf("order %v while the customer acts", o["status"])
				}
				// Only the owner's GET shows where to complete the action.
				if a, _ := o["paymentAction"].(map[string]any); a == nil || a["type"] != "redirect_to_url" ||
					!strings.HasPrefix(fmt.Sprint(a["redirectUrl"]), payment.SandboxActionBase+action.AuthorizationID) {
					t.Fatalf("the waiting order's paymentAction: %v", o["paymentAction"])
				}
				providerOutcome(t, id, token, tt.succeeded)
			}
			o := settle(t, tok, id)
			if tt.succeeded {
				expectOutcome(t, o, "CONFIRMED", "")
			} else {
				expectOutcome(t, o, "REJECTED", "PAYMENT_DECLINED")
			}
			expectEvents(t, id, tt.events...)
			if !tt.succeeded {
				if got := eventData[event.PaymentDeclined](t, id, "PaymentDeclined").Code; got != "authentication_failed" {
					t.Fatalf("decline code %q", got)
				}
			}
			r := execution(t, "OrderSagaStateMachineArn", id)
			r.expect(t, "SUCCEEDED", tt.states...)
			if tt.eventFirst {
				if token = orderOf(t, id).Payment().TaskToken; token != "" {
					t.Fatalf("the wait stored a token although the outcome was known")
				}
				return
			}
			// A second answer to the same wait (a redelivered provider event) finds the task closed.
			_, err := sfnClient(t).SendTaskSuccess(context.Background(), &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(`{}`)})
			if err == nil {
				t.Fatal("a closed task accepted a second answer")
			}
			expectEvents(t, id, tt.events...)
		})
	}
}

// A customer who cancels while the saga waits for their payment action does not wait for the wait to
// expire: cancel-order wakes the run with CancellationRequested, which voids the hold, releases the
// stock and ends the order CANCELLED, well inside the 15-minute wait.
func TestCancellationWakesAPaymentWait(t *testing.T) {
	t.Parallel()
	tok := customerToken(t)
	s := stockItem(t, 10)
	id := order1(t, tok, s, 1, "tok_3ds")
	waitingToken(t, id)
	if c := do(t, "POST", "/orders/"+id+"/cancel", tok, ""); c.status != 202 {
		t.Fatalf("cancel: %d %s", c.status, c.body)
	}
	expectOutcome(t, settle(t, tok, id), "CANCELLED", "CUSTOMER_REQUEST")
	expectEvents(t, id, "OrderPlaced", "InventoryReserved", "PaymentActionRequired", "OrderCancellationRequested", "PaymentVoided",
		"InventoryReleased", "OrderCancelled")
	execution(t, "OrderSagaStateMachineArn", id).expect(t, "SUCCEEDED", "ReserveStock", "AuthorizePayment", "AwaitPaymentAction",
		"RefundPayment", "ReleaseStock", "FinishOrder")
}

// outcomeFirst makes the provider's outcome land between await-payment's read of the order and its
// write of the task token, the closest race there is: the wait's conditional write then fails, it
// reads again, finds the outcome and answers its own token. The outcome is recorded (without
// answering: no token is stored yet) from inside the edge's fault matcher, when the token's write
// passes by; the write itself is let through.
func outcomeFirst(t *testing.T, id string, succeeded bool) {
	t.Helper()
	var once sync.Once
	remove := sys.stack.InjectFault(edge.Fault{Service: "dynamodb", Match: func(_ *http.Request, body []byte) bool {
		if b := string(body); !strings.Contains(b, "paymentTaskToken") || !strings.Contains(b, id) {
			return false
		}
		once.Do(func() {
			if _, err := orderRepository(t).Update(context.Background(), order.ID(id), event.Cause{CorrelationID: id},
				func(o *order.Order) ([]event.Payload, error) { return recordOutcome(o, succeeded) }); err != nil {
				t.Error(err)
			}
		})
		return false
	}})
	t.Cleanup(remove)
}

func recordOutcome(o *order.Order, succeeded bool) ([]event.Payload, error) {
	if succeeded {
		return o.CompletePaymentAction(o.Payment().AuthorizationID, time.Now())
	}
	return o.FailPaymentAction("authentication_failed", time.Now())
}

func orderOf(t *testing.T, id string) *order.Order {
	t.Helper()
	o, err := orderRepository(t).Get(context.Background(), order.ID(id))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// eventData decodes the data of the order's first event of a type from the bus.
func eventData[P any](t *testing.T, orderID, detailType string) P {
	t.Helper()
	var env struct{ Data P }
	ev, ok := bus.first(orderID, detailType)
	if !ok {
		t.Fatalf("no %s for order %s", detailType, orderID)
	}
	if err := json.Unmarshal(ev.Detail, &env); err != nil {
		t.Fatal(err)
	}
	return env.Data
}

func orderRepository(t *testing.T) *dynamo.OrderRepository {
	t.Helper()
	cfg, err := awscfg.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return dynamo.NewOrderRepository(dynamodb.NewFromConfig(cfg), dynamo.Tables{Orders: output("OrdersTableName"), Outbox: output("OutboxTableName")})
}

// waitingToken waits until the saga waits for the customer's action: the execution is RUNNING in
// AwaitPaymentAction and await-payment stored the task token on the order (the deployer reads it; no
// API shows it).
func waitingToken(t *testing.T, id string) string {
	t.Helper()
	arn := executionArn("OrderSagaStateMachineArn", id)
	var token string
	eventually(t, "the saga waiting with its token on the order", func() bool {
		token = orderOf(t, id).Payment().TaskToken
		d, err := sfnClient(t).DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: &arn})
		return token != "" && err == nil && d.Status == sfntypes.ExecutionStatusRunning
	})
	return token
}

// providerOutcome does what the provider-event handler does with a customer action's outcome (the
// provider's webhook, internal/saga ProviderEvents): record it on the order with its events, then,
// since the wait stored its token first, answer the token: the order's Result, or PaymentDeclined
// with the provider's code in the cause.
func providerOutcome(t *testing.T, id, token string, succeeded bool) {
	t.Helper()
	o, err := orderRepository(t).Update(context.Background(), order.ID(id), event.Cause{CorrelationID: id, CausationID: "evt_provider_" + id},
		func(o *order.Order) ([]event.Payload, error) { return recordOutcome(o, succeeded) })
	if err != nil {
		t.Fatal(err)
	}
	c := sfnClient(t)
	if succeeded {
		out, _ := json.Marshal(map[string]any{"orderId": id, "status": string(o.Status()), "payment": "AUTHORIZED", "version": o.Version()})
		_, err = c.SendTaskSuccess(context.Background(), &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(string(out))})
	} else {
		_, err = c.SendTaskFailure(context.Background(), &sfn.SendTaskFailureInput{TaskToken: aws.String(token), Error: aws.String("PaymentDeclined"),
			Cause: aws.String(`{"errorMessage":"payment declined: authentication_failed","errorType":"PaymentDeclined"}`)})
	}
	if err != nil {
		t.Fatal(err)
	}
}
