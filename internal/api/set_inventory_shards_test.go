package api_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/orion-oss/orion/internal/api"
	"github.com/orion-oss/orion/internal/command"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/money"
)

// sharder is the api's items fake with SetShards: the item's decision only.
type sharder struct{ *items }

func (f sharder) SetShards(ctx context.Context, sku inventory.SKU, cause event.Cause, fn func(*inventory.Item) ([]event.Payload, error)) (*inventory.Item, error) {
	return f.Update(ctx, sku, cause, fn)
}

// PUT /inventory/{sku}/shards: admins only, 400 with the field for bad input (nothing changes), 404
// for an unknown SKU, and the shards' counters in the answer; a repeat answers the same.
func TestSetInventoryShards(t *testing.T) {
	price, _ := money.New(100, "USD")
	it, _, _ := inventory.NewItem("SKU-1", inventory.Details{Name: "W", Price: price}, 10, 0)
	set := api.SetInventoryShards{Handler: command.NewSetInventoryShardsHandler(sharder{&items{m: map[inventory.SKU]*inventory.Item{"SKU-1": it}}})}.Serve
	for _, tt := range []struct {
		name, sub, groups, sku, body string
		want                         int
		field                        string
	}{
		{"anonymous", "", "", "SKU-1", `{"shards":4}`, 401, ""},
		{"customer", "ann", "", "SKU-1", `{"shards":4}`, 403, ""},
		{"missing", "root", "[admin]", "SKU-1", `{}`, 400, "shards"},
		{"zero", "root", "[admin]", "SKU-1", `{"shards":0}`, 400, "shards"},
		{"too many", "root", "[admin]", "SKU-1", `{"shards":65}`, 400, "shards"},
		{"not a number", "root", "[admin]", "SKU-1", `{"shards":"4"}`, 400, ""},
		{"bad sku", "root", "[admin]", "sku-1", `{"shards":4}`, 400, "sku"},
		{"unknown sku", "root", "[admin]", "NOPE", `{"shards":4}`, 404, ""},
		{"set", "root", "[admin]", "SKU-1", `{"shards":4}`, 200, ""},
		{"repeat", "root", "[admin]", "SKU-1", `{"shards":4}`, 200, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := request(tt.sub, tt.groups, "", tt.body)
			r.PathParameters = map[string]string{"sku": tt.sku}
			c, b := status(t, set, r)
			if c != tt.want || (tt.field != "" && !strings.Contains(b, `"`+tt.field+`"`)) {
				t.Fatalf("%d %s; want %d naming %q", c, b, tt.want, tt.field)
			}
			if tt.want >= 400 && it.Shards() != 1 && tt.name != "repeat" && tt.name != "set" {
				t.Fatalf("a refused request changed the item: %d shards", it.Shards())
			}
			if c == 200 {
				var v api.ShardsView
				if err := json.Unmarshal([]byte(b), &v); err != nil || v.Shards != 4 || v.Available != 10 || len(v.Counters) != 5 || !v.Counters[0].Draining || v.Counters[1].Draining {
					t.Fatalf("view %s: %v", b, err)
				}
			}
		})
	}
}
