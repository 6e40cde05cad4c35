package e2e

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
)

// actorsOn returns data.actor of each event of the given type routed for key (an order id or a SKU),
// nil for an event without one.
func actorsOn(key, detailType string) []map[string]any {
	bus.mu.Lock()
	defer bus.mu.Unlock()
	var out []map[string]any
	for _, ev := range bus.byOrder[key] {
		if ev.DetailType != detailType {
			continue
		}
		var env struct {
			Data struct {
				Actor map[string]any `json:"actor"`
			} `json:"data"`
		}
		_ = json.Unmarshal(ev.Detail, &env)
		out = append(out, env.Data.Actor)
	}
	return out
}

// cancellationActor is the actor of an order's cancellation event: OrderCancellationRequested, or
// OrderCancelled when the request ended a PENDING order at once.
func cancellationActor(orderID string) (map[string]any, bool) {
	for _, typ := range []string{"OrderCancellationRequested", "OrderCancelled"} {
		if as := actorsOn(orderID, typ); len(as) > 0 && as[0] != nil {
			return as[0], true
		}
	}
	return nil, false
}

// Admin actions record who did them (issue 20): the events of creating and restocking an item and of
// cancelling someone else's order carry actor {sub, role: admin} with the admin's Cognito sub, exactly
// those two members (no email); an owner's own cancellation records them as customer.
func TestAdminActionsRecordTheirActor(t *testing.T) {
	adminSub, _ := claimsOf(t, sys.adminTok)["sub"].(string)
	tok := customerToken(t)
	custSub, _ := claimsOf(t, tok)["sub"].(string)
	if adminSub == "" || custSub == "" {
		t.Fatal("tokens without sub")
	}
	admin := map[string]any{"sub": adminSub, "role": "admin"}

	s := sku(t)
	if r := do(t, "PUT", "/inventory/"+s, sys.adminTok, widget); r.status != 201 {
		t.Fatalf("put: %d %s", r.status, r.body)
	}
	if r := do(t, "POST", "/inventory/"+s+"/restock", sys.adminTok, `{"quantity":5}`); r.status != 200 {
		t.Fatalf("restock: %d %s", r.status, r.body)
	}
	eventually(t, "the item's two InventoryUpdated events", func() bool { return len(actorsOn(s, "InventoryUpdated")) == 2 })
	for i, a := range actorsOn(s, "InventoryUpdated") {
		if !reflect.DeepEqual(a, admin) {
			t.Errorf("InventoryUpdated #%d of %s: actor %v; want %v", i+1, s, a, admin)
		}
	}

	order := func() string {
		body := fmt.Sprintf(`{"items":[{"sku":%q,"quantity":1}],"paymentToken":"tok_visa"}`, s)
		r := place(t, tok, awstest.Name(t, "k"), body)
		if r.status != 202 {
			t.Fatalf("place: %d %s", r.status, r.body)
		}
		return r.json(t)["orderId"].(string)
	}
	byAdmin, byOwner := order(), order()
	if r := do(t, "POST", "/orders/"+byAdmin+"/cancel", sys.adminTok, ""); r.status != 202 {
		t.Fatalf("admin cancel: %d %s", r.status, r.body)
	}
	if r := do(t, "POST", "/orders/"+byOwner+"/cancel", tok, ""); r.status != 202 {
		t.Fatalf("owner cancel: %d %s", r.status, r.body)
	}
	for _, c := range []struct {
		id   string
		want map[string]any
	}{{byAdmin, admin}, {byOwner, map[string]any{"sub": custSub, "role": "customer"}}} {
		var got map[string]any
		eventually(t, "the cancellation event of "+c.id, func() bool {
			var ok bool
			got, ok = cancellationActor(c.id)
			return ok
		})
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("cancellation of %s: actor %v; want %v", c.id, got, c.want)
		}
	}
	// Events the system emits on its own name no one.
	if as := actorsOn(byAdmin, "OrderPlaced"); len(as) != 1 || as[0] != nil {
		t.Errorf("OrderPlaced actors %v; want one event without actor", as)
	}
}

// accessLogLine is the access log line of a request, by its id (Apigw-Requestid), parsed.
func accessLogLine(t *testing.T, requestID string) map[string]string {
	t.Helper()
	for _, l := range sys.stack.AccessLog() {
		if !strings.Contains(l, requestID) {
			continue
		}
		var m map[string]string
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("access log line is not JSON: %v\n%s", err, l)
		}
		if m["requestId"] == requestID {
			return m
		}
	}
	t.Fatalf("no access log line for request %s", requestID)
	return nil
}

// An admin action is in the HTTP API's access log with the admin's Cognito sub (the template's
// AccessLogSettings Format, $context.authorizer.claims.sub, filled by the local gateway as API Gateway
// fills it), and joins the event it caused: the event's causationId is the request id and its
// actor.sub the line's sub. A public request logs "-".
func TestAdminActionsAreInTheAccessLogWithTheirSub(t *testing.T) {
	inProcessOnly(t, "reads the local stage's access log (Stack.AccessLog)")
	adminSub, _ := claimsOf(t, sys.adminTok)["sub"].(string)
	s := sku(t)
	put := do(t, "PUT", "/inventory/"+s, sys.adminTok, widget)
	if put.status != 201 {
		t.Fatalf("put: %d %s", put.status, put.body)
	}
	reqID := put.header.Get("Apigw-Requestid")
	line := accessLogLine(t, reqID)
	for k, want := range map[string]string{"sub": adminSub, "route": "PUT /inventory/{sku}", "status": "201", "method": "PUT"} {
		if line[k] != want {
			t.Errorf("access log %s = %q; want %q (line %v)", k, line[k], want, line)
		}
	}
	for _, v := range line {
		if strings.Contains(v, "@") {
			t.Errorf("the access log line holds an address: %v", line)
		}
	}
	eventually(t, "the item's InventoryUpdated", func() bool { return len(actorsOn(s, "InventoryUpdated")) == 1 })
	bus.mu.Lock()
	var env struct {
		CausationID string `json:"causationId"`
		Data        struct {
			Actor struct {
				Sub string `json:"sub"`
			} `json:"actor"`
		} `json:"data"`
	}
	for _, ev := range bus.byOrder[s] {
		if ev.DetailType == "InventoryUpdated" {
			_ = json.Unmarshal(ev.Detail, &env)
		}
	}
	bus.mu.Unlock()
	if env.CausationID != reqID || env.Data.Actor.Sub != line["sub"] {
		t.Errorf("event causationId %q, actor.sub %q; the access log line has request %q, sub %q", env.CausationID, env.Data.Actor.Sub, reqID, line["sub"])
	}

	get := do(t, "GET", "/inventory/"+s, "", "")
	if get.status != 200 {
		t.Fatalf("get: %d %s", get.status, get.body)
	}
	if l := accessLogLine(t, get.header.Get("Apigw-Requestid")); l["sub"] != "-" {
		t.Errorf("a public request logs sub %q; want -", l["sub"])
	}
}
