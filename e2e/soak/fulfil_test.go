package soak

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// An order's life after confirmation (issue 21): some confirmed orders are shipped, delivered,
// returned in part and the return received, which refund-return then refunds. The soak drives these
// while it is still placing orders, so the run takes no longer than without them: a fulfiller takes
// each planned order as soon as it is CONFIRMED.
//
// The fulfiller reads the orders' status from the emulator directly (one BatchGetItem per 100 orders
// every 2 s) and moves them through the HTTP API like the customers' own requests, so its functions
// and those that react to its events (refund-return, notify-order-status, send-email, project-orders)
// run under the soak's faults like every other.

// fulfilment is how far an order is taken after confirmation.
type fulfilment int

const (
	fulfilNone fulfilment = iota
	fulfilShip
	fulfilDeliver
	fulfilAskReturn // a return requested, never received: its units stay sold, nothing is refunded
	fulfilReceive   // the return received: units back on sale, the return's amount refunded
)

// planFulfilment picks the orders to take past confirmation, with a generator of its own so that the
// orders, tokens and cancellations of a seed stay what they were before fulfilment existed. About
// one order in nine: ~22 of 200, a third of them returned and received.
func (r *run) planFulfilment() {
	rng := rand.New(rand.NewPCG(uint64(r.cfg.seed), 21))
	for _, o := range r.orders {
		if o.cancel || o.token != "tok_visa" || rng.IntN(6) != 0 {
			continue
		}
		o.fulfil = []fulfilment{fulfilShip, fulfilDeliver, fulfilAskReturn, fulfilReceive, fulfilReceive}[rng.IntN(5)]
		// The return: one unit of one line, or the whole line.
		o.returnAll = rng.IntN(2) == 0
	}
}

// fulfiller takes the planned orders through their plan as they are confirmed. Every order it is done
// with (taken as far as planned, or not confirmed so not taken at all) is marked done; settle waits
// for that.
type fulfiller struct {
	r       *run
	db      *dynamodb.Client
	table   string
	queue   chan *order
	wg      sync.WaitGroup
	shipped atomic.Int64
	// returned counts the units asked back and received.
	asked, received atomic.Int64
}

func (r *run) startFulfiller(ctx context.Context) *fulfiller {
	db, _ := r.clients(ctx)
	out := func(k string) string { return fmt.Sprint(r.st.Outputs[k]) }
	f := &fulfiller{r: r, db: db, table: out("OrdersTableName"), queue: make(chan *order, len(r.orders))}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		f.loop(ctx)
	}()
	return f
}

// offer hands a placed order to the fulfiller (placeOne, once it has an id).
func (f *fulfiller) offer(o *order) {
	if o.fulfil != fulfilNone {
		f.queue <- o
	}
}

// close says no more orders come; wait returns when every offered order is done.
func (f *fulfiller) close() { close(f.queue) }
func (f *fulfiller) wait()  { f.wg.Wait() }

// loop polls the waiting orders' status every 2 s, one BatchGetItem per 100 (moto's CPU is the run's
// limit: a GetItem per order and second would cost more than the orders themselves).
func (f *fulfiller) loop(ctx context.Context) {
	var waiting []*order
	open := true
	for open || len(waiting) > 0 {
		timer := time.NewTimer(2 * time.Second)
	collect:
		for open {
			select {
			case o, ok := <-f.queue:
				if !ok {
					open = false
					break collect
				}
				waiting = append(waiting, o)
			case <-timer.C:
				break collect
			case <-ctx.Done():
				return
			}
		}
		timer.Stop()
		if !open && len(waiting) > 0 {
			select {
			case <-time.After(2 * time.Second):
			case <-ctx.Done():
				return
			}
		}
		waiting = f.advance(ctx, waiting)
	}
}

