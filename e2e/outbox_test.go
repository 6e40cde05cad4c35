package e2e

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
)

// A 50-line reservation whose lines all cross their low-stock threshold commits 51 events, more than
// DynamoDB's 100 items per transaction hold one per item beside the 52 items it changes: the outbox
// writes them as batch items of 10, and the batch Pipe relays one at a time, so that no answer holds
// more than the 10 events a Pipe puts on a bus (the local Pipe refuses more, as AWS does). The bus
// receives every event once, as single events would reach it, and the order is confirmed. It takes
// about 15 s locally, as the emulator puts only some 7 events a second on the bus under this load (the
// 50 items' own InventoryUpdated events go first).
func TestAReservationOfManyLowLinesReachesTheBus(t *testing.T) {
	tok := customerToken(t)
	skus := make([]string, 50)
	lines := make([]string, len(skus))
	for i := range skus {
		// Threshold 3: one unit of 3 leaves 2, below it.
		skus[i] = sku(t)
		body := fmt.Sprintf(`{"name":"Low %d","price":{"amount":100,"currency":"USD"},"available":3,"lowStockThreshold":3}`, i)
		if r := do(t, "PUT", "/inventory/"+skus[i], sys.adminTok, body); r.status != 201 {
			t.Fatalf("item %s: %d %s", skus[i], r.status, r.body)
		}
		lines[i] = fmt.Sprintf(`{"sku":%q,"quantity":1}`, skus[i])
	}
	r := place(t, tok, awstest.Name(t, "k"), `{"items":[`+strings.Join(lines, ",")+`],"paymentToken":"tok_visa"}`)
	if r.status != 202 {
		t.Fatalf("place: %d %s", r.status, r.body)
	}
	id := r.json(t)["orderId"].(string)

	// The batch Pipe and the Pipe of single events run side by side, so the order's events may reach
	// the bus in another order than they were committed (EventBridge promises none): compare them as sets.
	// Waiting on the bus rather than polling the order leaves the emulator to the saga.
	want := []string{"InventoryCommitted", "InventoryReserved", "OrderConfirmed", "OrderPlaced", "PaymentAuthorized", "PaymentCaptured"}
	lowOf := func(s string) []string {
		bus.mu.Lock()
		defer bus.mu.Unlock()
		var out []string
		for _, ev := range bus.byOrder[s] {
			if ev.DetailType == "InventoryLow" {
				var env struct {
					Data struct {
						Available int64 `json:"available"`
					} `json:"data"`
				}
				_ = json.Unmarshal(ev.Detail, &env)
				out = append(out, fmt.Sprintf("%s %s %d", ev.Source, ev.DetailType, env.Data.Available))
			}
		}
		return out
	}
	settled := func() (string, bool) {
		got := slices.Sorted(slices.Values(bus.types(id)))
		if !slices.Equal(got, want) {
			return fmt.Sprintf("events of %s: %v; want %v", id, got, want), false
		}
		for _, s := range skus {
			if got := lowOf(s); !slices.Equal(got, []string{"orion.inventory InventoryLow 2"}) {
				return fmt.Sprintf("InventoryLow of %s: %v; want one, 2 left", s, got), false
			}
		}
		return "", true
	}
	deadline := time.Now().Add(slack(30 * time.Second))
	for {
		why, ok := settled()
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(why)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(slack(300 * time.Millisecond))
	if why, ok := settled(); !ok {
		t.Fatalf("more events kept coming: %s", why)
	}
	if ev, _ := bus.first(id, "InventoryReserved"); !strings.Contains(string(ev.Detail), skus[len(skus)-1]) {
		t.Fatalf("InventoryReserved does not list the last line: %s", ev.Detail)
	}
	expectOutcome(t, do(t, "GET", "/orders/"+id, tok, "").json(t), "CONFIRMED", "")
}
