package dynamo_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/inventory"
	"github.com/orion-oss/orion/internal/order"
)

// A reservation writes each line's item, the order's reservations record, the order and its events
// (InventoryReserved and an InventoryLow per line that crosses its threshold) in one transaction of at
// most 100 items. Within that, each event is an outbox item of its own, exactly as ever; past it, batch
// items of at most 10 envelopes (what a Pipe puts on a bus at once) hold them in order, and the relay
// still makes each one an event of its own.
func TestAReservationWithMoreEventsThanATransactionHoldsBatchesThem(t *testing.T) {
	for _, tc := range []struct {
		name            string
		lines, crossing int
		batches         int // 0: one item per event
	}{
		{"a one-line order", 1, 1, 0},
		{"50 lines, 47 crossing: exactly 100 items", order.MaxLines, 47, 0},
		{"50 lines, 48 crossing: 101 items one per event, 49 events in 5 batches", order.MaxLines, 48, 5},
		{"50 lines, all crossing: 51 events in 6 batches", order.MaxLines, order.MaxLines, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stock := map[string]inventory.Quantity{}
			var lines []order.Line
			var low []string // the SKUs that cross their threshold, in line order
			for i := range tc.lines {
				sku := fmt.Sprintf("LOW-%02d", i)
				// widget's threshold is 3: one unit of 3 leaves 2, below it; one of 100 leaves 99.
				stock[sku] = 100
				if i < tc.crossing {
					stock[sku] = 3
					low = append(low, sku)
				}
				lines = append(lines, line(t, sku, 1))
			}
			f := newSagaFixture(t, stock)
			id := placeOrder(t, f.orders, lines...)
			before := map[string]bool{}
			for _, it := range outboxItems(t, f.db, f.tables.Outbox) {
				before[it["eventId"].(*ddbtypes.AttributeValueMemberS).Value] = true
			}

			if o := f.step("reserve", stockStep(f.saga, order.ReserveStock), id); o.Status() != order.Reserved {
				t.Fatalf("reserve: %s %s", o.Status(), o.Reason())
			}
			for sku, n := range stock {
				if av, rs, _ := f.counters(sku); av != n.Int64()-1 || rs != 1 {
					t.Fatalf("%s: %d available, %d reserved", sku, av, rs)
				}
			}

			var written []map[string]ddbtypes.AttributeValue
			for _, it := range outboxItems(t, f.db, f.tables.Outbox) {
				if !before[it["eventId"].(*ddbtypes.AttributeValueMemberS).Value] {
					written = append(written, it)
				}
			}
			var envs []event.Envelope
			if tc.batches > 0 {
				if len(written) != tc.batches {
					t.Fatalf("%d outbox items; want %d batches", len(written), tc.batches)
				}
				// The batch items' keys sort in the order of their events.
				slices.SortFunc(written, func(a, b map[string]ddbtypes.AttributeValue) int {
					return strings.Compare(a["eventId"].(*ddbtypes.AttributeValueMemberS).Value, b["eventId"].(*ddbtypes.AttributeValueMemberS).Value)
				})
				for i, it := range written {
					batch := relayed(t, it)
					// Full batches but the last, so that no more items than needed count against the transaction.
					if want := min(10, 1+len(low)-10*i); len(batch) != want {
						t.Fatalf("batch %d holds %d envelopes; want %d", i, len(batch), want)
					}
					checkBatch(t, it, batch)
					envs = append(envs, batch...)
				}
			} else {
				envs = relayed(t, written...)
				if len(written) != 1+len(low) {
					t.Fatalf("%d outbox items; want one per event, %d", len(written), 1+len(low))
				}
				for _, it := range written {
					checkSingle(t, it)
				}
				// Scanned, single items come in no particular order: sort them as they were committed.
				slices.SortFunc(envs, func(a, b event.Envelope) int { return eventRank(a, low) - eventRank(b, low) })
			}

			// InventoryReserved of the order, then an InventoryLow per crossing line, in line order.
			var got []string
			ids := map[string]bool{}
			for _, env := range envs {
				p, err := env.Payload()
				if err != nil {
					t.Fatal(err)
				}
				switch e := p.(type) {
				case *event.InventoryReserved:
					if e.OrderID != string(id) || len(e.Lines) != tc.lines {
						t.Fatalf("InventoryReserved of %s with %d lines", e.OrderID, len(e.Lines))
					}
					got = append(got, env.Type)
				case *event.InventoryLow:
					got = append(got, env.Type+" "+e.SKU)
				default:
					t.Fatalf("unexpected %s", env.Type)
				}
				if env.CorrelationID != "c" || ids[env.ID] {
					t.Fatalf("envelope %s: correlation %q, id seen before %v", env.ID, env.CorrelationID, ids[env.ID])
				}
				ids[env.ID] = true
			}
			want := []string{event.TypeInventoryReserved}
			for _, sku := range low {
				want = append(want, event.TypeInventoryLow+" "+sku)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("relayed %d events %v; want %d %v", len(got), got, len(want), want)
			}
		})
	}
}

