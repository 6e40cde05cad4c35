package dynamo_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	smithymiddleware "github.com/aws/smithy-go/middleware"

	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/adapter/dynamo/dynamotest"
	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/order"
	"github.com/orion-oss/orion/internal/query"
)

// calls is a DynamoDB client over the emulator that counts its calls by operation and lets a test act
// just before a call is sent (before) or change what a call answered (after).
type calls struct {
	mu     sync.Mutex
	n      map[string]int
	before func(op string)
	after  func(op string, out any)
}

func (c *calls) client(t *testing.T) *dynamodb.Client {
	c.n = map[string]int{}
	return dynamodb.NewFromConfig(awstest.Config(t), func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(s *smithymiddleware.Stack) error {
			return s.Initialize.Add(smithymiddleware.InitializeMiddlewareFunc("count", func(ctx context.Context, in smithymiddleware.InitializeInput,
				next smithymiddleware.InitializeHandler) (smithymiddleware.InitializeOutput, smithymiddleware.Metadata, error) {
				op := smithymiddleware.GetOperationName(ctx)
				c.mu.Lock()
				c.n[op]++
				before := c.before
				c.mu.Unlock()
				if before != nil {
					before(op)
				}
				out, md, err := next.HandleInitialize(ctx, in)
				c.mu.Lock()
				after := c.after
				c.mu.Unlock()
				if err == nil && after != nil {
					after(op, out.Result)
				}
				return out, md, err
			}), smithymiddleware.Before)
		})
	})
}

func (c *calls) count(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[op]
}

func (c *calls) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n = map[string]int{}
}

// placed is one order of a listing test: its view is written by the projector from its events.
type placed struct {
	id, customer, status string
	at                   time.Time
}

