package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
)

// sku names a test item; in external mode the run deletes it at the end.
func sku(t *testing.T) string {
	s := strings.ToUpper(awstest.Name(t, "SKU"))
	if sys.external {
		madeSKU(s)
	}
	return s
}

const widget = `{"name":"Widget","description":"A widget","price":{"amount":1999,"currency":"USD"},"available":10}`

func TestInventoryLifecycle(t *testing.T) {
	s := sku(t)
	r := do(t, "PUT", "/inventory/"+s, sys.adminTok, widget)
	if r.status != 201 || r.header.Get("Location") != "/inventory/"+s {
		t.Fatalf("create: %d %s %v", r.status, r.body, r.header)
	}
	got := do(t, "GET", "/inventory/"+s, "", "")
	if got.status != 200 {
		t.Fatalf("public read: %d %s", got.status, got.body)
	}
	// The public sees availability, not the count (a competitor or a hoarder could watch it); an admin both.
	want := fmt.Sprintf(`{"sku":%q,"name":"Widget","description":"A widget","price":{"amount":1999,"currency":"USD"},"availability":"IN_STOCK"}`, s)
	if string(got.body) != want {
		t.Fatalf("item = %s\nwant   %s", got.body, want)
	}
	got = do(t, "GET", "/inventory/"+s, sys.adminTok, "")
	want = fmt.Sprintf(`{"sku":%q,"name":"Widget","description":"A widget","price":{"amount":1999,"currency":"USD"},"availability":"IN_STOCK","available":10,"lowStockThreshold":5}`, s)
	if got.status != 200 || string(got.body) != want {
		t.Fatalf("admin read: %d %s\nwant   %s", got.status, got.body, want)
	}
	r = do(t, "PUT", "/inventory/"+s, sys.adminTok, strings.Replace(widget, `"available":10`, `"available":4`, 1))
	if r.status != 200 || r.json(t)["available"] != float64(4) {
		t.Fatalf("revise: %d %s", r.status, r.body)
	}
	r = do(t, "POST", "/inventory/"+s+"/restock", sys.adminTok, `{"quantity":6}`)
	if r.status != 200 || r.json(t)["available"] != float64(10) {
		t.Fatalf("restock: %d %s", r.status, r.body)
	}
}

func TestInventoryRefusals(t *testing.T) {
	s := sku(t)
	if r := do(t, "PUT", "/inventory/"+s, sys.adminTok, widget); r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	cust := customerToken(t)
	tests := []struct {
		name, method, path, token, body string
		status                          int
		fields                          []string
	}{
		{"anonymous admin route", "PUT", "/inventory/" + s, "", widget, 401, nil},
		{"customer admin route", "PUT", "/inventory/" + s, cust, widget, 403, nil},
		{"customer restock", "POST", "/inventory/" + s + "/restock", cust, `{"quantity":1}`, 403, nil},
		{"unknown item", "GET", "/inventory/NOPE-" + s, "", "", 404, nil},
		{"restock unknown item", "POST", "/inventory/NOPE-" + s + "/restock", sys.adminTok, `{"quantity":1}`, 404, nil},
		{"bad sku", "GET", "/inventory/bad%20sku", "", "", 400, []string{"sku"}},
		{"malformed json", "PUT", "/inventory/" + s, sys.adminTok, `{"name":`, 400, nil},
		{"server-owned field", "PUT", "/inventory/" + s, sys.adminTok, strings.Replace(widget, `{`, `{"reserved":0,`, 1), 400, []string{"reserved"}},
		{"fractional price", "PUT", "/inventory/" + s, sys.adminTok, strings.Replace(widget, "1999", "19.99", 1), 400, nil},
		{"negative stock", "PUT", "/inventory/" + s, sys.adminTok, strings.Replace(widget, `"available":10`, `"available":-1`, 1), 400, []string{"available"}},
		{"negative threshold", "PUT", "/inventory/" + s, sys.adminTok, strings.Replace(widget, `{`, `{"lowStockThreshold":-1,`, 1), 400, []string{"lowStockThreshold"}},
		{"missing fields", "PUT", "/inventory/" + s, sys.adminTok, `{"name":""}`, 400, []string{"price", "available"}},
		{"zero restock", "POST", "/inventory/" + s + "/restock", sys.adminTok, `{"quantity":0}`, 400, []string{"quantity"}},
		{"too large", "PUT", "/inventory/" + s, sys.adminTok, `{"name":"` + strings.Repeat("x", 70<<10) + `"}`, 413, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fields := problemOf(t, do(t, tt.method, tt.path, tt.token, tt.body), tt.status)
			for _, f := range tt.fields {
				if !strings.Contains(strings.Join(fields, ","), f) {
					t.Errorf("problem fields %v lack %q", fields, f)
				}
			}
		})
	}
	// Nothing a refused request sent was stored.
	if r := do(t, "GET", "/inventory/"+s, sys.adminTok, ""); r.json(t)["available"] != float64(10) {
		t.Fatalf("item changed by refused requests: %s", r.body)
	}
}

func TestListInventoryPages(t *testing.T) {
	mine := map[string]bool{}
	for range 3 {
		s := sku(t)
		mine[s] = true
		if r := do(t, "PUT", "/inventory/"+s, sys.adminTok, widget); r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
	}
	// The catalog view follows the InventoryUpdated events; walk every page until it has caught up.
	eventually(t, "the 3 new items in the catalog", func() bool {
		seen, found, cursor := map[string]bool{}, 0, ""
		for page := 0; page < 1000; page++ {
			path := "/inventory?limit=2"
			if cursor != "" {
				path += "&cursor=" + cursor
			}
			r := do(t, "GET", path, sys.adminTok, "") // an admin sees the counts
			if r.status != 200 {
				t.Fatalf("page %d: %d %s", page, r.status, r.body)
			}
			body := r.json(t)
			items := body["items"].([]any)
			if len(items) > 2 {
				t.Fatalf("page of %d items with limit 2", len(items))
			}
			for _, it := range items {
				m := it.(map[string]any)
				s := m["sku"].(string)
				if seen[s] {
					t.Fatalf("%s listed twice", s)
				}
				seen[s] = true
				if mine[s] && m["available"] == float64(10) {
					found++
				}
			}
			next, _ := body["nextCursor"].(string)
			if next == "" {
				break
			}
			cursor = next
		}
		return found == 3
	})
	problemOf(t, do(t, "GET", "/inventory?cursor=YmFkIHNrdQ", "", ""), 400) // base64 of "bad sku"
	problemOf(t, do(t, "GET", "/inventory?cursor=not*base64", "", ""), 400)
	problemOf(t, do(t, "GET", "/inventory?limit=1000", "", ""), 400)
}
