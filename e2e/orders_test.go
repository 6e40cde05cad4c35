package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
)

// catalog creates two items and returns their SKUs.
func catalog(t *testing.T) (string, string) {
	t.Helper()
	a, b := sku(t), sku(t)
	for s, price := range map[string]int{a: 1250, b: 999} {
		body := fmt.Sprintf(`{"name":"Item %s","price":{"amount":%d,"currency":"USD"},"available":20}`, s, price)
		if r := do(t, "PUT", "/inventory/"+s, sys.adminTok, body); r.status != 201 {
			t.Fatalf("catalog: %d %s", r.status, r.body)
		}
	}
	return a, b
}

func place(t *testing.T, token, key, body string) reply {
	t.Helper()
	req, _ := http.NewRequest("POST", sys.api+"/orders", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	return send(t, req, "POST", "/orders")
}

func TestPlaceGetAndReplay(t *testing.T) {
	a, b := catalog(t)
	tok := customerToken(t)
	body := fmt.Sprintf(`{"items":[{"sku":%q,"quantity":2},{"sku":%q,"quantity":1}],"paymentToken":"tok_visa"}`, a, b)
	key := awstest.Name(t, "key")
	r := place(t, tok, key, body)
	if r.status != 202 {
		t.Fatalf("place: %d %s", r.status, r.body)
	}
	o := r.json(t)
	id, _ := o["orderId"].(string)
	if r.header.Get("Location") != "/orders/"+id || o["status"] != "PENDING" {
		t.Fatalf("placed: %v %s", r.header, r.body)
	}
	if total := o["total"].(map[string]any); total["amount"] != float64(2*1250+999) || total["currency"] != "USD" {
		t.Fatalf("total = %v; prices must come from the catalog", total)
	}
	if strings.Contains(string(r.body), "tok_visa") {
		t.Fatal("the payment token is in the response")
	}
	// Read-your-writes: the order is there at once (the saga may already have moved it on).
	g := do(t, "GET", "/orders/"+id, tok, "")
	if g.status != 200 || g.json(t)["orderId"] != id || g.json(t)["history"].([]any)[0].(map[string]any)["status"] != "PENDING" {
		t.Fatalf("get: %d %s", g.status, g.body)
	}
	// The same key and body: the first response again, nothing new created.
	again := place(t, tok, key, body)
	if again.status != 202 || string(again.body) != string(r.body) || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %s %v", again.status, again.body, again.header)
	}
	// The same key, another body: 422.
	problemOf(t, place(t, tok, key, strings.Replace(body, `"quantity":2`, `"quantity":3`, 1)), 422)
	// Another customer sees nothing of it.
	other := customerToken(t)
	problemOf(t, do(t, "GET", "/orders/"+id, other, ""), 404)
	problemOf(t, do(t, "POST", "/orders/"+id+"/cancel", other, ""), 404)
	// An admin sees it.
	if g := do(t, "GET", "/orders/"+id, sys.adminTok, ""); g.status != 200 {
		t.Fatalf("admin get: %d %s", g.status, g.body)
	}
}

func TestPlaceRefusals(t *testing.T) {
	a, b := catalog(t)
	tok := customerToken(t)
	line := func(s string, q int) string { return fmt.Sprintf(`{"sku":%q,"quantity":%d}`, s, q) }
	many := make([]string, 51)
	for i := range many {
		many[i] = line(fmt.Sprintf("S%d", i), 1)
	}
	tests := []struct {
		name, key, body string
		status          int
		fields          []string
	}{
		{"no key", "", `{"items":[` + line(a, 1) + `],"paymentToken":"t"}`, 400, []string{"Idempotency-Key"}},
		{"bad key", "has space", `{"items":[` + line(a, 1) + `],"paymentToken":"t"}`, 400, []string{"Idempotency-Key"}},
		{"unknown sku", "k1", `{"items":[` + line(a, 1) + `,` + line("NOPE-X", 1) + `],"paymentToken":"t"}`, 422, []string{"items[1].sku"}},
		{"zero quantity", "k2", `{"items":[` + line(a, 0) + `],"paymentToken":"t"}`, 400, []string{"items[0].quantity"}},
		{"too many", "k3", `{"items":[` + line(a, 1001) + `],"paymentToken":"t"}`, 400, []string{"items[0].quantity"}},
		{"51 lines", "k4", `{"items":[` + strings.Join(many, ",") + `],"paymentToken":"t"}`, 400, []string{"items"}},
		{"duplicate sku", "k5", `{"items":[` + line(a, 1) + `,` + line(a, 2) + `],"paymentToken":"t"}`, 400, []string{"items[1].sku"}},
		{"client price", "k6", `{"items":[{"sku":"` + b + `","quantity":1,"unitPrice":{"amount":1,"currency":"USD"}}],"paymentToken":"t"}`, 400, []string{"unitPrice"}},
		{"client status", "k7", `{"items":[` + line(b, 1) + `],"paymentToken":"t","status":"CONFIRMED"}`, 400, []string{"status"}},
		{"no token", "k8", `{"items":[` + line(b, 1) + `]}`, 400, []string{"paymentToken"}},
		{"malformed", "k9", `{"items":[`, 400, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fields := problemOf(t, place(t, tok, tt.key, tt.body), tt.status)
			for _, f := range tt.fields {
				if !strings.Contains(strings.Join(fields, ","), f) {
					t.Errorf("problem fields %v lack %q", fields, f)
				}
			}
		})
	}
	problemOf(t, do(t, "GET", "/orders/not-an-id", tok, ""), 400)
	problemOf(t, do(t, "GET", "/orders/01JDQ7Z3M6X9V0YB2C4D5E6F7G", tok, ""), 404)
	if r := do(t, "GET", "/orders/01JDQ7Z3M6X9V0YB2C4D5E6F7G", "", ""); r.status != 401 {
		t.Fatalf("anonymous read: %d", r.status)
	}
}

// A cancellation right after placing lands wherever the saga has got to (cancelled at once while
// PENDING, compensated by the saga before confirmation, by the cancellation run after it) and always
// ends CANCELLED; the order is then final.
func TestCancelThenFinal(t *testing.T) {
	a, _ := catalog(t)
	tok := customerToken(t)
	r := place(t, tok, awstest.Name(t, "key"), `{"items":[{"sku":"`+a+`","quantity":1}],"paymentToken":"tok_visa"}`)
	id, _ := r.json(t)["orderId"].(string)
	c := do(t, "POST", "/orders/"+id+"/cancel", tok, "")
	if c.status != 202 {
		t.Fatalf("cancel: %d %s", c.status, c.body)
	}
	var o map[string]any
	eventually(t, "the order to be cancelled", func() bool {
		o = do(t, "GET", "/orders/"+id, tok, "").json(t)
		return o["status"] == "CANCELLED"
	})
	if o["statusReason"] != "CUSTOMER_REQUEST" {
		t.Fatalf("cancelled order: %v", o)
	}
	problemOf(t, do(t, "POST", "/orders/"+id+"/cancel", tok, ""), 409)
}