func project(t *testing.T, p *dynamo.Projections, orders []placed) {
	t.Helper()
	ctx := context.Background()
	price, _ := money.New(100, "USD")
	lines := []event.Line{{SKU: "L-1", Name: "l", Quantity: 1, UnitPrice: price, LineTotal: price}}
	for _, o := range orders {
		ref := event.OrderRef{OrderID: o.id, CustomerID: o.customer, Status: "PENDING", OrderVersion: 1}
		if _, err := p.Apply(ctx, env(t, "p"+o.id, event.OrderPlaced{OrderRef: ref, Lines: lines, Total: price, CreatedAt: o.at}, o.at)); err != nil {
			t.Fatal(err)
		}
		if o.status == "CONFIRMED" {
			ref.Status, ref.OrderVersion = "CONFIRMED", 4
			if _, err := p.Apply(ctx, env(t, "c"+o.id, event.OrderConfirmed{OrderRef: ref, Lines: lines, Total: price}, o.at.Add(time.Second))); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// orderID is the i-th order id of a test, a ULID-shaped string.
func orderID(prefix string, i int) string {
	return fmt.Sprintf("01JDQ7Z3M6X9V0YB2C4D%s%04d", prefix, i)
}

// walk lists every page of sel and returns the order ids in listing order, the pages' sizes and
// whether each page had a next cursor.
type pageSeen struct {
	size int
	more bool
}

func walk(t *testing.T, p *dynamo.Projections, sel query.OrderSelection, each func(page int)) ([]string, []pageSeen) {
	t.Helper()
	var ids []string
	var pages []pageSeen
	for page := 0; ; page++ {
		if page == 200 {
			t.Fatalf("no end after %d pages", page)
		}
		items, next, err := p.ListOrders(context.Background(), sel)
		if err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		if int32(len(items)) > sel.Limit {
			t.Fatalf("page %d: %d items; limit %d", page, len(items), sel.Limit)
		}
		for _, it := range items {
			ids = append(ids, it.OrderID)
		}
		pages = append(pages, pageSeen{len(items), next != ""})
		if each != nil {
			each(page)
		}
		if next == "" {
			return ids, pages
		}
		sel.Cursor = next
	}
}

// Every listing over the keys-only indexes lists exactly the orders it names, newest first, page after
// page: a customer's, a customer's of one status (read from the customer's keys and filtered on the
// views), everyone's of one status, everyone's by day. Unfiltered pages cost one Query and one
// BatchGetItem. A filtered listing whose page budget runs out before the page is full answers a short
// (even empty) page with a cursor, and the pages together still miss and repeat nothing.
func TestListOrdersOverKeysOnlyIndexes(t *testing.T) {
	table := dynamotest.Table(t, "ProjectionsTable")
	var c calls
	db := c.client(t)
	now := time.Now().UTC().Truncate(time.Second)
	var orders []placed
	for i := range 30 {
		o := placed{id: orderID("A", i), customer: "cust-a", status: "PENDING", at: now.Add(-time.Duration(60-i) * time.Minute)}
		if i%4 == 1 {
			o.status = "CONFIRMED"
		}
		orders = append(orders, o)
		if i%10 == 5 { // another customer's orders between cust-a's
			orders = append(orders, placed{id: orderID("B", i), customer: "cust-b", status: "CONFIRMED", at: o.at.Add(time.Second)})
		}
	}
	// And a customer whose only CONFIRMED orders are their two oldest, under 25 PENDING ones.
	for i := range 27 {
		o := placed{id: orderID("R", i), customer: "cust-rare", status: "PENDING", at: now.Add(-time.Duration(120-i) * time.Minute)}
		if i < 2 {
			o.status = "CONFIRMED"
		}
		orders = append(orders, o)
	}
	project(t, dynamo.NewProjections(dynamodb.NewFromConfig(awstest.Config(t)), table), orders)
	want := func(keep func(placed) bool) []string {
		var sel []placed
		for _, o := range orders {
			if keep(o) {
				sel = append(sel, o)
			}
		}
		slices.SortFunc(sel, func(a, b placed) int { return b.at.Compare(a.at) })
		var ids []string
		for _, o := range sel {
			ids = append(ids, o.id)
		}
		return ids
	}
	tests := []struct {
		name       string
		sel        query.OrderSelection
		budget     int // keys a page may read; 0: the default
		want       []string
		unfiltered bool // one Query and at most one BatchGetItem per page
		short      bool // some page short of the limit has a next cursor
	}{
		{name: "a customer's", sel: query.OrderSelection{CustomerID: "cust-a", Limit: 7},
			want: want(func(o placed) bool { return o.customer == "cust-a" }), unfiltered: true},
		{name: "a customer's confirmed", sel: query.OrderSelection{CustomerID: "cust-a", Status: order.Confirmed, Limit: 3},
			want: want(func(o placed) bool { return o.customer == "cust-a" && o.status == "CONFIRMED" })},
		{name: "a customer's pending", sel: query.OrderSelection{CustomerID: "cust-a", Status: order.Pending, Limit: 10},
			want: want(func(o placed) bool { return o.customer == "cust-a" && o.status == "PENDING" })},
		{name: "everyone's confirmed", sel: query.OrderSelection{Status: order.Confirmed, Limit: 4},
			want: want(func(o placed) bool { return o.status == "CONFIRMED" }), unfiltered: true},
		{name: "everyone's, by day", sel: query.OrderSelection{CreatedFrom: now.Add(-3 * time.Hour), Limit: 9},
			want: want(func(placed) bool { return true })},
		{name: "everyone's, by day, under a budget smaller than the page", sel: query.OrderSelection{CreatedFrom: now.Add(-3 * time.Hour), Limit: 9},
			budget: 4, want: want(func(placed) bool { return true }), short: true},
		{name: "a rare status under a small budget", sel: query.OrderSelection{CustomerID: "cust-rare", Status: order.Confirmed, Limit: 2},
			budget: 10, want: want(func(o placed) bool { return o.customer == "cust-rare" && o.status == "CONFIRMED" }), short: true},
		{name: "a customer's under a budget smaller than the page", sel: query.OrderSelection{CustomerID: "cust-a", Limit: 8},
			budget: 5, want: want(func(o placed) bool { return o.customer == "cust-a" }), short: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := dynamo.NewProjections(db, table).WithPageKeyBudget(tt.budget)
			c.reset()
			got, pages := walk(t, p, tt.sel, func(page int) {
				if tt.unfiltered && (c.count("Query") != 1 || c.count("BatchGetItem") > 1) {
					t.Errorf("page %d: %d queries, %d BatchGetItem; want 1 and at most 1", page, c.count("Query"), c.count("BatchGetItem"))
				}
				c.reset()
			})
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("listed %d: %v\nwant %d: %v", len(got), got, len(tt.want), tt.want)
			}
			short := slices.ContainsFunc(pages, func(p pageSeen) bool { return p.more && int32(p.size) < tt.sel.Limit })
			if short != tt.short {
				t.Fatalf("pages %+v: a short page with a cursor = %v; want %v", pages, short, tt.short)
			}
		})
	}
}

// A cursor the ByCustomerStatus index issued before ADR 0022 (its key holds customerStatus, not
// customerId) continues its listing from the same order over ByCustomerKeys.
func TestListOrdersContinuesACursorOfTheOldIndex(t *testing.T) {
	table := dynamotest.Table(t, "ProjectionsTable")
	p := dynamo.NewProjections(dynamodb.NewFromConfig(awstest.Config(t)), table)
	now := time.Now().UTC().Truncate(time.Second)
	var orders []placed
	for i := range 5 {
		orders = append(orders, placed{id: orderID("O", i), customer: "cust-o", status: "CONFIRMED", at: now.Add(-time.Duration(10-i) * time.Minute)})
	}
	project(t, p, orders)
	sel := query.OrderSelection{CustomerID: "cust-o", Status: order.Confirmed, Limit: 2}
	_, next, err := p.ListOrders(context.Background(), sel)
	if err != nil || next == "" {
		t.Fatalf("first page: %q %v", next, err)
	}
	b, _ := base64.RawURLEncoding.DecodeString(next)
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	key := c["k"].(map[string]any)
	delete(key, "customerId")
	key["customerStatus"] = "cust-o#CONFIRMED"
	old, _ := json.Marshal(c)
	for _, cur := range []string{next, base64.RawURLEncoding.EncodeToString(old)} {
		sel.Cursor = cur
		items, _, err := p.ListOrders(context.Background(), sel)
		if err != nil || len(items) != 2 || items[0].OrderID != orderID("O", 2) || items[1].OrderID != orderID("O", 1) {
			t.Fatalf("second page from %s: %+v %v", b, items, err)
		}
	}
}

// A view read after its index entry may have moved on or gone (GSIs are eventually consistent, and a
// write may land between the Query and the BatchGetItem): a gone view is skipped, a view no longer of
// the listed status is dropped, and the page is filled from the next keys, in order.
func TestListOrdersChecksTheViewsAgainstTheIndex(t *testing.T) {
	ctx := context.Background()
	table := dynamotest.Table(t, "ProjectionsTable")
	plain := dynamodb.NewFromConfig(awstest.Config(t))
	writer := dynamo.NewProjections(plain, table)
	now := time.Now().UTC().Truncate(time.Second)
	var orders []placed
	for i := range 6 {
		orders = append(orders, placed{id: orderID("C", i), customer: "cust-c", status: "CONFIRMED", at: now.Add(-time.Duration(10-i) * time.Minute)})
	}
	project(t, writer, orders)
	// Newest first: C0005 .. C0000. Between the index query and the view read, C0004 is cancelled and
	// C0003's view is deleted.
	moved, gone := orderID("C", 4), orderID("C", 3)
	var c calls
	db := c.client(t)
	race := func() {
		var once sync.Once
		c.before = func(op string) {
			if op != "BatchGetItem" {
				return
			}
			once.Do(func() {
				ref := event.OrderRef{OrderID: moved, CustomerID: "cust-c", Status: "CANCELLED", OrderVersion: 6}
				price, _ := money.New(100, "USD")
				if _, err := writer.Apply(ctx, env(t, "x"+moved, event.OrderCancelled{OrderRef: ref, RequestedBy: "CUSTOMER", Total: price}, now)); err != nil {
					t.Error(err)
				}
				if _, err := plain.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{
					"pk": &types.AttributeValueMemberS{Value: "ORDER#" + gone}, "sk": &types.AttributeValueMemberS{Value: "VIEW"}}}); err != nil {
					t.Error(err)
				}
			})
		}
	}
	tests := []struct {
		name  string
		sel   query.OrderSelection
		pages [][]int // order numbers per page
	}{
		{"everyone's confirmed", query.OrderSelection{Status: order.Confirmed, Limit: 3}, [][]int{{5, 2, 1}, {0}}},
		{"a customer's confirmed", query.OrderSelection{CustomerID: "cust-c", Status: order.Confirmed, Limit: 3}, [][]int{{5, 2, 1}, {0}}},
		{"a customer's, any status", query.OrderSelection{CustomerID: "cust-c", Limit: 3}, [][]int{{5, 4, 2}, {1, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Put the two views back as they were, then let the race happen on this listing's first read.
			project(t, writer, orders[3:5])
			if _, err := plain.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{
				"pk": &types.AttributeValueMemberS{Value: "ORDER#" + moved}, "sk": &types.AttributeValueMemberS{Value: "VIEW"}}}); err != nil {
				t.Fatal(err)
			}
			project(t, writer, orders[4:5])
			race()
			p := dynamo.NewProjections(db, table)
			var got [][]int
			sel := tt.sel
			for {
				items, next, err := p.ListOrders(ctx, sel)
				if err != nil {
					t.Fatal(err)
				}
				var page []int
				for _, it := range items {
					var n int
					fmt.Sscanf(it.OrderID[len(it.OrderID)-4:], "%d", &n)
					page = append(page, n)
					if it.OrderID == moved && it.Status != "CANCELLED" {
						t.Errorf("%s listed as %s; want its view's status, CANCELLED", moved, it.Status)
					}
				}
				got = append(got, page)
				if next == "" {
					break
				}
				sel.Cursor = next
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.pages) {
				t.Fatalf("pages %v; want %v", got, tt.pages)
			}
		})
	}
}

