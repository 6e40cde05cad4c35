package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Fulfilment and returns over HTTP (docs/adr/0018): an admin ships and delivers, the customer asks
// for a return, the warehouse receives it. The partner's events take the same commands
// (fulfilment_events_test.go); these tests are about the routes, their answers and their refusals.

const shipBody = `{"carrier":"UPS","trackingNumber":"1Z999AA10123456784","trackingUrl":"https://www.ups.com/track?tracknum=1Z999AA10123456784"}`

// confirmedOrder places an order of qty units of a new item with stock units and waits until the saga
// confirmed it.
func confirmedOrder(t *testing.T, tok string, stock, qty int) (id, s string) {
	t.Helper()
	s = stockItem(t, stock)
	id = order1(t, tok, s, qty, "tok_visa")
	expectOutcome(t, settle(t, tok, id), "CONFIRMED", "")
	return id, s
}

// problemName is the last segment of the type of a problem answer with the status (order-shipped,
// invalid-transition, ...).
func problemName(t *testing.T, r reply, status int) string {
	t.Helper()
	typ := problemType(t, r, status)
	return typ[strings.LastIndexByte(typ, '/')+1:]
}

// returnOf finds a return in an order's answer.
func returnOf(o map[string]any, id string) map[string]any {
	rs, _ := o["returns"].([]any)
	for _, r := range rs {
		if m := r.(map[string]any); m["returnId"] == id {
			return m
		}
	}
	return nil
}

