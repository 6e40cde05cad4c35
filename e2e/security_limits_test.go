package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/internal/web"
)

// Resource limits (OWASP API4): every size a client chooses is bounded, below what the platform itself
// allows, and a request over a bound is refused before it does any work.
func TestRequestSizeLimits(t *testing.T) {
	a, _ := catalog(t)
	tok := customerToken(t)
	line := func(s string, q string) string { return fmt.Sprintf(`{"sku":%q,"quantity":%s}`, s, q) }
	order := func(lines ...string) string {
		return `{"items":[` + strings.Join(lines, ",") + `],"paymentToken":"tok_visa"}`
	}
	lines := func(n int) string {
		l := make([]string, n)
		for i := range l {
			l[i] = line(fmt.Sprintf("SKU-%d", i), "1")
		}
		return order(l...)
	}
	// A body one byte over the functions' limit, made of a valid order plus padding in a string.
	overMax := order(line(a, "1"))
	overMax = strings.Replace(overMax, `"tok_visa"`, `"`+strings.Repeat("x", web.MaxBody+1-len(overMax)+len("tok_visa"))+`"`, 1)
	tests := []struct {
		name, key, body string
		status          int
		field           string
	}{
		{"body over the function limit", "k1", overMax, 413, ""},
		{"51 lines", "k2", lines(51), 400, "items"},
		{"1000 lines", "k3", lines(1000), 400, "items"},
		{"quantity over 1000", "k4", order(line(a, "1001")), 400, "items[0].quantity"},
		{"quantity zero", "k5", order(line(a, "0")), 400, "items[0].quantity"},
		{"negative quantity", "k6", order(line(a, "-1")), 400, "items[0].quantity"},
		{"quantity overflowing int64", "k7", order(line(a, "9223372036854775808")), 400, "quantity"},
		{"fractional quantity", "k8", order(line(a, "1.5")), 400, "quantity"},
		{"quantity in exponent form", "k9", order(line(a, "1e3")), 400, "quantity"},
		{"payment token over 256", "k10", strings.Replace(order(line(a, "1")), "tok_visa", strings.Repeat("t", 257), 1), 400, "paymentToken"},
		{"idempotency key over 64", strings.Repeat("k", 65), order(line(a, "1")), 400, "Idempotency-Key"},
		{"deep nesting", "k11", strings.Repeat(`{"items":`, 5000) + "1" + strings.Repeat("}", 5000), 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fields := problemOf(t, place(t, tok, tt.key, tt.body), tt.status)
			if tt.field != "" && !strings.Contains(strings.Join(fields, ","), tt.field) {
				t.Fatalf("problem fields %v do not name %s", fields, tt.field)
			}
		})
	}
	// Nothing of it was stored: the customer has no orders.
	time.Sleep(500 * time.Millisecond) // what the projector would have received by now
	if r := do(t, "GET", "/orders?limit=100", tok, ""); r.status != 200 || len(r.json(t)["items"].([]any)) != 0 {
		t.Fatalf("refused requests left orders: %s", r.body)
	}

	// The gateway's own limit (API Gateway's 10 MB payload) refuses the body before any function runs.
	req, _ := http.NewRequest("POST", sys.api+"/orders", strings.NewReader(strings.Repeat(" ", 10<<20+1)))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Idempotency-Key", awstest.Name(t, "big"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("an 10 MB body answered %d; want 413", resp.StatusCode)
	}
}

