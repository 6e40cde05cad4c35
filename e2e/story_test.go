package e2e

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

// storyOf asks for an order's story as an admin and returns its lines "<source> <first word>" in order,
// with the raw entries' times checked to run forward.
func storyOf(t *testing.T, id string) (lines []string, truncated bool) {
	t.Helper()
	r := do(t, "GET", "/orders/"+id+"/story", sys.adminTok, "")
	if r.status != 200 {
		t.Fatalf("story: %d %s", r.status, r.body)
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("story: Cache-Control %q; want no-store", cc)
	}
	var s struct {
		OrderID string
		Entries []struct {
			At           time.Time
			Source, What string
		}
		Truncated bool
	}
	if err := json.Unmarshal(r.body, &s); err != nil || s.OrderID != id {
		t.Fatalf("story of %s: %v %s", id, err, r.body)
	}
	for i, e := range s.Entries {
		if i > 0 && e.At.Before(s.Entries[i-1].At) {
			t.Fatalf("story entry %d %v comes before the one above it %v", i, e, s.Entries[i-1])
		}
		lines = append(lines, e.Source+" "+strings.Fields(e.What)[0])
	}
	return lines, s.Truncated
}

// An admin reads a confirmed order's story over HTTP (the console draws it): its statuses, events, saga
// steps and the email its confirmation caused, in time order; its own customer is refused, as is a
// malformed id; an unknown order is 404.
func TestOrderStoryForAdmins(t *testing.T) {
	tok := customerToken(t)
	id, _ := confirmedOrder(t, tok, 10, 1)
	// Each of these, in this order (other lines may come between). The email is recorded by the
	// send-email function after the confirmation's event reached it: asked again until it is there.
	want := []string{"order PENDING", "event OrderPlaced", "saga ReserveStock", "event InventoryReserved",
		"saga AuthorizePayment", "event PaymentAuthorized", "saga ConfirmOrder",
		"order CONFIRMED", "event OrderConfirmed", "email SENT:"}
	var lines []string
	var matched int
	for deadline := time.Now().Add(slack(20 * time.Second)); ; time.Sleep(200 * time.Millisecond) {
		var truncated bool
		lines, truncated = storyOf(t, id)
		if truncated {
			t.Fatalf("a confirmed order's story of %d entries is truncated", len(lines))
		}
		matched = 0
		for _, l := range lines {
			if matched < len(want) && strings.HasPrefix(l, want[matched]) {
				matched++
			}
		}
		if matched == len(want) || time.Now().After(deadline) {
			break
		}
	}
	if matched != len(want) {
		t.Fatalf("story:\n%s\nlacks, in order, %q onwards", strings.Join(lines, "\n"), want[matched])
	}
	if !slices.Contains(lines, "saga ExecutionSucceeded") {
		t.Fatalf("story without the saga's end:\n%s", strings.Join(lines, "\n"))
	}

	problemOf(t, do(t, "GET", "/orders/"+id+"/story", tok, ""), 403)
	if fields := problemOf(t, do(t, "GET", "/orders/not-an-order/story", sys.adminTok, ""), 400); !slices.Contains(fields, "orderId") {
		t.Fatalf("a malformed order id: fields %v; want orderId", fields)
	}
	problemOf(t, do(t, "GET", "/orders/01JDQ7Z3M6X9V0YB2C4D5E6F7G/story", sys.adminTok, ""), 404)
}
