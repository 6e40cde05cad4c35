package e2e

import (
	"maps"
	"testing"
)

// callsOf is what one function has called so far, by "service:operation".
func callsOf(logicalID string) map[string]int {
	return maps.Clone(sys.stack.Calls()[logicalID])
}

func delta(before, after map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range after {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// Placing an order is one catalog read and one transaction (issue 10's target); a repeat of the same
// request under its key adds the one read that finds the remembered answer.
func TestPlacingAnOrderIsOneReadAndOneTransaction(t *testing.T) {
	inProcessOnly(t, "meters the function's AWS calls (Stack.Calls)")
	tok := customerToken(t)
	s := stockItem(t, 10)
	before := callsOf("PlaceOrderFunction")
	body := `{"items":[{"sku":"` + s + `","quantity":1}],"paymentToken":"tok_visa"}`
	if r := place(t, tok, "work-1", body); r.status != 202 {
		t.Fatalf("place: %d %s", r.status, r.body)
	}
	want := map[string]int{"dynamodb:BatchGetItem": 1, "dynamodb:TransactWriteItems": 1}
	after := callsOf("PlaceOrderFunction")
	if got := delta(before, after); !maps.Equal(got, want) {
		t.Fatalf("placing an order called %v; want %v", got, want)
	}
	if r := place(t, tok, "work-1", body); r.status != 202 || r.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %s", r.status, r.body)
	}
	want = map[string]int{"dynamodb:BatchGetItem": 1, "dynamodb:TransactWriteItems": 1, "dynamodb:GetItem": 1}
	if got := delta(after, callsOf("PlaceOrderFunction")); !maps.Equal(got, want) {
		t.Fatalf("a replay called %v; want %v", got, want)
	}
}

// The saga's reservation reads the order and its stock in one BatchGetItem (the execution input carries
// the order's lines; docs/adr/0022): the function never reads the order alone. Other tests' orders may
// be reserved meanwhile (their sagas run on), so the test counts the reads of every reservation: none
// is a GetItem, and there are at least this test's two.
func TestReservingReadsTheOrderWithItsStock(t *testing.T) {
	inProcessOnly(t, "meters the function's AWS calls (Stack.Calls)")
	tok := customerToken(t)
	s := stockItem(t, 10)
	before := callsOf("ReserveStockFunction")
	expectOutcome(t, settle(t, tok, order1(t, tok, s, 1, "tok_visa")), "CONFIRMED", "")
	expectOutcome(t, settle(t, tok, order1(t, tok, s, 1, "tok_declined")), "REJECTED", "PAYMENT_DECLINED")
	got := delta(before, callsOf("ReserveStockFunction"))
	if got["dynamodb:GetItem"] != 0 || got["dynamodb:BatchGetItem"] < 2 || got["dynamodb:TransactWriteItems"] < 2 {
		t.Errorf("reserving called %v; want a BatchGetItem and a transaction per order, no GetItem", got)
	}
}

// A confirmed order is three state transitions of the order saga, one per step: reserve, authorize,
// capture and confirm (docs/adr/0022; issue 10's target: at most 12). Step Functions Standard bills every state entered and every retry ($25 per million); a
// run without failed attempts has no retry, so the states entered are the bill.
func TestConfirmedOrderIsThreeStateTransitions(t *testing.T) {
	tok := customerToken(t)
	s := stockItem(t, 10)
	id := order1(t, tok, s, 1, "tok_visa")
	expectOutcome(t, settle(t, tok, id), "CONFIRMED", "")
	r := execution(t, "OrderSagaStateMachineArn", id)
	r.expect(t, "SUCCEEDED", confirmedPath...)
	if len(r.failures) != 0 {
		t.Fatalf("failed attempts %v: retries are billed transitions too", r.failures)
	}
	if billed := len(r.entered); billed != 3 {
		t.Fatalf("%d billed state transitions; want 3 (issue 10: at most 12)", billed)
	}
}