// A BatchGetItem may leave keys unprocessed (throttling): the page asks again for them and keeps its
// order. The emulator never throttles, so the test takes three items of its first answer back.
func TestListOrdersAsksAgainForUnprocessedKeys(t *testing.T) {
	table := dynamotest.Table(t, "ProjectionsTable")
	now := time.Now().UTC().Truncate(time.Second)
	var orders []placed
	for i := range 5 {
		orders = append(orders, placed{id: orderID("U", i), customer: "cust-u", status: "PENDING", at: now.Add(-time.Duration(10-i) * time.Minute)})
	}
	project(t, dynamo.NewProjections(dynamodb.NewFromConfig(awstest.Config(t)), table), orders)
	var c calls
	db := c.client(t)
	var once sync.Once
	c.after = func(_ string, out any) {
		b, ok := out.(*dynamodb.BatchGetItemOutput)
		if !ok {
			return
		}
		once.Do(func() { // the first answer: three of its items as if throttled
			got := b.Responses[table]
			var keys []map[string]types.AttributeValue
			for _, it := range got[2:] {
				keys = append(keys, map[string]types.AttributeValue{"pk": it["pk"], "sk": it["sk"]})
			}
			b.Responses[table] = got[:2]
			b.UnprocessedKeys = map[string]types.KeysAndAttributes{table: {Keys: keys}}
		})
	}
	items, next, err := dynamo.NewProjections(db, table).ListOrders(context.Background(), query.OrderSelection{CustomerID: customer.ID("cust-u"), Limit: 6})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		got = append(got, it.OrderID)
	}
	want := []string{orderID("U", 4), orderID("U", 3), orderID("U", 2), orderID("U", 1), orderID("U", 0)}
	if strings.Join(got, ",") != strings.Join(want, ",") || next != "" || c.count("BatchGetItem") != 2 {
		t.Fatalf("listed %v next %q in %d BatchGetItem; want %v, no cursor, 2 calls", got, next, c.count("BatchGetItem"), want)
	}
}
