package query_test

import (
	"context"
	"errors"
	"testing"

	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/query"
)

// views fakes OrderViews: it records the selection it was asked for.
type views struct{ asked []query.OrderSelection }

func (v *views) ListOrders(_ context.Context, s query.OrderSelection) ([]query.OrderSummary, string, error) {
	v.asked = append(v.asked, s)
	if s.Cursor == "forged" {
		return nil, "", query.ErrBadCursor
	}
	return []query.OrderSummary{{OrderID: "o1", CustomerID: string(s.CustomerID)}}, "next", nil
}

// Whose orders a listing reads: a customer's own, an admin's everyone's unless one customer is named.
func TestListOrdersSelection(t *testing.T) {
	tests := []struct {
		name string
		q    query.ListOrders
		// want is the customer the read model is asked for ("" everyone); err a refusal.
		want customer.ID
		err  error
	}{
		{name: "customer: their own", q: query.ListOrders{Caller: "ann"}, want: "ann"},
		{name: "customer naming themselves", q: query.ListOrders{Caller: "ann", Customer: "ann"}, want: "ann"},
		{name: "customer naming another", q: query.ListOrders{Caller: "ann", Customer: "bob"}, err: query.ErrForbidden},
		{name: "admin: everyone's", q: query.ListOrders{Caller: "root", Admin: true}, want: ""},
		{name: "admin naming a customer", q: query.ListOrders{Caller: "root", Admin: true, Customer: "bob"}, want: "bob"},
		{name: "cursor of another listing", q: query.ListOrders{Caller: "ann", Cursor: "forged"}, want: "ann", err: query.ErrBadCursor},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := &views{}
			tt.q.Status, tt.q.Limit = "CONFIRMED", 7
			items, next, err := query.NewListOrdersHandler(v).Handle(context.Background(), tt.q)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err %v; want %v", err, tt.err)
			}
			if tt.q.Forbidden() != (tt.err == query.ErrForbidden) {
				t.Fatalf("Forbidden() = %v", tt.q.Forbidden())
			}
			if tt.err == query.ErrForbidden {
				if len(v.asked) != 0 {
					t.Fatalf("a forbidden listing read %v", v.asked)
				}
				return
			}
			want := query.OrderSelection{CustomerID: tt.want, Status: "CONFIRMED", Limit: 7, Cursor: tt.q.Cursor}
			if len(v.asked) != 1 || v.asked[0] != want {
				t.Fatalf("asked %+v; want %+v", v.asked, want)
			}
			if err == nil && (len(items) != 1 || next != "next") {
				t.Fatalf("page %v %q", items, next)
			}
		})
	}
}
