package api_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/orion-oss/orion/internal/api"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/query"
)

// views fakes the query side's read models: one page, then the end; "forged" is a cursor it never issued.
type views struct{ asked []query.OrderSelection }

func (v *views) ListOrders(_ context.Context, s query.OrderSelection) ([]query.OrderSummary, string, error) {
	v.asked = append(v.asked, s)
	if s.Cursor == "forged" {
		return nil, "", query.ErrBadCursor
	}
	price, _ := money.New(500, "USD")
	return []query.OrderSummary{{OrderID: "01JDQ7Z3M6X9V0YB2C4D5E6F7G", CustomerID: "ann", Status: "PENDING", Total: price,
		Lines:   []query.OrderLine{{SKU: "SKU-1", Name: "W", Quantity: 1, UnitPrice: price, LineTotal: price}},
		History: []query.HistoryEntry{{Status: "PENDING", At: "2026-01-01T00:00:00Z"}}}}, "", nil
}

func (v *views) ListCatalog(_ context.Context, limit int32, cursor string) ([]query.CatalogItem, string, error) {
	if cursor == "forged" {
		return nil, "", query.ErrBadCursor
	}
	price, _ := money.New(500, "USD")
	return []query.CatalogItem{{SKU: "SKU-1", Name: "W", Price: price, Available: 3}}, "more", nil
}

func TestListOrders(t *testing.T) {
	tests := []struct {
		name, sub, groups string
		params            map[string]string
		status            int
		field             string
		asked             string // the customer the views were asked for
	}{
		{name: "own orders", sub: "ann", status: 200, asked: "ann"},
		{name: "admin: everyone's", sub: "root", groups: "[admin]", status: 200, asked: ""},
		{name: "admin: one customer's", sub: "root", groups: "[admin]", params: map[string]string{"customerId": "bob"}, status: 200, asked: "bob"},
		{name: "another's orders", sub: "ann", params: map[string]string{"customerId": "bob"}, status: 403},
		{name: "another's orders, badly asked: forbidden first", sub: "ann", params: map[string]string{"customerId": "bob", "limit": "0"}, status: 403},
		{name: "limit out of range", sub: "ann", params: map[string]string{"limit": "101"}, status: 400, field: "limit"},
		{name: "unknown status", sub: "ann", params: map[string]string{"status": "LOST"}, status: 400, field: "status"},
		{name: "forged cursor", sub: "ann", params: map[string]string{"cursor": "forged"}, status: 400, field: "cursor"},
		{name: "no caller", status: 401},
		// The admin's order search by creation time: RFC 3339 bounds, combined with the other filters.
		{name: "search: range, customer and status", sub: "root", groups: "[admin]", status: 200, asked: "bob",
			params: map[string]string{"customerId": "bob", "status": "DELIVERED", "createdFrom": "2026-01-01T00:00:00Z", "createdTo": "2026-01-31T23:59:59+01:00"}},
		{name: "search: from alone", sub: "ann", params: map[string]string{"createdFrom": "2026-01-01T00:00:00.5Z"}, status: 200, asked: "ann"},
		{name: "search: from after to", sub: "root", groups: "[admin]", params: map[string]string{"createdFrom": "2026-02-01T00:00:00Z", "createdTo": "2026-01-01T00:00:00Z"},
			status: 400, field: "createdFrom"},
		{name: "search: over 366 days", sub: "root", groups: "[admin]", params: map[string]string{"createdFrom": "2024-01-01T00:00:00Z", "createdTo": "2026-01-01T00:00:00Z"},
			status: 400, field: "createdTo"},
		{name: "search: a date without a time", sub: "ann", params: map[string]string{"createdFrom": "2026-01-01"}, status: 400, field: "createdFrom"},
		{name: "search: before the year 2000", sub: "ann", params: map[string]string{"createdTo": "1999-12-31T23:59:59Z"}, status: 400, field: "createdTo"},
		{name: "search: another's orders, badly asked: forbidden first", sub: "ann", params: map[string]string{"customerId": "bob", "createdTo": "x"}, status: 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := &views{}
			r := request(tt.sub, tt.groups, "", "")
			r.QueryStringParameters = tt.params
			code, body := status(t, api.ListOrders{Handler: query.NewListOrdersHandler(v)}.Serve, r)
			if code != tt.status {
				t.Fatalf("status %d (%s); want %d", code, body, tt.status)
			}
			if tt.field != "" && !strings.Contains(body, `"field":"`+tt.field) {
				t.Fatalf("problem %s does not name %s", body, tt.field)
			}
			if code != 200 {
				return
			}
			if len(v.asked) != 1 || string(v.asked[0].CustomerID) != tt.asked || v.asked[0].Limit != 20 {
				t.Fatalf("asked %+v; want customer %q, limit 20", v.asked, tt.asked)
			}
			// The bounds reach the views in UTC, to the second.
			for param, got := range map[string]time.Time{"createdFrom": v.asked[0].CreatedFrom, "createdTo": v.asked[0].CreatedTo} {
				want, _ := time.Parse(time.RFC3339, tt.params[param])
				if want = want.UTC().Truncate(time.Second); !got.Equal(want) || (!got.IsZero() && got.Location() != time.UTC) {
					t.Fatalf("%s reached the views as %v; want %v", param, got, want)
				}
			}
			var page struct {
				Items      []map[string]any `json:"items"`
				NextCursor *string          `json:"nextCursor"`
			}
			if err := json.Unmarshal([]byte(body), &page); err != nil || len(page.Items) != 1 || page.NextCursor != nil ||
				page.Items[0]["orderId"] != "01JDQ7Z3M6X9V0YB2C4D5E6F7G" || len(page.Items[0]["items"].([]any)) != 1 {
				t.Fatalf("page %s (%v)", body, err)
			}
		})
	}
}

func TestListInventory(t *testing.T) {
	h := api.ListInventory{Handler: query.NewListInventoryHandler(&views{})}.Serve
	code, body := status(t, h, request("", "", "", ""))
	if code != 200 || !strings.Contains(body, `"nextCursor":"more"`) || !strings.Contains(body, `"sku":"SKU-1"`) {
		t.Fatalf("%d %s", code, body)
	}
	r := request("", "", "", "")
	r.QueryStringParameters = map[string]string{"cursor": "forged"}
	if code, body := status(t, h, r); code != 400 || !strings.Contains(body, `"field":"cursor"`) {
		t.Fatalf("forged cursor: %d %s", code, body)
	}
}