// Page sizes are bounded, and a cursor is a position in the caller's own listing only: a cursor that
// was forged, taken from another customer, taken from another listing or tampered with is a 400 and
// never data of anyone else.
func TestPaginationLimitsAndCursorTampering(t *testing.T) {
	a, _ := catalog(t)
	ann, bob := customerToken(t), customerToken(t)
	var annOrders []string
	for i := range 2 {
		r := place(t, ann, awstest.Name(t, fmt.Sprint("a", i)), `{"items":[{"sku":"`+a+`","quantity":1}],"paymentToken":"tok_visa"}`)
		annOrders = append(annOrders, r.json(t)["orderId"].(string))
	}
	bobOrder := place(t, bob, awstest.Name(t, "b"), `{"items":[{"sku":"`+a+`","quantity":1}],"paymentToken":"tok_visa"}`).json(t)["orderId"].(string)
	eventually(t, "both customers' orders listed", func() bool {
		ra, rb := do(t, "GET", "/orders", ann, ""), do(t, "GET", "/orders", bob, "")
		return ra.status == 200 && len(ra.json(t)["items"].([]any)) == 2 && rb.status == 200 && len(rb.json(t)["items"].([]any)) == 1
	})
	annCursor, _ := do(t, "GET", "/orders?limit=1", ann, "").json(t)["nextCursor"].(string)
	adminCursor, _ := do(t, "GET", "/orders?limit=1", sys.adminTok, "").json(t)["nextCursor"].(string)
	if annCursor == "" || adminCursor == "" {
		t.Fatal("no cursors to tamper with")
	}
	// tamper decodes a real cursor, changes it, and encodes it again, as an attacker who read it would.
	tamper := func(c string, mut func(m map[string]any)) string {
		b, err := base64.RawURLEncoding.DecodeString(c)
		if err != nil {
			t.Fatalf("cursor %q is not base64url: %v", c, err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("cursor is not JSON: %s", b)
		}
		mut(m)
		out, _ := json.Marshal(m)
		return base64.RawURLEncoding.EncodeToString(out)
	}
	key := func(m map[string]any) map[string]any { return m["k"].(map[string]any) }
	annSub, bobSub := subject(t, ann), subject(t, bob)
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

	tests := []struct {
		name, token, query string
		status             int
	}{
		{"limit 0", bob, "limit=0", 400},
		{"limit 101", bob, "limit=101", 400},
		{"limit negative", bob, "limit=-1", 400},
		{"limit not a number", bob, "limit=ten", 400},
		{"limit overflowing", bob, "limit=99999999999999999999", 400},
		{"another customer's cursor", bob, "cursor=" + annCursor, 400},
		{"another's cursor relabelled as mine", bob, "cursor=" + tamper(annCursor, func(m map[string]any) { m["p"] = bobSub }), 400},
		{"another's cursor rewritten as mine", bob, "cursor=" + tamper(annCursor, func(m map[string]any) {
			m["p"] = bobSub
			key(m)["customerId"] = bobSub
			key(m)["pk"] = "ORDER#" + bobOrder
		}), 200},
		{"another index", bob, "cursor=" + tamper(annCursor, func(m map[string]any) { m["i"] = "ByDay" }), 400},
		{"the admin listing's cursor", bob, "cursor=" + adminCursor, 400},
		{"an extra key attribute", bob, "cursor=" + tamper(annCursor, func(m map[string]any) { m["p"] = bobSub; key(m)["customerId"] = bobSub; key(m)["status"] = "X" }), 400},
		{"a key of another table", bob, "cursor=" + tamper(annCursor, func(m map[string]any) {
			m["p"] = bobSub
			key(m)["customerId"] = bobSub
			key(m)["pk"] = "IDEMPOTENCY#" + annSub
		}), 400},
		{"no key", bob, "cursor=" + tamper(annCursor, func(m map[string]any) { m["p"] = bobSub; delete(m, "k") }), 400},
		{"not base64", bob, "cursor=not*base64", 400},
		{"base64 of nonsense", bob, "cursor=" + enc("nonsense"), 400},
		{"a JSON array", bob, "cursor=" + enc(`[1,2]`), 400},
		{"oversized", bob, "cursor=" + enc(`{"i":"ByCustomer","p":"`+bobSub+`","k":{"x":"`+strings.Repeat("x", 4096)+`"}}`), 400},
		{"catalog: not a SKU", "", "cursor=" + enc("bad sku"), 400},
		{"catalog: limit 101", "", "limit=101", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "/orders?" + tt.query
			if strings.HasPrefix(tt.name, "catalog:") {
				path = "/inventory?" + tt.query
			}
			r := do(t, "GET", path, tt.token, "")
			for _, id := range annOrders {
				if strings.Contains(string(r.body), id) || strings.Contains(string(r.body), annSub) {
					t.Fatalf("another customer's data: %s", r.body)
				}
			}
			if tt.status == 400 {
				problemOf(t, r, 400)
				return
			}
			// A self-consistent cursor into one's own listing is only a position in it: it can
			// reach nothing but the caller's own orders.
			if r.status != 200 {
				t.Fatalf("status %d %s", r.status, r.body)
			}
			for _, it := range r.json(t)["items"].([]any) {
				if it.(map[string]any)["customerId"] != bobSub {
					t.Fatalf("listed %v", it)
				}
			}
		})
	}
	// The largest page is allowed and bounded.
	if r := do(t, "GET", "/orders?limit=100", ann, ""); r.status != 200 || len(r.json(t)["items"].([]any)) > 100 {
		t.Fatalf("limit 100: %d", r.status)
	}
}

// A WebSocket message is bounded too (4 KB, far below API Gateway's 128 KB): a larger one is answered
// with an error and the connection stays usable.
func TestWebSocketMessageLimit(t *testing.T) {
	c := connect(t, customerToken(t))
	c.send(t, `{"action":"subscribe","orderId":"`+strings.Repeat("0", 8<<10)+`"}`)
	if m := c.next(t, 5*time.Second); m["type"] != "error" || m["code"] != "bad_request" {
		t.Fatalf("oversized message: %v", m)
	}
	c.send(t, `{"action":"ping"}`)
	if m := c.next(t, 5*time.Second); m["type"] != "pong" {
		t.Fatalf("ping after an oversized message: %v", m)
	}
}
