package e2e

import (
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
)

// Stock hoarding (issue 20): one customer's open orders may hold at most MaxOpenOrdersPerCustomer orders
// and MaxHeldUnitsPerCustomer units at once (docs/saga.md, "Limits per customer and the bounded hold"):
// the stack's outputs say which (the template's defaults, 10 and 100, unless a deployed stack under
// make e2e-aws overrides them). The orders here pay with tok_3ds, so each stays open (RESERVED, waiting
// for the customer's action) until the test cancels it.

// limit is one of the stack's limits; a stack that has none (deployed before them) skips the test, and
// so does one whose limit is too large to reach in a test.
func limit(t *testing.T, name string, most int) int {
	t.Helper()
	n, err := strconv.Atoi(output(name))
	if err != nil {
		t.Skipf("the stack has no output %s (%q)", name, output(name))
	}
	if n > most {
		t.Skipf("%s is %d: more than this test places (%d)", name, n, most)
	}
	return n
}

func orderBody(s string, qty int) string {
	return fmt.Sprintf(`{"items":[{"sku":%q,"quantity":%d}],"paymentToken":"tok_3ds"}`, s, qty)
}

// problemType is the type of a problem answer with the status, checked as problemOf checks it.
func problemType(t *testing.T, r reply, status int) string {
	t.Helper()
	problemOf(t, r, status)
	var p struct{ Type string }
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatal(err)
	}
	return p.Type
}

// cancelAll cancels the orders and waits for each to end, giving its stock and its hold back.
func cancelAll(t *testing.T, tok string, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if r := do(t, "POST", "/orders/"+id+"/cancel", tok, ""); r.status != 202 && r.status != 200 {
			t.Fatalf("cancel %s: %d %s", id, r.status, r.body)
		}
	}
	for _, id := range ids {
		expectOutcome(t, settleWithin(t, slack(20*time.Second), tok, id), "CANCELLED", "")
	}
}

func TestHoardingOpenOrdersAreCapped(t *testing.T) {
	t.Parallel() // its own customer and SKU
	maxOpenOrders := limit(t, "MaxOpenOrdersPerCustomer", 25)
	tok := customerToken(t)
	s := stockItem(t, 1000)
	keys := make([]string, maxOpenOrders)
	ids := make([]string, maxOpenOrders)
	for i := range ids {
		keys[i] = awstest.Name(t, fmt.Sprintf("k%d", i))
		r := place(t, tok, keys[i], orderBody(s, 1))
		if r.status != 202 {
			t.Fatalf("order %d: %d %s", i, r.status, r.body)
		}
		ids[i] = r.json(t)["orderId"].(string)
	}
	defer func() { cancelAll(t, tok, ids...) }()

	// One more open order is refused, and stores nothing: its key stays free (below).
	next := awstest.Name(t, "next")
	if got := problemType(t, place(t, tok, next, orderBody(s, 1)), 409); got != "https://orion-oss.github.io/problems/order-limit-reached" {
		t.Fatalf("problem type %q", got)
	}
	// A replay of a stored key is still answered as the first time, at the limit, and counts nothing.
	r := place(t, tok, keys[0], orderBody(s, 1))
	if r.status != 202 || r.header.Get("Idempotent-Replayed") != "true" || r.json(t)["orderId"] != ids[0] {
		t.Fatalf("replay at the limit: %d %v %s", r.status, r.header, r.body)
	}
	// Another customer is not affected.
	other := customerToken(t)
	oid := order1(t, other, s, 1, "tok_3ds")
	defer cancelAll(t, other, oid)

	// Once one order ends, the refused request succeeds as a new order (nothing was stored under its key).
	cancelAll(t, tok, ids[0])
	r = place(t, tok, next, orderBody(s, 1))
	if r.status != 202 || r.header.Get("Idempotent-Replayed") == "true" {
		t.Fatalf("after one ended: %d %v %s", r.status, r.header, r.body)
	}
	ids[0] = r.json(t)["orderId"].(string)
}

func TestHoardingHeldUnitsAreCapped(t *testing.T) {
	t.Parallel() // its own customer and SKU
	maxHeldUnits := limit(t, "MaxHeldUnitsPerCustomer", 999)
	tok := customerToken(t)
	s := stockItem(t, 1000)
	// More units than any customer may hold at once never fits: 422, whatever the customer holds.
	if got := problemType(t, place(t, tok, awstest.Name(t, "big"), orderBody(s, maxHeldUnits+1)), 422); got != "https://orion-oss.github.io/problems/order-too-large" {
		t.Fatalf("problem type %q", got)
	}
	all := order1(t, tok, s, maxHeldUnits, "tok_3ds")
	if got := problemType(t, place(t, tok, awstest.Name(t, "one"), orderBody(s, 1)), 409); got != "https://orion-oss.github.io/problems/order-limit-reached" {
		t.Fatalf("problem type %q", got)
	}
	if a, _, _ := conserved(t, s, 1000); a < int64(1000-maxHeldUnits) {
		t.Fatalf("available %d: the refused order held stock", a)
	}
	cancelAll(t, tok, all)
	if a, _, _ := conserved(t, s, 1000); a != 1000 {
		t.Fatalf("available %d after the cancellation; want 1000", a)
	}
	one := order1(t, tok, s, 1, "tok_3ds")
	cancelAll(t, tok, one)
}

// Concurrent orders of one customer at the edge of the units limit: exactly one fits, the others are
// refused 409; none is a 5xx.
func TestHoardingConcurrentPlacementsAtTheLimit(t *testing.T) {
	t.Parallel() // its own customer and SKU
	maxHeldUnits := limit(t, "MaxHeldUnitsPerCustomer", 999)
	tok := customerToken(t)
	s := stockItem(t, 1000)
	ids := []string{order1(t, tok, s, maxHeldUnits-2, "tok_3ds")}
	const n = 5
	replies := make([]reply, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { replies[i] = place(t, tok, awstest.Name(t, fmt.Sprintf("race%d", i)), orderBody(s, 2)) })
	}
	wg.Wait()
	won := 0
	for _, r := range replies {
		switch r.status {
		case 202:
			won++
			ids = append(ids, r.json(t)["orderId"].(string))
		case 409:
		default:
			t.Errorf("concurrent placement: %d %s", r.status, r.body)
		}
	}
	cancelAll(t, tok, ids...)
	if won != 1 {
		t.Fatalf("%d of %d concurrent orders at the limit were placed; want 1", won, n)
	}
}