// checkSingle checks an outbox item of one event: the item it has always been.
func checkSingle(t *testing.T, it map[string]ddbtypes.AttributeValue) {
	t.Helper()
	env := relayed(t, it)[0]
	want := []string{"envelope", "eventId", "expiresAt", "source", "type"}
	if env.OrderID() != "" {
		// The key of the outbox's ByOrder index (an admin's story of the order).
		want = []string{"envelope", "eventId", "expiresAt", "orderId", "source", "type"}
		if o, ok := it["orderId"].(*ddbtypes.AttributeValueMemberS); !ok || o.Value != env.OrderID() {
			t.Fatalf("the item of an event about order %s has orderId %v", env.OrderID(), it["orderId"])
		}
	}
	if names := slices.Sorted(maps.Keys(it)); !slices.Equal(names, want) {
		t.Fatalf("a single outbox item has %v; want %v", names, want)
	}
	if it["eventId"].(*ddbtypes.AttributeValueMemberS).Value != env.ID || it["type"].(*ddbtypes.AttributeValueMemberS).Value != env.Type ||
		it["source"].(*ddbtypes.AttributeValueMemberS).Value != env.Source {
		t.Fatalf("item %v does not match its envelope %+v", it, env)
	}
}

// checkBatch checks an outbox batch item: a key of its own, the marker, the TTL and its envelopes.
func checkBatch(t *testing.T, it map[string]ddbtypes.AttributeValue, envs []event.Envelope) {
	t.Helper()
	names := slices.Sorted(maps.Keys(it))
	if o, ok := it["orderId"].(*ddbtypes.AttributeValueMemberS); ok {
		// Only a batch whose events are all about that one order is in the ByOrder index.
		for _, env := range relayed(t, it) {
			if env.OrderID() != o.Value {
				t.Fatalf("a batch keyed to order %s holds %s about order %q", o.Value, env.Type, env.OrderID())
			}
		}
		names = slices.DeleteFunc(names, func(n string) bool { return n == "orderId" })
	}
	if !slices.Equal(names, []string{"envelopes", "eventId", "expiresAt", "kind"}) {
		t.Fatalf("a batch outbox item has %v", names)
	}
	// The outbox Pipes filter on it: a scalar, which event patterns match without array semantics.
	if k, ok := it["kind"].(*ddbtypes.AttributeValueMemberS); !ok || k.Value != "batch" {
		t.Fatalf("a batch outbox item's kind is %v", it["kind"])
	}
	key := it["eventId"].(*ddbtypes.AttributeValueMemberS).Value
	for _, env := range envs {
		if env.ID == key {
			t.Fatalf("the batch item's key %s is the id of an event in it", key)
		}
	}
	if _, ok := it["expiresAt"].(*ddbtypes.AttributeValueMemberN); !ok {
		t.Fatalf("expiresAt %v", it["expiresAt"])
	}
}

// eventRank is the place of an event in its transaction: InventoryReserved, then the crossings in
// line order.
func eventRank(env event.Envelope, low []string) int {
	p, _ := env.Payload()
	if e, ok := p.(*event.InventoryLow); ok {
		return 1 + slices.Index(low, e.SKU)
	}
	return 0
}

// The transaction budget counts the batch items: one item per event while the transaction holds them,
// then ceil(events/10), and an error rather than DynamoDB's refusal when even those do not fit.
func TestOutboxBudgetCountsTheBatchItems(t *testing.T) {
	for _, tc := range []struct {
		others, events int
		want           int // outbox items; -1 for an error
		batched        bool
	}{
		{3, 1, 1, false},
		{52, 48, 48, false},
		{52, 49, 5, true},
		{53, 51, 6, true},
		{90, 11, 2, true},
		{94, 51, 6, true},
		{95, 51, -1, true},
		{99, 2, 1, true},
		{100, 1, -1, true},
	} {
		t.Run(fmt.Sprintf("%d items and %d events", tc.others, tc.events), func(t *testing.T) {
			payloads := make([]event.Payload, tc.events)
			for i := range payloads {
				payloads[i] = event.InventoryLow{SKU: fmt.Sprintf("S-%02d", i), Name: "s", Available: 1, Threshold: 3, ItemVersion: 2}
			}
			writes, envs, err := dynamo.OutboxPuts("outbox", tc.others, payloads, event.Cause{CorrelationID: "c"}, time.Now())
			if tc.want < 0 {
				if err == nil || !strings.Contains(err.Error(), "at most 100 items") {
					t.Fatalf("%d writes, error %v; want the transaction refused", len(writes), err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(writes) != tc.want || len(envs) != tc.events || tc.others+len(writes) > 100 {
				t.Fatalf("%d writes for %d envelopes; want %d", len(writes), len(envs), tc.want)
			}
			var got []string
			for _, w := range writes {
				item := w.Put.Item
				if _, ok := item["kind"]; ok != tc.batched {
					t.Fatalf("item %v: batched %v; want %v", item, ok, tc.batched)
				}
				if l, ok := item["envelopes"].(*ddbtypes.AttributeValueMemberL); ok {
					if len(l.Value) > 10 {
						t.Fatalf("a batch of %d envelopes; a Pipe puts at most 10 on a bus", len(l.Value))
					}
					for _, e := range l.Value {
						got = append(got, e.(*ddbtypes.AttributeValueMemberS).Value)
					}
				} else {
					got = append(got, item["envelope"].(*ddbtypes.AttributeValueMemberS).Value)
				}
			}
			// Every envelope once, in the order of the payloads.
			for i, env := range envs {
				if !strings.Contains(got[i], `"id":"`+env.ID+`"`) {
					t.Fatalf("envelope %d is %s; want %s", i, got[i], env.ID)
				}
			}
		})
	}
}