// advance fulfils the waiting orders that are confirmed, drops those that ended otherwise, and
// returns those still on their way to confirmation.
func (f *fulfiller) advance(ctx context.Context, waiting []*order) []*order {
	var still []*order
	for len(waiting) > 0 {
		batch := waiting[:min(100, len(waiting))]
		waiting = waiting[len(batch):]
		keys := make([]map[string]types.AttributeValue, len(batch))
		for i, o := range batch {
			keys[i] = map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "ORDER#" + o.id}, "sk": &types.AttributeValueMemberS{Value: "ORDER"}}
		}
		got := map[string]orderRecord{}
		req := map[string]types.KeysAndAttributes{f.table: {Keys: keys, ConsistentRead: aws.Bool(true)}}
		for len(req) > 0 {
			out, err := f.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
			if err != nil {
				f.r.t.Errorf("fulfiller: read orders: %v", err)
				return append(still, batch...)
			}
			for _, item := range out.Responses[f.table] {
				var rec orderRecord
				if attributevalue.UnmarshalMap(item, &rec) == nil {
					got[rec.OrderID] = rec
				}
			}
			req = out.UnprocessedKeys
		}
		for _, o := range batch {
			rec, ok := got[o.id]
			switch {
			case ok && rec.Status == "CONFIRMED" && rec.CancelAt == "":
				f.fulfil(o, rec)
				o.fulfilled.Store(true)
			case ok && rec.terminal():
				o.fulfil = fulfilNone // rejected or failed: nothing to fulfil
				o.fulfilled.Store(true)
			default:
				still = append(still, o)
			}
		}
	}
	return still
}

// fulfil takes one confirmed order through its plan over the HTTP API, as the shop's admin and the
// customer would: ship, deliver and receive as the admin, the return as the order's owner. Ship and
// receive are sent twice, as a double click or a warehouse scanning a parcel again would: the second
// is a no-op (the same shipment; a return received once).
func (f *fulfiller) fulfil(o *order, rec orderRecord) {
	r, t := f.r, f.r.t
	path := "/orders/" + o.id
	want := func(what string, status int, b []byte, ok ...int) bool {
		if slices.Contains(ok, status) {
			return true
		}
		t.Errorf("fulfiller: %s %s: %d %s", what, o.id, status, b)
		return false
	}
	ship := fmt.Sprintf(`{"carrier":"Soak Post","trackingNumber":"SOAK-%s","trackingUrl":"https://track.example.com/%s"}`, o.id[len(o.id)-8:], o.id)
	for range 2 {
		if st, b := r.call("POST", path+"/ship", r.admin, ship, ""); !want("ship", st, b, 200) {
			return
		}
	}
	f.shipped.Add(1)
	if o.fulfil < fulfilDeliver {
		return
	}
	if st, b := r.call("POST", path+"/deliver", r.admin, "", ""); !want("deliver", st, b, 200) {
		return
	}
	if o.fulfil < fulfilAskReturn {
		return
	}
	sku := firstSKU(o.lines)
	qty := int64(1)
	if o.returnAll {
		qty = o.lines[sku]
	}
	// The key makes the client's retry after an injected fault (the return made, the answer lost) the
	// same return, as it makes a customer's: without it the retry asks for units already asked for.
	st, b := r.call("POST", path+"/returns", r.customers[o.customer].token,
		fmt.Sprintf(`{"lines":[{"sku":%q,"quantity":%d}],"reason":"soak"}`, sku, qty), "return-"+o.id)
	var ret struct {
		ID string `json:"returnId"`
	}
	if !want("return", st, b, 201) || json.Unmarshal(b, &ret) != nil || ret.ID == "" {
		t.Errorf("fulfiller: return of %s: no return id in %s", o.id, b)
		return
	}
	f.asked.Add(qty)
	if o.fulfil < fulfilReceive {
		return
	}
	for range 2 {
		if st, b := r.call("POST", path+"/returns/"+ret.ID+"/receive", r.admin, "", ""); !want("receive", st, b, 200) {
			return
		}
	}
	f.received.Add(qty)
	_ = rec
}

// firstSKU is the order's first SKU by name, so that a seed returns the same line every run.
func firstSKU(lines map[string]int64) string {
	first := ""
	for sku := range lines {
		if first == "" || sku < first {
			first = sku
		}
	}
	return first
}