// eventsOnce waits until each of want was published once for the order, and fails on a duplicate.
func eventsOnce(t *testing.T, id string, want ...string) {
	t.Helper()
	deadline := time.Now().Add(slack(5 * time.Second))
	for {
		got, ok := bus.types(id), true
		for _, w := range want {
			n := 0
			for _, g := range got {
				if g == w {
					n++
				}
			}
			if n > 1 {
				t.Fatalf("%s published %d times for %s: %v", w, n, id, got)
			}
			ok = ok && n == 1
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("events of %s: %v; want each of %v once", id, got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A confirmed order shipped, delivered, partly returned, received and refunded: every step answers
// with the order as it now is, the views follow, repeats change nothing, the returned units go back on
// sale only when the warehouse receives them, and the return's amount is refunded once.
func TestFulfilmentShipDeliverReturnReceive(t *testing.T) {
	t.Parallel()
	tok := customerToken(t)
	id, s := confirmedOrder(t, tok, 5, 3)
	if a, _, sold := conserved(t, s, 5); a != 2 || sold != 3 {
		t.Fatalf("confirmed: available %d sold %d; want 2 and 3", a, sold)
	}

	ship := do(t, "POST", "/orders/"+id+"/ship", sys.adminTok, shipBody)
	if ship.status != 200 {
		t.Fatalf("ship: %d %s", ship.status, ship.body)
	}
	o := ship.json(t)
	sh, _ := o["shipment"].(map[string]any)
	if o["status"] != "SHIPPED" || sh["carrier"] != "UPS" || sh["trackingNumber"] != "1Z999AA10123456784" || !strings.HasPrefix(fmt.Sprint(sh["trackingUrl"]), "https://www.ups.com/") {
		t.Fatalf("shipped order: %s", ship.body)
	}
	// The same shipment reported again (a retried request) is a no-op.
	if again := do(t, "POST", "/orders/"+id+"/ship", sys.adminTok, shipBody); again.status != 200 || again.json(t)["updatedAt"] != o["updatedAt"] {
		t.Fatalf("ship again: %d %s", again.status, again.body)
	}
	// Once shipped nobody cancels: the customer is told to ask for a return.
	if c := do(t, "POST", "/orders/"+id+"/cancel", tok, ""); problemName(t, c, 409) != "order-shipped" {
		t.Fatalf("cancel a shipped order: %s", c.body)
	}

	del := do(t, "POST", "/orders/"+id+"/deliver", sys.adminTok, "")
	if del.status != 200 || del.json(t)["status"] != "DELIVERED" || del.json(t)["deliveredAt"] == nil {
		t.Fatalf("deliver: %d %s", del.status, del.body)
	}
	if again := do(t, "POST", "/orders/"+id+"/deliver", sys.adminTok, ""); again.status != 200 || again.json(t)["deliveredAt"] != del.json(t)["deliveredAt"] {
		t.Fatalf("deliver again: %d %s", again.status, again.body)
	}

	ret := do(t, "POST", "/orders/"+id+"/returns", tok, fmt.Sprintf(`{"lines":[{"sku":%q,"quantity":2}],"reason":"Too small"}`, s))
	if ret.status != 201 {
		t.Fatalf("return: %d %s", ret.status, ret.body)
	}
	r := ret.json(t)
	if r["returnId"] != "R1" || r["status"] != "REQUESTED" || r["reason"] != "Too small" || r["amount"].(map[string]any)["amount"] != 2500.0 {
		t.Fatalf("return: %s", ret.body)
	}
	// A return asked for is a promise, not stock: nothing moved.
	if a, _, sold := conserved(t, s, 5); a != 2 || sold != 3 {
		t.Fatalf("after the request: available %d sold %d; want 2 and 3", a, sold)
	}
	// Only one unit is left to return.
	if f := problemOf(t, do(t, "POST", "/orders/"+id+"/returns", tok, fmt.Sprintf(`{"lines":[{"sku":%q,"quantity":2}]}`, s)), 400); !slices.Equal(f, []string{"lines[0].quantity"}) {
		t.Fatalf("over-return fields %v", f)
	}

	rec := do(t, "POST", "/orders/"+id+"/returns/R1/receive", sys.adminTok, "")
	if rec.status != 200 {
		t.Fatalf("receive: %d %s", rec.status, rec.body)
	}
	if st := returnOf(rec.json(t), "R1")["status"]; st != "RECEIVED" && st != "REFUNDED" {
		t.Fatalf("received return: %s", rec.body)
	}
	if a, _, sold := conserved(t, s, 5); a != 4 || sold != 1 {
		t.Fatalf("after the receipt: available %d sold %d; want 4 and 1", a, sold)
	}
	// Received again (a retry, or the partner's event after the admin's scan): the units move once.
	if again := do(t, "POST", "/orders/"+id+"/returns/R1/receive", sys.adminTok, ""); again.status != 200 {
		t.Fatalf("receive again: %d %s", again.status, again.body)
	}
	if a, _, sold := conserved(t, s, 5); a != 4 || sold != 1 {
		t.Fatalf("after a second receipt: available %d sold %d; want 4 and 1", a, sold)
	}
	eventsOnce(t, id, "OrderShipped", "OrderDelivered", "OrderReturnRequested", "OrderReturnReceived", "InventoryReturned")
	// Each records who reported it: the admin's sub for the warehouse's steps, the owner's for the return.
	adminSub, _ := claimsOf(t, sys.adminTok)["sub"].(string)
	custSub, _ := claimsOf(t, tok)["sub"].(string)
	for typ, want := range map[string]map[string]any{"OrderShipped": {"sub": adminSub, "role": "admin"}, "OrderDelivered": {"sub": adminSub, "role": "admin"},
		"OrderReturnReceived": {"sub": adminSub, "role": "admin"}, "OrderReturnRequested": {"sub": custSub, "role": "customer"}} {
		if as := actorsOn(id, typ); len(as) != 1 || fmt.Sprint(as[0]) != fmt.Sprint(want) {
			t.Errorf("%s actor %v; want %v", typ, as, want)
		}
	}

	// The order as its owner reads it, and as the list view shows it once the events are projected.
	got := do(t, "GET", "/orders/"+id, tok, "").json(t)
	if got["status"] != "DELIVERED" || got["shipment"] == nil || got["deliveredAt"] != del.json(t)["deliveredAt"] || returnOf(got, "R1") == nil {
		t.Fatalf("GET: %v", got)
	}
	// refund-return refunds the received return (on OrderReturnReceived): the view ends REFUNDED.
	want := "REFUNDED"
	deadline := time.Now().Add(slack(10 * time.Second))
	for {
		var view map[string]any
		for _, it := range do(t, "GET", "/orders?status=DELIVERED", tok, "").json(t)["items"].([]any) {
			if it.(map[string]any)["orderId"] == id {
				view = it.(map[string]any)
			}
		}
		r1 := returnOf(view, "R1")
		if view != nil && view["shipment"] != nil && view["deliveredAt"] == got["deliveredAt"] && r1 != nil && r1["status"] == want &&
			len(r1["lines"].([]any)) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("list view of %s: %v; want it DELIVERED with its shipment and R1 %s", id, view, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
	settleWithin(t, slack(10*time.Second), tok, id, "DELIVERED") // the order stays DELIVERED
	deadline = time.Now().Add(slack(10 * time.Second))
	for returnOf(do(t, "GET", "/orders/"+id, tok, "").json(t), "R1")["status"] != "REFUNDED" {
		if time.Now().After(deadline) {
			t.Fatalf("R1 of %s is not refunded", id)
		}
		time.Sleep(100 * time.Millisecond)
	}
	eventsOnce(t, id, "PaymentRefunded")
	// The refund is the return's amount (2 x 1250), not the order's, under the return's id.
	ev, _ := bus.first(id, "PaymentRefunded")
	var refund struct {
		Data struct {
			ReturnID string `json:"returnId"`
			Amount   struct{ Amount int64 }
		}
	}
	if err := json.Unmarshal(ev.Detail, &refund); err != nil || refund.Data.ReturnID != "R1" || refund.Data.Amount.Amount != 2500 {
		t.Fatalf("PaymentRefunded %s (%v); want 2500 for R1", ev.Detail, err)
	}
}

// snapshot is what a refused request must leave as it was.
func snapshot(t *testing.T, id string) string {
	t.Helper()
	o := do(t, "GET", "/orders/"+id, sys.adminTok, "").json(t)
	return fmt.Sprint(o["status"], o["updatedAt"], len(o["history"].([]any)), o["shipment"], o["deliveredAt"], o["returns"], o["cancellationRequested"])
}

// ageDelivery moves an order's delivery back by days in its stored item, as if it had been delivered
// then: the return window is counted in days, and no request may deliver an order in the past of its
// shipment. Conditional on the version read, like any writer of the item.
func ageDelivery(t *testing.T, id string, days int) {
	t.Helper()
	db := dynamodb.NewFromConfig(awsConfig(t))
	key := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "ORDER#" + id}, "sk": &types.AttributeValueMemberS{Value: "ORDER"}}
	got, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(output("OrdersTableName")), Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil || got.Item == nil {
		t.Fatalf("order item %s: %v", id, err)
	}
	version := got.Item["version"].(*types.AttributeValueMemberN).Value
	at := time.Now().UTC().AddDate(0, 0, -days).Format(time.RFC3339Nano)
	if _, err := db.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{TableName: aws.String(output("OrdersTableName")), Key: key,
		UpdateExpression:    aws.String("SET deliveredAt = :at"),
		ConditionExpression: aws.String("version = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": &types.AttributeValueMemberS{Value: at},
			":v": &types.AttributeValueMemberN{Value: version}}}); err != nil {
		t.Fatalf("age the delivery of %s: %v", id, err)
	}
}

// Every transition out of order, and every caller without the right, is refused with a problem and
// changes nothing: the order reads the same afterwards.
func TestFulfilmentRefusalsChangeNothing(t *testing.T) {
	t.Parallel()
	tok, other := customerToken(t), customerToken(t)
	held := order1(t, tok, stockItem(t, 5), 1, "tok_3ds") // waits for the customer's 3-D Secure step: RESERVED
	settle(t, tok, held, "RESERVED")
	declined := order1(t, tok, stockItem(t, 5), 1, "tok_declined") // final: REJECTED PAYMENT_DECLINED
	settle(t, tok, declined, "REJECTED")
	confirmed, _ := confirmedOrder(t, tok, 5, 1)
	shipped, _ := confirmedOrder(t, tok, 5, 1)
	delivered, ds := confirmedOrder(t, tok, 5, 2)
	for _, id := range []string{shipped, delivered} {
		if r := do(t, "POST", "/orders/"+id+"/ship", sys.adminTok, shipBody); r.status != 200 {
			t.Fatalf("ship %s: %d %s", id, r.status, r.body)
		}
	}
	if r := do(t, "POST", "/orders/"+delivered+"/deliver", sys.adminTok, ""); r.status != 200 {
		t.Fatalf("deliver: %d %s", r.status, r.body)
	}
	line := func(s string, q int) string { return fmt.Sprintf(`{"lines":[{"sku":%q,"quantity":%d}]}`, s, q) }

	tests := []struct {
		name, order, token, method, path, body string
		status                                 int
		problem                                string   // the problem type, when it matters
		fields                                 []string // the field paths of a 400
		before                                 func(t *testing.T)
	}{
		{name: "ship a rejected order", order: declined, token: sys.adminTok, path: "/ship", body: shipBody, status: 409, problem: "conflict"},
		{name: "deliver a rejected order", order: declined, token: sys.adminTok, path: "/deliver", status: 409, problem: "conflict"},
		{name: "return a rejected order", order: declined, token: tok, path: "/returns", body: line(ds, 1), status: 409, problem: "conflict"},
		{name: "receive a return of a rejected order", order: declined, token: sys.adminTok, path: "/returns/R1/receive", status: 404},
		{name: "ship an order not yet confirmed", order: held, token: sys.adminTok, path: "/ship", body: shipBody, status: 409, problem: "invalid-transition"},
		{name: "deliver a confirmed order", order: confirmed, token: sys.adminTok, path: "/deliver", status: 409, problem: "invalid-transition"},
		{name: "return a confirmed order", order: confirmed, token: tok, path: "/returns", body: line(ds, 1), status: 409, problem: "invalid-transition"},
		{name: "return a shipped order", order: shipped, token: tok, path: "/returns", body: line(ds, 1), status: 409, problem: "invalid-transition"},
		{name: "receive a return of a shipped order", order: shipped, token: sys.adminTok, path: "/returns/R1/receive", status: 404},
		{name: "receive an unknown return", order: delivered, token: sys.adminTok, path: "/returns/R9/receive", status: 404},
		{name: "receive a malformed return id", order: delivered, token: sys.adminTok, path: "/returns/X1/receive", status: 400, fields: []string{"returnId"}},
		{name: "ship with another tracking number", order: shipped, token: sys.adminTok, path: "/ship", body: `{"carrier":"UPS","trackingNumber":"OTHER-1"}`, status: 409, problem: "invalid-transition"},
		{name: "customer ships", order: confirmed, token: tok, path: "/ship", body: shipBody, status: 403},
		{name: "customer delivers", order: shipped, token: tok, path: "/deliver", status: 403},
		{name: "customer receives", order: delivered, token: tok, path: "/returns/R1/receive", status: 403},
		{name: "customer cancels a shipped order", order: shipped, token: tok, path: "/cancel", status: 409, problem: "order-shipped"},
		{name: "admin cancels a shipped order", order: shipped, token: sys.adminTok, path: "/cancel", status: 409, problem: "order-shipped"},
		{name: "customer cancels a delivered order", order: delivered, token: tok, path: "/cancel", status: 409, problem: "order-shipped"},
		{name: "another customer returns the order", order: delivered, token: other, path: "/returns", body: line(ds, 1), status: 404},
		{name: "ship without carrier and tracking", order: confirmed, token: sys.adminTok, path: "/ship", body: `{"trackingUrl":"http://x"}`, status: 400,
			fields: []string{"carrier", "trackingNumber", "trackingUrl"}},
		{name: "deliver at a time that is not RFC 3339", order: shipped, token: sys.adminTok, path: "/deliver", body: `{"deliveredAt":"yesterday"}`, status: 400,
			fields: []string{"deliveredAt"}},
		{name: "deliver in the future", order: shipped, token: sys.adminTok, path: "/deliver",
			body: fmt.Sprintf(`{"deliveredAt":%q}`, time.Now().Add(time.Hour).UTC().Format(time.RFC3339)), status: 400, fields: []string{"deliveredAt"}},
		{name: "return more units than bought", order: delivered, token: tok, path: "/returns", body: line(ds, 3), status: 400, fields: []string{"lines[0].quantity"}},
		{name: "return a SKU not on the order", order: delivered, token: tok, path: "/returns", body: line("NOT-ON-ORDER", 1), status: 400, fields: []string{"lines[0].sku"}},
		{name: "return nothing", order: delivered, token: tok, path: "/returns", body: `{"lines":[]}`, status: 400, fields: []string{"lines"}},
		{name: "return with an unknown field", order: delivered, token: tok, path: "/returns", body: `{"lines":[{"sku":"A","quantity":1}],"amount":1}`, status: 400,
			fields: []string{"amount"}},
		{name: "return with an oversized body", order: delivered, token: tok, path: "/returns",
			body: `{"lines":[],"reason":"` + strings.Repeat("x", 300<<10) + `"}`, status: 413},
		// Last: it ages the delivery past the window for good.
		{name: "return outside the window", order: delivered, token: tok, path: "/returns", body: line(ds, 1), status: 409, problem: "return-window-closed",
			before: func(t *testing.T) { ageDelivery(t, delivered, 31) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.before != nil {
				tt.before(t)
			}
			before := snapshot(t, tt.order)
			r := do(t, "POST", "/orders/"+tt.order+tt.path, tt.token, tt.body)
			fields := problemOf(t, r, tt.status)
			if tt.problem != "" && problemName(t, r, tt.status) != tt.problem {
				t.Fatalf("problem %s; want %s", r.body, tt.problem)
			}
			if tt.fields != nil && !slices.Equal(fields, tt.fields) {
				t.Fatalf("fields %v; want %v (%s)", fields, tt.fields, r.body)
			}
			if after := snapshot(t, tt.order); after != before {
				t.Fatalf("the refusal changed the order:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// The admin's order search: status, customer and a creation range combine; a bad range is a 400
// naming the parameter.
func TestOrderSearchByCreationTime(t *testing.T) {
	t.Parallel()
	tok := customerToken(t)
	start := time.Now().UTC().Add(-time.Second)
	id, _ := confirmedOrder(t, tok, 5, 1)
	cust := do(t, "GET", "/orders/"+id, tok, "").json(t)["customerId"].(string)
	end := time.Now().UTC().Add(time.Second)
	q := func(from, to time.Time) string {
		return fmt.Sprintf("createdFrom=%s&createdTo=%s", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	has := func(path string) bool {
		r := do(t, "GET", path, sys.adminTok, "")
		if r.status != 200 {
			t.Fatalf("%s: %d %s", path, r.status, r.body)
		}
		for _, it := range r.json(t)["items"].([]any) {
			if it.(map[string]any)["orderId"] == id {
				return true
			}
		}
		return false
	}
	// The view is written by the projector: wait until the plain listing of the customer shows it.
	deadline := time.Now().Add(slack(10 * time.Second))
	for !has("/orders?status=CONFIRMED&customerId=" + cust) {
		if time.Now().After(deadline) {
			t.Fatal("the order never reached its list view")
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, tt := range []struct {
		name, query string
		found       bool
	}{
		{"range, customer and status", q(start, end) + "&customerId=" + cust + "&status=CONFIRMED", true},
		{"range and customer", q(start, end) + "&customerId=" + cust, true},
		{"range and status", q(start, end) + "&status=CONFIRMED", true},
		{"range alone (everyone's, by day)", q(start, end), true},
		{"from alone", "createdFrom=" + start.Format(time.RFC3339) + "&customerId=" + cust, true},
		{"to alone, before the order", "createdTo=" + start.Add(-time.Minute).Format(time.RFC3339) + "&customerId=" + cust, false},
		{"a range before the order", q(start.Add(-time.Hour), start.Add(-time.Minute)), false},
		{"a range after the order", q(end.Add(time.Minute), end.Add(time.Hour)) + "&customerId=" + cust, false},
		{"another status", q(start, end) + "&customerId=" + cust + "&status=SHIPPED", false},
	} {
		if got := has("/orders?" + tt.query); got != tt.found {
			t.Errorf("%s: found %v; want %v", tt.name, got, tt.found)
		}
	}
	for _, tt := range []struct {
		name, query string
		status      int
		fields      []string
	}{
		{"from after to", q(end, start), 400, []string{"createdFrom"}},
		{"more than 366 days", q(start.AddDate(-2, 0, 0), end), 400, []string{"createdTo"}},
		{"not RFC 3339", "createdFrom=yesterday&createdTo=2026-13-01", 400, []string{"createdFrom", "createdTo"}},
		{"a customer naming another, with a range", q(start, end) + "&customerId=00000000-0000-4000-8000-000000000000", 403, nil},
	} {
		token := sys.adminTok
		if tt.status == 403 {
			token = tok
		}
		if f := problemOf(t, do(t, "GET", "/orders?"+tt.query, token, ""), tt.status); !slices.Equal(f, tt.fields) {
			t.Errorf("%s: fields %v; want %v", tt.name, f, tt.fields)
		}
	}
	// A cursor belongs to its search: one from outside the range is a 400, never a 500.
	page := do(t, "GET", "/orders?limit=1&customerId="+cust, sys.adminTok, "").json(t)
	if c, ok := page["nextCursor"].(string); ok {
		problemOf(t, do(t, "GET", "/orders?limit=1&customerId="+cust+"&"+q(end.Add(time.Hour), end.Add(2*time.Hour))+"&cursor="+c, sys.adminTok, ""), 400)
	}
}
