package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/orion-oss/orion/internal/api"
	"github.com/orion-oss/orion/internal/auth"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/query"
	"github.com/orion-oss/orion/internal/web"
)

// tokens fakes the token verifier: "admin-token" is an admin's, "ann-token" a customer's, "down" a
// key-fetch failure, anything else invalid.
type tokens struct{}

func (tokens) Verify(_ context.Context, raw string) (auth.Identity, error) {
	switch raw {
	case "admin-token":
		return auth.Identity{Customer: "root", Admin: true}, nil
	case "ann-token":
		return auth.Identity{Customer: "ann"}, nil
	case "down":
		return auth.Identity{}, errors.New("auth: signing keys unavailable")
	}
	return auth.Identity{}, auth.ErrInvalidToken
}

// catalogCallers are the callers of the public catalog routes and whether each sees exact counts.
var catalogCallers = []struct {
	name        string
	sub, groups string // claims an authorizer verified
	bearer      string // a token the request carries on a route without an authorizer
	admin       bool
}{
	{name: "anonymous"},
	{name: "customer claims", sub: "ann"},
	{name: "other group", sub: "ann", groups: "[administrators]"},
	{name: "admin claims", sub: "root", groups: "[admin]", admin: true},
	{name: "customer token", bearer: "ann-token"},
	{name: "invalid token", bearer: "forged"},
	{name: "keys unavailable", bearer: "down"},
	{name: "admin token", bearer: "admin-token", admin: true},
}

func catalogRequest(sub, groups, bearer string) web.Request {
	r := request(sub, groups, "", "")
	if bearer != "" {
		r.Headers["authorization"] = "Bearer " + bearer
	}
	return r
}

// checkThreshold fails unless v shows the item's low-stock threshold to an admin, and to no one else.
func checkThreshold(t *testing.T, v map[string]any, admin bool, threshold float64) {
	t.Helper()
	n, shown := v["lowStockThreshold"]
	switch {
	case admin && n != threshold:
		t.Errorf("admin sees lowStockThreshold %v; want %v", n, threshold)
	case !admin && shown:
		t.Errorf("non-admin sees lowStockThreshold %v; want none", n)
	}
}

// thresholds fakes the item thresholds' reader and counts its reads.
type thresholds struct {
	m     map[string]int64
	reads int
}

func (f *thresholds) LowStockThresholds(_ context.Context, skus []string) (map[string]int64, error) {
	f.reads++
	out := map[string]int64{}
	for _, s := range skus {
		if v, ok := f.m[s]; ok {
			out[s] = v
		}
	}
	return out, nil
}

// checkStockView fails unless v shows availability, and the count only to an admin.
func checkStockView(t *testing.T, v map[string]any, admin bool, count float64, availability string) {
	t.Helper()
	if v["availability"] != availability {
		t.Errorf("availability %v; want %s", v["availability"], availability)
	}
	n, shown := v["available"]
	switch {
	case admin && n != count:
		t.Errorf("admin sees available %v; want %v", n, count)
	case !admin && shown:
		t.Errorf("non-admin sees available %v; want no count", n)
	}
}

func TestGetInventoryItemShowsCountsOnlyToAdmins(t *testing.T) {
	price, _ := money.New(100, "USD")
	for _, stock := range []struct {
		available    inventory.Quantity
		availability string
	}{{0, "OUT_OF_STOCK"}, {1, "LOW"}, {inventory.PublicLowStock, "IN_STOCK"}, {250, "IN_STOCK"}} {
		it, _, _ := inventory.NewItem("SKU-1", inventory.Details{Name: "W", Price: price}, stock.available, 7)
		h := api.GetInventoryItem{Handler: query.NewGetInventoryItemHandler(&items{m: map[inventory.SKU]*inventory.Item{"SKU-1": it}}),
			Viewers: api.Viewers{Tokens: tokens{}}}.Serve
		for _, c := range catalogCallers {
			t.Run(stock.availability+"/"+c.name, func(t *testing.T) {
				r := catalogRequest(c.sub, c.groups, c.bearer)
				r.PathParameters = map[string]string{"sku": "SKU-1"}
				code, body := status(t, h, r)
				var v map[string]any
				if code != 200 || json.Unmarshal([]byte(body), &v) != nil {
					t.Fatalf("%d %s", code, body)
				}
				checkStockView(t, v, c.admin, float64(stock.available), stock.availability)
				checkThreshold(t, v, c.admin, 7)
			})
		}
	}
}

// The list shows admins each item's threshold too, read from the items (the catalog view has none);
// for anyone else it reads nothing more.
func TestListInventoryShowsCountsOnlyToAdmins(t *testing.T) {
	for _, c := range catalogCallers {
		t.Run(c.name, func(t *testing.T) {
			th := &thresholds{m: map[string]int64{"SKU-1": 7}}
			h := api.ListInventory{Handler: query.NewListInventoryHandler(&views{}), Viewers: api.Viewers{Tokens: tokens{}}, Thresholds: th}.Serve
			code, body := status(t, h, catalogRequest(c.sub, c.groups, c.bearer))
			var page struct{ Items []map[string]any }
			if code != 200 || json.Unmarshal([]byte(body), &page) != nil || len(page.Items) != 1 {
				t.Fatalf("%d %s", code, body)
			}
			checkStockView(t, page.Items[0], c.admin, 3, "LOW") // the fake catalog holds 3 units
			checkThreshold(t, page.Items[0], c.admin, 7)
			if want := map[bool]int{true: 1, false: 0}[c.admin]; th.reads != want {
				t.Errorf("%d threshold reads; want %d", th.reads, want)
			}
		})
	}
}

// TestCatalogWithoutVerifierIgnoresBearerTokens: a function wired without a verifier trusts only an
// authorizer's claims, never an unchecked header.
func TestCatalogWithoutVerifierIgnoresBearerTokens(t *testing.T) {
	h := api.ListInventory{Handler: query.NewListInventoryHandler(&views{})}.Serve
	_, body := status(t, h, catalogRequest("", "", "admin-token"))
	var page struct{ Items []map[string]any }
	if err := json.Unmarshal([]byte(body), &page); err != nil || len(page.Items) != 1 {
		t.Fatalf("%s", body)
	}
	checkStockView(t, page.Items[0], false, 3, "LOW")
}
