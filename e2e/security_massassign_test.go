package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
)

// Mass assignment (OWASP API3): a client may not set what the server owns. Request bodies are decoded
// strictly, so each server-owned field is refused with a 400 that names it, and the refusal stores
// nothing: the same Idempotency-Key then places a fresh order (not a replay), whose stored figures are
// the server's.
func TestServerOwnedOrderFieldsAreRefused(t *testing.T) {
	a, _ := catalog(t) // 1250 USD a unit
	other := customerToken(t)
	line := fmt.Sprintf(`{"sku":%q,"quantity":2}`, a)
	valid := `{"items":[` + line + `],"paymentToken":"tok_visa"}`
	withTop := func(field, value string) string {
		return strings.Replace(valid, `{"items"`, `{"`+field+`":`+value+`,"items"`, 1)
	}
	withLine := func(field, value string) string {
		return strings.Replace(valid, line, strings.Replace(line, `{"sku"`, `{"`+field+`":`+value+`,"sku"`, 1), 1)
	}
	tests := []struct{ name, body, field string }{
		{"customerId", withTop("customerId", fmt.Sprintf("%q", subject(t, other))), "customerId"},
		{"orderId", withTop("orderId", `"01JDQ7Z3M6X9V0YB2C4D5E6F7G"`), "orderId"},
		{"status", withTop("status", `"CONFIRMED"`), "status"},
		{"statusReason", withTop("statusReason", `"PAID"`), "statusReason"},
		{"total", withTop("total", `{"amount":1,"currency":"USD"}`), "total"},
		{"version", withTop("version", `7`), "version"},
		{"history", withTop("history", `[{"status":"CONFIRMED"}]`), "history"},
		{"createdAt", withTop("createdAt", `"2020-01-01T00:00:00Z"`), "createdAt"},
		{"cancellationRequested", withTop("cancellationRequested", `true`), "cancellationRequested"},
		{"line unitPrice", withLine("unitPrice", `{"amount":1,"currency":"USD"}`), "unitPrice"},
		{"line lineTotal", withLine("lineTotal", `{"amount":1,"currency":"USD"}`), "lineTotal"},
		{"line price", withLine("price", `{"amount":1,"currency":"USD"}`), "price"},
		{"line name", withLine("name", `"Free"`), "name"},
		{"nested address field", withTop("shippingAddress", `{"line1":"1 Main St","city":"X","postalCode":"1","country":"US","verified":true}`), "verified"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A customer per case: fourteen orders from one customer would meet the open-order limit
			// whenever the saga confirms slower than the test places (it did against make dev).
			tok := customerToken(t)
			key := awstest.Name(t, "key")
			fields := problemOf(t, place(t, tok, key, tt.body), 400)
			if !strings.Contains(strings.Join(fields, ","), tt.field) {
				t.Fatalf("problem fields %v do not name %s", fields, tt.field)
			}
			// Nothing was stored under the key: the valid body places a new order, not a replay.
			r := place(t, tok, key, valid)
			if r.status != 202 || r.header.Get("Idempotent-Replayed") != "" {
				t.Fatalf("after the refusal: %d %v %s", r.status, r.header, r.body)
			}
			// Read back: the stored order has the server's owner, status and figures.
			o := do(t, "GET", "/orders/"+r.json(t)["orderId"].(string), tok, "").json(t)
			total := o["total"].(map[string]any)
			item := o["items"].([]any)[0].(map[string]any)
			hist := o["history"].([]any)
			if o["customerId"] != subject(t, tok) || total["amount"] != float64(2500) || item["unitPrice"].(map[string]any)["amount"] != float64(1250) ||
				item["name"] != "Item "+a || hist[0].(map[string]any)["status"] != "PENDING" || o["cancellationRequested"] != false ||
				o["orderId"] == "01JDQ7Z3M6X9V0YB2C4D5E6F7G" || strings.HasPrefix(fmt.Sprint(o["createdAt"]), "2020") {
				t.Fatalf("stored order = %v", o)
			}
		})
	}
	// The other customer owns nothing of it.
	if r := do(t, "GET", "/orders?limit=100", other, ""); r.status != 200 || len(r.json(t)["items"].([]any)) != 0 {
		t.Fatalf("the other customer's list: %s", r.body)
	}
}

