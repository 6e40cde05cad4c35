package e2e

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Object level (OWASP API1): customer B can neither read, list, cancel nor watch customer A's order,
// and the answers say nothing about whether it exists (404, as for an order that does not). Function
// level (API5): a customer calling an admin operation gets 403 and changes nothing.
func TestOtherCustomersOrdersAndAdminRoutes(t *testing.T) {
	s := stockItem(t, 10)
	ann, bob := customerToken(t), customerToken(t)
	bobWS := connect(t, bob) // before A orders: B's connection is open through A's whole saga
	annOrder := order1(t, ann, s, 1, "tok_visa")
	newSKU := sku(t)
	missing := "01JDQ7Z3M6X9V0YB2C4D5E6F7G" // a well-formed id of no order

	tests := []struct {
		name, method, path, body string
		status                   int
	}{
		{"read another's order", "GET", "/orders/" + annOrder, "", 404},
		{"read an order that does not exist", "GET", "/orders/" + missing, "", 404},
		{"cancel another's order", "POST", "/orders/" + annOrder + "/cancel", "", 404},
		{"cancel an order that does not exist", "POST", "/orders/" + missing + "/cancel", "", 404},
		{"list another's orders by customerId", "GET", "/orders?customerId=" + url.QueryEscape(subject(t, ann)), "", 403},
		{"create a catalog item", "PUT", "/inventory/" + newSKU, widget, 403},
		{"revise a catalog item", "PUT", "/inventory/" + s, strings.Replace(widget, `"available":10`, `"available":999`, 1), 403},
		{"restock", "POST", "/inventory/" + s + "/restock", `{"quantity":500}`, 403},
		{"read another's order's story", "GET", "/orders/" + annOrder + "/story", "", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, tt.method, tt.path, bob, tt.body)
			problemOf(t, r, tt.status)
			if strings.Contains(string(r.body), annOrder) || strings.Contains(string(r.body), subject(t, ann)) {
				t.Fatalf("the refusal names A's data: %s", r.body)
			}
		})
	}
	// The two 404s are the same answer: B cannot tell A's order from none.
	if a, b := do(t, "GET", "/orders/"+annOrder, bob, ""), do(t, "GET", "/orders/"+missing, bob, ""); string(a.body) != string(b.body) {
		t.Fatalf("another's order and no order answer differently:\n%s\n%s", a.body, b.body)
	}

	// B's own listing never shows A's order, however far B pages.
	eventually(t, "A's order in A's listing", func() bool {
		r := do(t, "GET", "/orders", ann, "")
		return r.status == 200 && strings.Contains(string(r.body), annOrder)
	})
	if r := do(t, "GET", "/orders?limit=100", bob, ""); r.status != 200 || len(r.json(t)["items"].([]any)) != 0 {
		t.Fatalf("B's listing: %d %s", r.status, r.body)
	}
	for _, st := range []string{"PENDING", "CONFIRMED", "CANCELLED"} {
		if r := do(t, "GET", "/orders?status="+st, bob, ""); r.status != 200 || strings.Contains(string(r.body), annOrder) {
			t.Fatalf("B's %s listing: %d %s", st, r.status, r.body)
		}
	}

	// Over WebSocket, B can subscribe neither to A's order nor to everyone's, and receives nothing of it.
	bobWS.send(t, fmt.Sprintf(`{"action":"subscribe","orderId":%q}`, annOrder))
	if m := bobWS.next(t, 5*time.Second); m["type"] != "error" || m["code"] != "order_not_found" || m["status"] != nil {
		t.Fatalf("subscribe to another's order: %v", m)
	}
	bobWS.send(t, `{"action":"subscribe","all":true}`)
	if m := bobWS.next(t, 5*time.Second); m["type"] != "error" || m["code"] != "forbidden" {
		t.Fatalf("a customer subscribes to all: %v", m)
	}

	// Nothing B attempted took effect: A's order was not cancelled (the saga confirmed it), the item
	// holds exactly A's one unit less, and no catalog item was created.
	o := settle(t, ann, annOrder)
	expectOutcome(t, o, "CONFIRMED", "")
	if o["customerId"] != subject(t, ann) || o["cancellationRequested"] != false {
		t.Fatalf("A's order: %v", o)
	}
	eventually(t, "the catalog to show A's unit sold", func() bool {
		r := do(t, "GET", "/inventory/"+s, sys.adminTok, "")
		return r.status == 200 && r.json(t)["available"] == float64(9)
	})
	// A customer's token does not buy the count: only an admin sees it.
	if r := do(t, "GET", "/inventory/"+s, ann, ""); r.status != 200 || r.json(t)["available"] != nil || r.json(t)["availability"] != "IN_STOCK" {
		t.Fatalf("a customer's read of the item: %d %s", r.status, r.body)
	}
	problemOf(t, do(t, "GET", "/inventory/"+newSKU, "", ""), 404)
	bobWS.quiet(t, 300*time.Millisecond) // the whole saga of A's order passed, none of it reached B
}
