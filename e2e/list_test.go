package e2e

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/internal/order"
)

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	// A ceiling for a loaded CI machine (every package's tests at once on 2 cores), not a target.
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestListOrdersFromTheProjection(t *testing.T) {
	a, _ := catalog(t)
	tok := customerToken(t)
	var ids []string
	for i := range 3 {
		r := place(t, tok, awstest.Name(t, fmt.Sprint("k", i)), `{"items":[{"sku":"`+a+`","quantity":1}],"paymentToken":"tok_visa"}`)
		if r.status != 202 {
			t.Fatalf("place: %d %s", r.status, r.body)
		}
		ids = append(ids, r.json(t)["orderId"].(string))
	}
	// The projector catches up through outbox -> pipe -> bus -> rule.
	eventually(t, "3 orders in the list", func() bool {
		r := do(t, "GET", "/orders", tok, "")
		return r.status == 200 && len(r.json(t)["items"].([]any)) == 3
	})
	// Newest first, one per page, cursors chain to the end.
	var seen []string
	cursor := ""
	for page := 0; page < 5; page++ {
		path := "/orders?limit=1"
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		r := do(t, "GET", path, tok, "")
		if r.status != 200 {
			t.Fatalf("page %d: %d %s", page, r.status, r.body)
		}
		body := r.json(t)
		for _, it := range body["items"].([]any) {
			o := it.(map[string]any)
			seen = append(seen, o["orderId"].(string))
			// The saga moves each order on meanwhile: any status of its story may be listed.
			if _, err := order.ParseStatus(o["status"].(string)); err != nil || o["total"].(map[string]any)["currency"] != "USD" || len(o["items"].([]any)) != 1 {
				t.Fatalf("listed order = %v", o)
			}
		}
		next, _ := body["nextCursor"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	if strings.Join(seen, ",") != strings.Join([]string{ids[2], ids[1], ids[0]}, ",") {
		t.Fatalf("listed %v; want newest first %v", seen, ids)
	}
	// Another customer's list is empty, and my cursor is refused there: it never reaches my orders.
	other := customerToken(t)
	if r := do(t, "GET", "/orders", other, ""); r.status != 200 || len(r.json(t)["items"].([]any)) != 0 {
		t.Fatalf("other customer's list: %d %s", r.status, r.body)
	}
	first := do(t, "GET", "/orders?limit=1", tok, "").json(t)["nextCursor"].(string)
	problemOf(t, do(t, "GET", "/orders?cursor="+url.QueryEscape(first), other, ""), 400)
	problemOf(t, do(t, "GET", "/orders?cursor=forged", tok, ""), 400)
	problemOf(t, do(t, "GET", "/orders?limit=0", tok, ""), 400)
	problemOf(t, do(t, "GET", "/orders?limit=101", tok, ""), 400)
	problemOf(t, do(t, "GET", "/orders?status=LOST", tok, ""), 400) // SHIPPED is a status since issue 21
	// A customer may not list someone else's orders by id; an admin may.
	problemOf(t, do(t, "GET", "/orders?customerId=someone-else", tok, ""), 403)
	// Filter by status: cancel one and list CANCELLED.
	if r := do(t, "POST", "/orders/"+ids[0]+"/cancel", tok, ""); r.status != 202 {
		t.Fatalf("cancel: %d %s", r.status, r.body)
	}
	eventually(t, "the cancelled order in the CANCELLED list", func() bool {
		r := do(t, "GET", "/orders?status=CANCELLED", tok, "")
		items, _ := r.json(t)["items"].([]any)
		return r.status == 200 && len(items) == 1 && items[0].(map[string]any)["orderId"] == ids[0]
	})
	r := do(t, "GET", "/orders?status=CANCELLED", tok, "")
	hist := r.json(t)["items"].([]any)[0].(map[string]any)["history"].([]any)
	if len(hist) < 2 || hist[0].(map[string]any)["status"] != "PENDING" || hist[len(hist)-1].(map[string]any)["status"] != "CANCELLED" {
		t.Fatalf("projected history = %v", hist)
	}
}

func TestAdminListsEveryonesOrders(t *testing.T) {
	a, _ := catalog(t)
	ann, bob := customerToken(t), customerToken(t)
	var ids []string
	for i, tok := range []string{ann, bob} {
		r := place(t, tok, awstest.Name(t, fmt.Sprint("k", i)), `{"items":[{"sku":"`+a+`","quantity":1}],"paymentToken":"tok_visa"}`)
		ids = append(ids, r.json(t)["orderId"].(string))
	}
	// Walk the admin listing page by page (limit 2) until both orders are seen.
	found := map[string]bool{}
	eventually(t, "both customers' orders in the admin listing", func() bool {
		cursor := ""
		for page := 0; page < 50; page++ {
			path := "/orders?limit=2"
			if cursor != "" {
				path += "&cursor=" + url.QueryEscape(cursor)
			}
			r := do(t, "GET", path, sys.adminTok, "")
			if r.status != 200 {
				t.Fatalf("admin page: %d %s", r.status, r.body)
			}
			for _, it := range r.json(t)["items"].([]any) {
				found[it.(map[string]any)["orderId"].(string)] = true
			}
			next, _ := r.json(t)["nextCursor"].(string)
			if found[ids[0]] && found[ids[1]] || next == "" {
				break
			}
			cursor = next
		}
		return found[ids[0]] && found[ids[1]]
	})
	// A customer's cursor is no good for the admin listing, and the other way round.
	custCursor := do(t, "GET", "/orders?limit=1", ann, "").json(t)["nextCursor"]
	if c, ok := custCursor.(string); ok {
		problemOf(t, do(t, "GET", "/orders?cursor="+url.QueryEscape(c), sys.adminTok, ""), 400)
	}
	if r := do(t, "GET", "/orders?status=PENDING&limit=100", sys.adminTok, ""); r.status != 200 {
		t.Fatalf("admin by status: %d %s", r.status, r.body)
	}
}
