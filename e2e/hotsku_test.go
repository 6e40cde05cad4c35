package e2e

import (
	"fmt"
	"sync"
	"testing"
)

// An admin splits a SKU's stock over shards while it sells (docs/hot-sku.md): bad requests change
// nothing, orders reserve and confirm across the shards, exactly the stock is sold and the rest are
// refused out of stock, and shrinking the split moves the units without changing the totals.
func TestShardedSKUSellsExactlyItsStock(t *testing.T) {
	tok := customerToken(t)
	s := stockItem(t, 12)
	path := "/inventory/" + s + "/shards"
	for _, c := range []struct {
		name, token, path, body string
		status                  int
	}{
		{"a customer", tok, path, `{"shards":4}`, 403},
		{"no token", "", path, `{"shards":4}`, 401},
		{"zero shards", sys.adminTok, path, `{"shards":0}`, 400},
		{"past the bound", sys.adminTok, path, `{"shards":65}`, 400},
		{"a string", sys.adminTok, path, `{"shards":"4"}`, 400},
		{"missing", sys.adminTok, path, `{}`, 400},
		{"an unknown SKU", sys.adminTok, "/inventory/NONE-" + s + "/shards", `{"shards":4}`, 404},
	} {
		if r := do(t, "PUT", c.path, c.token, c.body); r.status != c.status {
			t.Fatalf("%s: %d %s; want %d", c.name, r.status, r.body, c.status)
		}
	}
	if a, r, sold := conserved(t, s, 12); a != 12 || r != 0 || sold != 0 {
		t.Fatalf("after refused requests: available %d reserved %d sold %d", a, r, sold)
	}
	for range 2 { // the second is a no-op
		r := do(t, "PUT", path, sys.adminTok, `{"shards":4}`)
		if r.status != 200 {
			t.Fatalf("split into 4: %d %s", r.status, r.body)
		}
		if v := r.json(t); v["shards"] != 4.0 || v["available"] != 12.0 {
			t.Fatalf("split into 4: %s", r.body)
		}
	}

	// Seven orders of two units on twelve: six confirmed, one refused, whatever shard each starts at.
	var (
		mu       sync.Mutex
		outcomes = map[string]int{}
		wg       sync.WaitGroup
	)
	for range 7 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := order1(t, tok, s, 2, "tok_visa")
			o := settle(t, tok, id)
			mu.Lock()
			reason, _ := o["statusReason"].(string)
			outcomes[fmt.Sprint(o["status"], "/", reason)]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if outcomes["CONFIRMED/"] != 6 || outcomes["REJECTED/OUT_OF_STOCK"] != 1 {
		t.Fatalf("outcomes %v; want 6 confirmed, 1 out of stock", outcomes)
	}
	if a, r, sold := conserved(t, s, 12); a != 0 || r != 0 || sold != 12 {
		t.Fatalf("after the sale: available %d reserved %d sold %d", a, r, sold)
	}
	if r := do(t, "GET", "/inventory/"+s, sys.adminTok, ""); r.status != 200 || r.json(t)["available"] != 0.0 {
		t.Fatalf("the item after the sale: %d %s", r.status, r.body)
	}

	// Restock, then shrink to 2 shards: the units move, the totals stay.
	if r := do(t, "POST", "/inventory/"+s+"/restock", sys.adminTok, `{"quantity":8}`); r.status != 200 {
		t.Fatalf("restock: %d %s", r.status, r.body)
	}
	r := do(t, "PUT", path, sys.adminTok, `{"shards":2}`)
	if r.status != 200 {
		t.Fatalf("shrink to 2: %d %s", r.status, r.body)
	}
	if v := r.json(t); v["shards"] != 2.0 || v["available"] != 8.0 || v["sold"] != 12.0 {
		t.Fatalf("shrink to 2: %s", r.body)
	}
	conserved(t, s, 20)
}