// A cancellation takes no body; whatever a client sends with it is ignored, never stored: the order
// ends CANCELLED for the customer's request, not with the status or reason the client sent.
func TestCancelIgnoresItsBody(t *testing.T) {
	// The first status is the saga's race: the local runtime reliably starts it PENDING, AWS may not.
	emulatorOnly(t, "cancels while the order is PENDING, which only the local runtime's timing assures")
	a, _ := catalog(t)
	tok := customerToken(t)
	id := place(t, tok, awstest.Name(t, "key"), `{"items":[{"sku":"`+a+`","quantity":1}],"paymentToken":"tok_visa"}`).json(t)["orderId"].(string)
	c := do(t, "POST", "/orders/"+id+"/cancel", tok, `{"status":"CONFIRMED","statusReason":"PAID","customerId":"someone-else","version":99}`)
	if c.status != 202 {
		t.Fatalf("cancel: %d %s", c.status, c.body)
	}
	o := settle(t, tok, id)
	expectOutcome(t, o, "CANCELLED", "CUSTOMER_REQUEST")
	if o["customerId"] != subject(t, tok) {
		t.Fatalf("cancelled order = %v", o)
	}
}

// The catalog's server-owned figures (reserved and sold stock, versions, reservations) cannot be set
// through PUT /inventory/{sku} or the restock, and refused requests change nothing.
func TestServerOwnedInventoryFieldsAreRefused(t *testing.T) {
	s := sku(t)
	if r := do(t, "PUT", "/inventory/"+s, sys.adminTok, widget); r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	with := func(field, value string) string { return strings.Replace(widget, `{`, `{"`+field+`":`+value+`,`, 1) }
	tests := []struct{ name, method, path, body, field string }{
		{"reserved", "PUT", "/inventory/" + s, with("reserved", "5"), "reserved"},
		{"sold", "PUT", "/inventory/" + s, with("sold", "5"), "sold"},
		{"version", "PUT", "/inventory/" + s, with("version", "9"), "version"},
		{"itemVersion", "PUT", "/inventory/" + s, with("itemVersion", "9"), "itemVersion"},
		{"reservations", "PUT", "/inventory/" + s, with("reservations", `{"01JDQ7Z3M6X9V0YB2C4D5E6F7G":5}`), "reservations"},
		{"sku in the body", "PUT", "/inventory/" + s, with("sku", `"OTHER-SKU"`), "sku"},
		{"restock available", "POST", "/inventory/" + s + "/restock", `{"quantity":1,"available":1000}`, "available"},
		{"restock version", "POST", "/inventory/" + s + "/restock", `{"quantity":1,"version":1}`, "version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fields := problemOf(t, do(t, tt.method, tt.path, sys.adminTok, tt.body), 400)
			if !strings.Contains(strings.Join(fields, ","), tt.field) {
				t.Fatalf("problem fields %v do not name %s", fields, tt.field)
			}
		})
	}
	if a, r, so := counters(t, s); a != 10 || r != 0 || so != 0 {
		t.Fatalf("stored counters: available %d reserved %d sold %d", a, r, so)
	}
	if r := do(t, "GET", "/inventory/"+s, sys.adminTok, ""); r.status != 200 || r.json(t)["available"] != float64(10) {
		t.Fatalf("item = %s", r.body)
	}
	problemOf(t, do(t, "GET", "/inventory/OTHER-SKU", "", ""), 404)
}

// Registration cannot make an admin or choose a user id.
func TestRegistrationCannotSetPrivileges(t *testing.T) {
	email := strings.ToLower(awstest.Name(t, "eve")) + "@example.com"
	pass := "Correct-Horse-9-Battery"
	for _, extra := range []string{`"admin":true`, `"groups":["admin"]`, `"cognito:groups":["admin"]`, `"userId":"someone"`} {
		body := fmt.Sprintf(`{"email":%q,"password":%q,"name":"Eve",%s}`, email, pass, extra)
		fields := problemOf(t, do(t, "POST", "/auth/register", "", body), 400)
		if len(fields) == 0 {
			t.Fatalf("%s: no field named", extra)
		}
	}
	// Nothing was registered: the address is still free, and the account it makes is a customer's.
	register(t, email, pass, "Eve")
	tok := do(t, "POST", "/auth/login", "", fmt.Sprintf(`{"email":%q,"password":%q}`, email, pass)).json(t)["accessToken"].(string)
	problemOf(t, do(t, "PUT", "/inventory/"+sku(t), tok, widget), 403)
}
