package dynamo_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	smithymiddleware "github.com/aws/smithy-go/middleware"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/adapter/dynamo/dynamotest"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/query"
)

func projections(t *testing.T) *dynamo.Projections {
	t.Helper()
	db, _ := newTables(t)
	return dynamo.NewProjections(db, dynamotest.Table(t, "ProjectionsTable"))
}

func env(t *testing.T, id string, p event.Payload, at time.Time) event.Envelope {
	t.Helper()
	e, err := event.Wrap(p, event.Meta{ID: id, OccurredAt: at, CorrelationID: "c"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(e)
	e, err = event.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// Duplicates and any delivery order converge on the same view.
func TestProjectionIsIdempotentAndOrderIndependent(t *testing.T) {
	ctx := context.Background()
	price, _ := money.New(500, "USD")
	t0 := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	ref := func(status, reason string, v int64) event.OrderRef {
		return event.OrderRef{OrderID: "01JDQ7Z3M6X9V0YB2C4D5E6F7G", CustomerID: "cust-1", Status: status, Reason: reason, OrderVersion: v}
	}
	lines := []event.Line{{SKU: "A", Name: "a", Quantity: 1, UnitPrice: price, LineTotal: price}}
	evs := []event.Envelope{
		env(t, "e1", event.OrderPlaced{OrderRef: ref("PENDING", "", 1), Lines: lines, Total: price, CreatedAt: t0}, t0),
		env(t, "e2", event.InventoryReserved{OrderRef: ref("RESERVED", "", 2), Lines: []event.StockLine{{SKU: "A", Quantity: 1}}}, t0.Add(time.Second)),
		env(t, "e3", event.PaymentAuthorized{OrderRef: ref("PAYMENT_AUTHORIZED", "", 3), AuthorizationID: "a", Amount: price}, t0.Add(2*time.Second)),
		env(t, "e4", event.OrderConfirmed{OrderRef: ref("CONFIRMED", "", 4), Lines: lines, Total: price}, t0.Add(3*time.Second)),
	}
	orders := [][]int{{0, 1, 2, 3}, {3, 2, 1, 0}, {1, 3, 0, 2, 3, 1, 0}}
	for i, order := range orders {
		p := projections(t)
		firsts := map[string]int{}
		for _, j := range order {
			res, err := p.Apply(ctx, evs[j])
			if err != nil {
				t.Fatal(err)
			}
			if res.First {
				firsts[res.Status]++
			}
		}
		// Each status change is reported first exactly once, whatever the order and the duplicates.
		if len(firsts) != 4 || firsts["PENDING"] != 1 || firsts["RESERVED"] != 1 || firsts["PAYMENT_AUTHORIZED"] != 1 || firsts["CONFIRMED"] != 1 {
			t.Fatalf("delivery %v: first deliveries %v", order, firsts)
		}
		items, _, err := p.ListOrders(ctx, query.OrderSelection{CustomerID: "cust-1", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(items) != 1 {
			t.Fatalf("delivery %d: %d views", i, len(items))
		}
		v := items[0]
		var hist []string
		for _, h := range v.History {
			hist = append(hist, h.Status)
		}
		if v.Status != "CONFIRMED" || v.Total != price || len(v.Lines) != 1 || strings.Join(hist, ",") != "PENDING,RESERVED,PAYMENT_AUTHORIZED,CONFIRMED" {
			t.Fatalf("delivery %v: view %+v history %v", order, v, hist)
		}
	}
}

func TestCatalogViewKeepsTheNewestItemVersion(t *testing.T) {
	ctx := context.Background()
	p := projections(t)
	price, _ := money.New(900, "USD")
	t0 := time.Now()
	v2 := env(t, "i2", event.InventoryUpdated{SKU: "CAT-1", Name: "Cat", Price: price, Available: 7, ItemVersion: 2}, t0)
	v1 := env(t, "i1", event.InventoryUpdated{SKU: "CAT-1", Name: "Cat", Price: price, Available: 9, ItemVersion: 1}, t0)
	for _, e := range []event.Envelope{v2, v1, v2} { // late and repeated deliveries
		if _, err := p.Apply(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	items, next, err := p.ListCatalog(ctx, 10, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].Available != 7 || items[0].Price != price || next != "" {
		t.Fatalf("catalog = %+v next %q", items, next)
	}
	if _, _, err := p.ListCatalog(ctx, 10, "bm90IGEgc2t1"); err == nil { // base64 of "not a sku"
		t.Fatal("a forged cursor was accepted")
	}
}

// The saga's stock moves carry each item's figures: the catalog view follows them by item version,
// whatever the order of delivery, and a late InventoryUpdated neither undoes newer stock nor loses the
// description.
func TestCatalogViewFollowsStockMoves(t *testing.T) {
	ctx := context.Background()
	price, _ := money.New(900, "USD")
	t0 := time.Now()
	avail := func(n int64) *int64 { return &n }
	ref := event.OrderRef{OrderID: "01JDQ7Z3M6X9V0YB2C4D5E6F7G", CustomerID: "cust-1", Status: "RESERVED", OrderVersion: 2}
	created := env(t, "i1", event.InventoryUpdated{SKU: "MOVE-1", Name: "Mover", Price: price, Available: 10, ItemVersion: 1}, t0)
	reserved := env(t, "r1", event.InventoryReserved{OrderRef: ref, Lines: []event.StockLine{{SKU: "MOVE-1", Quantity: 3, Available: avail(7), ItemVersion: 2}}}, t0)
	ref.Status, ref.OrderVersion = "CONFIRMED", 4
	committed := env(t, "c1", event.InventoryCommitted{OrderRef: ref, Lines: []event.StockLine{{SKU: "MOVE-1", Quantity: 3, Available: avail(7), ItemVersion: 3}}}, t0)
	ref.Status, ref.OrderVersion = "CANCELLED", 6
	returned := env(t, "x1", event.InventoryReturned{OrderRef: ref, Lines: []event.StockLine{{SKU: "MOVE-1", Quantity: 3, Available: avail(10), ItemVersion: 4}}}, t0)
	tests := []struct {
		name      string
		deliver   []event.Envelope
		available int64
	}{
		{"in order", []event.Envelope{created, reserved, committed}, 7},
		{"stock first, description late", []event.Envelope{reserved, created}, 7},
		{"returned, then everything again", []event.Envelope{returned, created, reserved, committed, returned}, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := projections(t)
			for _, e := range tt.deliver {
				if _, err := p.Apply(ctx, e); err != nil {
					t.Fatal(err)
				}
			}
			items, _, err := p.ListCatalog(ctx, 10, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(items) != 1 || items[0].Available != tt.available || items[0].Name != "Mover" || items[0].Price != price {
				t.Fatalf("catalog = %+v; want Mover with %d available", items, tt.available)
			}
		})
	}
}

// An order's life after confirmation reaches its view whatever the order of delivery and however many
// times each event comes: the shipment, the delivery and each return at the furthest step its events
// took it (a late request never takes a refunded return back to REQUESTED).
func TestOrderViewFollowsFulfilmentInAnyOrder(t *testing.T) {
	ctx := context.Background()
	price, _ := money.New(1250, "USD")
	two, _ := money.New(2500, "USD")
	t0 := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	ref := func(status string, v int64) event.OrderRef {
		return event.OrderRef{OrderID: "01JDQ7Z3M6X9V0YB2C4D5E6F7H", CustomerID: "cust-2", Status: status, OrderVersion: v}
	}
	lines := []event.Line{{SKU: "A", Name: "a", Quantity: 3, UnitPrice: price, LineTotal: price}}
	rl := []event.ReturnLine{{SKU: "A", Quantity: 2}}
	evs := []event.Envelope{
		env(t, "f1", event.OrderPlaced{OrderRef: ref("PENDING", 1), Lines: lines, Total: price, CreatedAt: t0}, t0),
		env(t, "f2", event.OrderConfirmed{OrderRef: ref("CONFIRMED", 4), Lines: lines, Total: price}, t0.Add(time.Second)),
		env(t, "f3", event.OrderShipped{OrderRef: ref("SHIPPED", 5), Carrier: "UPS", TrackingNumber: "1Z9", TrackingURL: "https://ups.example/1Z9",
			ShippedAt: t0.Add(time.Hour)}, t0.Add(time.Hour)),
		env(t, "f4", event.OrderDelivered{OrderRef: ref("DELIVERED", 6), DeliveredAt: t0.Add(48 * time.Hour)}, t0.Add(49*time.Hour)),
		env(t, "f5", event.OrderReturnRequested{OrderRef: ref("DELIVERED", 7), ReturnID: "R1", Lines: rl, Amount: two, ReturnReason: "small"}, t0.Add(50*time.Hour)),
		env(t, "f6", event.OrderReturnReceived{OrderRef: ref("DELIVERED", 9), ReturnID: "R1", Lines: rl, Amount: two}, t0.Add(51*time.Hour)),
		env(t, "f7", event.InventoryReturned{OrderRef: ref("DELIVERED", 9), Lines: []event.StockLine{{SKU: "A", Quantity: 2}}, ReturnID: "R1"}, t0.Add(51*time.Hour)),
		env(t, "f8", event.PaymentRefunded{OrderRef: ref("DELIVERED", 10), AuthorizationID: "pi", RefundID: "re_1", Amount: two, ReturnID: "R1"}, t0.Add(52*time.Hour)),
		env(t, "f9", event.OrderReturnRequested{OrderRef: ref("DELIVERED", 8), ReturnID: "R2", Lines: []event.ReturnLine{{SKU: "A", Quantity: 1}}, Amount: price},
			t0.Add(50*time.Hour)),
	}
	for _, order := range [][]int{{0, 1, 2, 3, 4, 8, 5, 6, 7}, {7, 6, 5, 8, 4, 3, 2, 1, 0}, {6, 0, 7, 2, 7, 3, 1, 4, 4, 8, 5, 6}} {
		p := projections(t)
		for _, j := range order {
			if _, err := p.Apply(ctx, evs[j]); err != nil {
				t.Fatal(err)
			}
		}
		items, _, err := p.ListOrders(ctx, query.OrderSelection{CustomerID: "cust-2", Limit: 10})
		if err != nil || len(items) != 1 {
			t.Fatalf("delivery %v: %v %v", order, items, err)
		}
		v := items[0]
		var hist []string
		for _, h := range v.History {
			hist = append(hist, h.Status)
		}
		if v.Status != "DELIVERED" || strings.Join(hist, ",") != "PENDING,CONFIRMED,SHIPPED,DELIVERED" {
			t.Fatalf("delivery %v: status %s history %v", order, v.Status, hist)
		}
		if v.Shipment == nil || *v.Shipment != (query.ShipmentSummary{Carrier: "UPS", TrackingNumber: "1Z9", TrackingURL: "https://ups.example/1Z9",
			ShippedAt: "2026-11-24T11:00:00Z"}) || v.DeliveredAt != "2026-11-26T10:00:00Z" {
			t.Fatalf("delivery %v: shipment %+v delivered %q", order, v.Shipment, v.DeliveredAt)
		}
		if len(v.Returns) != 2 {
			t.Fatalf("delivery %v: returns %+v", order, v.Returns)
		}
		r1, r2 := v.Returns[0], v.Returns[1]
		if r1.ReturnID != "R1" || r1.Status != "REFUNDED" || r1.Amount != two || len(r1.Lines) != 1 || r1.Lines[0] != (query.ReturnLine{SKU: "A", Quantity: 2}) ||
			r1.Reason != "small" || r1.RequestedAt != "2026-11-26T12:00:00Z" || r1.ReceivedAt != "2026-11-26T13:00:00Z" || r1.RefundedAt != "2026-11-26T14:00:00Z" {
			t.Fatalf("delivery %v: R1 %+v", order, r1)
		}
		if r2.ReturnID != "R2" || r2.Status != "REQUESTED" || r2.Amount != price || r2.ReceivedAt != "" {
			t.Fatalf("delivery %v: R2 %+v", order, r2)
		}
	}
}

// The order search by creation time: whole seconds, both ends included, on every index; a cursor from
// outside the span is refused as a bad cursor rather than sent to DynamoDB, which would refuse it
// with a ValidationException (a 500 to the client).
func TestListOrdersWithinACreationSpan(t *testing.T) {
	ctx := context.Background()
	p := projections(t)
	price, _ := money.New(100, "USD")
	now := time.Now().UTC().Truncate(time.Second)
	created := []time.Time{now.Add(-2 * time.Hour), now.Add(-time.Hour), now.Add(-time.Hour + 500*time.Millisecond), now.Add(-time.Minute)}
	ids := []string{"01JDQ7Z3M6X9V0YB2C4D5E6F70", "01JDQ7Z3M6X9V0YB2C4D5E6F71", "01JDQ7Z3M6X9V0YB2C4D5E6F72", "01JDQ7Z3M6X9V0YB2C4D5E6F73"}
	for i, at := range created {
		ref := event.OrderRef{OrderID: ids[i], CustomerID: "cust-span", Status: "PENDING", OrderVersion: 1}
		if _, err := p.Apply(ctx, env(t, "s"+ids[i], event.OrderPlaced{OrderRef: ref, Total: price, CreatedAt: at,
			Lines: []event.Line{{SKU: "A", Name: "a", Quantity: 1, UnitPrice: price, LineTotal: price}}}, at)); err != nil {
			t.Fatal(err)
		}
	}
	hour := now.Add(-time.Hour)
	tests := []struct {
		name     string
		sel      query.OrderSelection
		want     []int // indexes into ids, newest first
		pageSize int32
	}{
		{"the second both ends name, fraction included", query.OrderSelection{CustomerID: "cust-span", CreatedFrom: hour, CreatedTo: hour}, []int{2, 1}, 10},
		{"from alone", query.OrderSelection{CustomerID: "cust-span", CreatedFrom: hour}, []int{3, 2, 1}, 10},
		{"to alone", query.OrderSelection{CustomerID: "cust-span", CreatedTo: hour.Add(-time.Second)}, []int{0}, 10},
		{"by status", query.OrderSelection{Status: "PENDING", CreatedFrom: now.Add(-90 * time.Minute), CreatedTo: now}, []int{3, 2, 1}, 10},
		{"everyone's, by day", query.OrderSelection{CreatedFrom: now.Add(-3 * time.Hour), CreatedTo: hour}, []int{2, 1, 0}, 10},
		{"paged", query.OrderSelection{CustomerID: "cust-span", CreatedFrom: now.Add(-3 * time.Hour), CreatedTo: now.Add(-time.Minute)}, []int{3, 2, 1, 0}, 1},
		{"nothing in the span", query.OrderSelection{CustomerID: "cust-span", CreatedFrom: now.Add(time.Minute), CreatedTo: now.Add(time.Hour)}, nil, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			sel := tt.sel
			sel.Limit = tt.pageSize
			for range 10 {
				items, next, err := p.ListOrders(ctx, sel)
				if err != nil {
					t.Fatal(err)
				}
				for _, it := range items {
					if strings.HasPrefix(it.OrderID, "01JDQ7Z3M6X9V0YB2C4D5E6F7") && it.CustomerID == "cust-span" {
						got = append(got, it.OrderID)
					}
				}
				if next == "" {
					break
				}
				sel.Cursor = next
			}
			var want []string
			for _, i := range tt.want {
				want = append(want, ids[i])
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("got %v; want %v", got, want)
			}
		})
	}
	// A cursor of the whole listing, then a span that excludes where it points.
	_, next, err := p.ListOrders(ctx, query.OrderSelection{CustomerID: "cust-span", Limit: 1})
	if err != nil || next == "" {
		t.Fatalf("first page: %q %v", next, err)
	}
	_, _, err = p.ListOrders(ctx, query.OrderSelection{CustomerID: "cust-span", Limit: 1, Cursor: next, CreatedTo: now.Add(-3 * time.Hour)})
	if !errors.Is(err, query.ErrBadCursor) {
		t.Fatalf("a cursor outside the span: %v; want ErrBadCursor", err)
	}
}

// Events that change neither the status nor a fact the views show cost no write: the captured payment
// and the stock's commit (whose available figure is the reservation's) leave the order's view and the
// catalog's as the status changes left them, in any delivery order.
func TestProjectionWritesOnlyWhatChangesAView(t *testing.T) {
	ctx := context.Background()
	price, _ := money.New(500, "USD")
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	avail := func(n int64) *int64 { return &n }
	ref := func(status string, v int64) event.OrderRef {
		return event.OrderRef{OrderID: "01JDQ7Z3M6X9V0YB2C4D5E6F7H", CustomerID: "cust-w", Status: status, OrderVersion: v}
	}
	lines := []event.Line{{SKU: "W-1", Name: "w", Quantity: 1, UnitPrice: price, LineTotal: price}}
	placed := env(t, "w1", event.OrderPlaced{OrderRef: ref("PENDING", 1), Lines: lines, Total: price, CreatedAt: t0}, t0)
	reserved := env(t, "w2", event.InventoryReserved{OrderRef: ref("RESERVED", 2),
		Lines: []event.StockLine{{SKU: "W-1", Quantity: 1, Available: avail(4), ItemVersion: 2}}}, t0.Add(time.Second))
	captured := env(t, "w3", event.PaymentCaptured{OrderRef: ref("PAYMENT_AUTHORIZED", 4), CaptureID: "cap", Amount: price}, t0.Add(3*time.Second))
	committed := env(t, "w4", event.InventoryCommitted{OrderRef: ref("CONFIRMED", 5),
		Lines: []event.StockLine{{SKU: "W-1", Quantity: 1, Available: avail(4), ItemVersion: 3}}}, t0.Add(4*time.Second))
	tests := []struct {
		name    string
		deliver []event.Envelope
		writes  int
	}{
		{"in order", []event.Envelope{placed, reserved, captured, committed}, 3},
		{"the silent ones first", []event.Envelope{committed, captured, placed, reserved}, 3},
		// A late OrderPlaced finds a newer status and writes its facts alone: a second write.
		{"placed last", []event.Envelope{reserved, committed, placed, captured}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var writes int
			counted := dynamodb.NewFromConfig(awstest.Config(t), func(o *dynamodb.Options) {
				o.APIOptions = append(o.APIOptions, func(s *smithymiddleware.Stack) error {
					return s.Initialize.Add(smithymiddleware.InitializeMiddlewareFunc("count", func(ctx context.Context, in smithymiddleware.InitializeInput,
						next smithymiddleware.InitializeHandler) (smithymiddleware.InitializeOutput, smithymiddleware.Metadata, error) {
						if op := smithymiddleware.GetOperationName(ctx); op == "UpdateItem" || op == "PutItem" {
							writes++
						}
						return next.HandleInitialize(ctx, in)
					}), smithymiddleware.Before)
				})
			})
			p := dynamo.NewProjections(counted, dynamotest.Table(t, "ProjectionsTable"))
			for _, e := range tt.deliver {
				if _, err := p.Apply(ctx, e); err != nil {
					t.Fatal(err)
				}
			}
			// OrderPlaced and InventoryReserved write the order's view once each, and the reservation the
			// catalog's stock; the capture and the commit write nothing.
			if writes != tt.writes {
				t.Errorf("%d writes; want %d", writes, tt.writes)
			}
			items, _, err := p.ListOrders(ctx, query.OrderSelection{CustomerID: "cust-w", Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			if len(items) != 1 || items[0].Status != "RESERVED" || items[0].UpdatedAt != t0.Add(time.Second).Format(time.RFC3339Nano) {
				t.Fatalf("views = %+v; want one RESERVED, updated when reserved", items)
			}
		})
	}
}
