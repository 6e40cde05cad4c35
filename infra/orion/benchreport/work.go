package benchreport

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/orion-oss/orion/internal/ws"
)

// PathWork is the work one order causes on one path, averaged over N orders run one after another,
// each counted until the system is quiet again.
type PathWork struct {
	Path   string
	Orders int
	// HTTPRequests the client makes (POST /orders, POST /orders/{id}/cancel).
	HTTPRequests float64
	// Calls by function (short name) and "service:operation", per order.
	Calls map[string]map[string]float64
	// Invocations and billed milliseconds by function, per order.
	Invocations, BilledMs map[string]float64
	Transitions, Retries  float64
	Events                map[string]float64
	SESSends, WSPosts     float64
	WSMessages            float64 // received by the customer's open connection
	RRU, WRU              float64 // DynamoDB request units (computed, see capacityRules)
	RRUByFn, WRUByFn      map[string]float64
	StreamReads           float64
	MaxItemBytes          map[string]int // largest item seen per table
	// GSIWRU: write request units of the global secondary indexes (meter_gsi.go), beside the tables' own
	// WRU; GSIWRUTransact is its part written in transactions (counted twice); by function and by
	// "table/index".
	GSIWRU, GSIWRUTransact    float64
	GSIWRUByFn, GSIWRUByIndex map[string]float64
	// ReadsPerInvocation: by function, its DynamoDB reads of each table and index ("Query
	// connections/ByUser") per invocation. More than one means the function read the same thing twice.
	ReadsPerInvocation map[string]map[string]float64
	Latency            time.Duration // median, POST /orders to the path's last outcome event
}

// opName turns the edge's REST "METHOD /path" into the API's operation name.
func opName(service, op string) string {
	switch {
	case service == "ses" && strings.HasPrefix(op, "POST /v2/email/outbound-emails"):
		return "SendEmail"
	case service == "execute-api" && strings.HasPrefix(op, "POST ") && strings.Contains(op, "@connections/"):
		return "PostToConnection"
	case service == "execute-api" && strings.HasPrefix(op, "DELETE ") && strings.Contains(op, "@connections/"):
		return "DeleteConnection"
	case service == "execute-api" && strings.HasPrefix(op, "GET ") && strings.Contains(op, "@connections/"):
		return "GetConnection"
	}
	return op
}

// path is one order story the work runs measure.
type path struct {
	name string
	http int // HTTP API requests the client makes on this path
	run  func(ctx context.Context, s *system, tok, sku string) (time.Duration, error)
}

// waitFor waits for the order's first event of types; the first of types is the one expected (any of
// them when want is false).
func waitFor(ctx context.Context, s *system, id string, types ...string) (outcome, error) {
	return waitOutcome(ctx, s, id, true, types...)
}

func waitOutcome(ctx context.Context, s *system, id string, want bool, types ...string) (outcome, error) {
	return waitWithin(ctx, s, id, want, 30*time.Second, types...)
}

func waitWithin(ctx context.Context, s *system, id string, want bool, limit time.Duration, types ...string) (outcome, error) {
	select {
	case oc := <-s.obs.wait(id, types...):
		if want && oc.Type != types[0] {
			return oc, fmt.Errorf("order %s ended %s; want %s", id, oc.Type, types[0])
		}
		return oc, nil
	case <-time.After(limit):
		return outcome{}, fmt.Errorf("order %s: no %v within %s", id, types, limit)
	case <-ctx.Done():
		return outcome{}, ctx.Err()
	}
}

// workQuiet is how long nothing may happen before an order counts as done. It must outlast the
// notifier's batching window on the projections stream (template.yaml NotifyOrderStatusEventSource,
// ADR 0026), or a push lands after the count and is charged to the next order or to none.
const workQuiet = 1500 * time.Millisecond

var paths = []path{
	{"confirmed (tok_visa)", 1, func(ctx context.Context, s *system, tok, sku string) (time.Duration, error) {
		start := time.Now()
		id, err := s.place(ctx, tok, sku, 1, "tok_visa")
		if err != nil {
			return 0, err
		}
		oc, err := waitFor(ctx, s, id, append([]string{"OrderConfirmed"}, terminalTypes...)...)
		return oc.At.Sub(start), err
	}},
	{"rejected (tok_declined)", 1, func(ctx context.Context, s *system, tok, sku string) (time.Duration, error) {
		start := time.Now()
		id, err := s.place(ctx, tok, sku, 1, "tok_declined")
		if err != nil {
			return 0, err
		}
		oc, err := waitFor(ctx, s, id, append([]string{"OrderRejected"}, terminalTypes...)...)
		return oc.At.Sub(start), err
	}},
	{"cancelled after confirmation", 2, func(ctx context.Context, s *system, tok, sku string) (time.Duration, error) {
		start := time.Now()
		id, err := s.place(ctx, tok, sku, 1, "tok_visa")
		if err != nil {
			return 0, err
		}
		if _, err := waitFor(ctx, s, id, append([]string{"OrderConfirmed"}, terminalTypes...)...); err != nil {
			return 0, err
		}
		s.obs.quiet(workQuiet, 5*time.Second) // the confirmation's own aftermath (projection, push, email)
		if _, err := s.call(ctx, "POST", "/orders/"+id+"/cancel", tok, "", "", nil); err != nil {
			return 0, err
		}
		oc, err := waitFor(ctx, s, id, "OrderCancelled", "OrderFailed")
		return oc.At.Sub(start), err
	}},
}

// measureWork runs n orders per path, one at a time, with the customer's WebSocket connection open,
// and averages what each order caused.
func measureWork(ctx context.Context, s *system, n int, logf func(string, ...any)) ([]PathWork, error) {
	s.meter.setExact(true)
	defer s.meter.setExact(false)
	tok, err := s.user(ctx, "bench-customer", false)
	if err != nil {
		return nil, err
	}
	var received atomic.Int64
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	// The token travels as a subprotocol (docs/adr/0016); a URL with ?token= is refused.
	conn, _, err := websocket.Dial(wctx, s.st.WSURL, &websocket.DialOptions{Subprotocols: ws.Offer(tok)})
	if err != nil {
		return nil, fmt.Errorf("benchreport: WebSocket: %w", err)
	}
	defer conn.CloseNow()
	go func() {
		for {
			if _, _, err := conn.Read(wctx); err != nil {
				return
			}
			received.Add(1)
		}
	}()
	sku, err := s.stockItem(ctx, 10*n*len(paths)+10)
	if err != nil {
		return nil, err
	}
	// A warm-up order per path: cold starts are measured on their own, not here.
	for _, p := range paths {
		if _, err := p.run(ctx, s, tok, sku); err != nil {
			return nil, fmt.Errorf("benchreport: warm-up %s: %w", p.name, err)
		}
		s.obs.quiet(workQuiet, 10*time.Second)
	}
	var out []PathWork
	for _, p := range paths {
		callsBefore, usageBefore, obsBefore, wsBefore := s.st.Calls(), usageCopy(s), s.obs.snapshot(), received.Load()
		var lats []time.Duration
		for i := 0; i < n; i++ {
			lat, err := p.run(ctx, s, tok, sku)
			if err != nil {
				return nil, fmt.Errorf("benchreport: %s: %w", p.name, err)
			}
			lats = append(lats, lat)
			s.obs.quiet(workQuiet, 10*time.Second)
		}
		w := PathWork{Path: p.name, Orders: n, HTTPRequests: float64(p.http), Latency: medianDur(lats), Calls: map[string]map[string]float64{},
			Invocations: map[string]float64{}, BilledMs: map[string]float64{}, Events: map[string]float64{},
			RRUByFn: map[string]float64{}, WRUByFn: map[string]float64{}, GSIWRUByFn: map[string]float64{}, GSIWRUByIndex: map[string]float64{}, MaxItemBytes: map[string]int{}, ReadsPerInvocation: map[string]map[string]float64{}}
		per := 1 / float64(n)
		for fn, ops := range s.st.Calls() {
			for op, c := range ops {
				if d := c - callsBefore[fn][op]; d != 0 {
					service, operation, _ := strings.Cut(op, ":")
					name := service + ":" + opName(service, operation)
					if w.Calls[shortName(fn)] == nil {
						w.Calls[shortName(fn)] = map[string]float64{}
					}
					w.Calls[shortName(fn)][name] += float64(d) * per
					switch name {
					case "ses:SendEmail":
						w.SESSends += float64(d) * per
					case "execute-api:PostToConnection":
						w.WSPosts += float64(d) * per
					}
				}
			}
		}
		obsAfter := s.obs.snapshot()
		for fn, u := range obsAfter.fns {
			b := obsBefore.fns[fn]
			if d := u.Invocations - b.Invocations; d != 0 {
				w.Invocations[shortName(fn)] = float64(d) * per
				w.BilledMs[shortName(fn)] = float64((u.Billed - b.Billed).Milliseconds()) * per
			}
		}
		w.Transitions = float64(obsAfter.trans-obsBefore.trans) * per
		w.Retries = float64(obsAfter.retries-obsBefore.retries) * per
		for t, c := range obsAfter.events {
			if d := c - obsBefore.events[t]; d != 0 {
				w.Events[t] = float64(d) * per
			}
		}
		usageAfter := usageCopy(s)
		for caller, u := range usageAfter {
			b := usageBefore[caller]
			rru, wru := u.RRU-b.RRU, u.WRU-b.WRU
			w.StreamReads += float64(u.StreamReads-b.StreamReads) * per
			for target, c := range u.Reads {
				inv := w.Invocations[shortName(caller)] // per order, as the reads below
				if d := c - b.Reads[target]; d > 0 && inv > 0 {
					if w.ReadsPerInvocation[shortName(caller)] == nil {
						w.ReadsPerInvocation[shortName(caller)] = map[string]float64{}
					}
					w.ReadsPerInvocation[shortName(caller)][target] = float64(d) * per / inv
				}
			}
			if rru == 0 && wru == 0 {
				continue
			}
			name := shortName(caller)
			w.RRU += rru * per
			w.WRU += wru * per
			w.RRUByFn[name] += rru * per
			w.WRUByFn[name] += wru * per
			w.GSIWRU += (u.GSIWRU - b.GSIWRU) * per
			w.GSIWRUTransact += (u.GSIWRUTransact - b.GSIWRUTransact) * per
			w.GSIWRUByFn[name] += (u.GSIWRU - b.GSIWRU) * per
			for ix, v := range u.GSIWRUByIndex {
				if d := v - b.GSIWRUByIndex[ix]; d != 0 {
					w.GSIWRUByIndex[ix] += d * per
				}
			}
			for t, n := range u.MaxItemByTable {
				w.MaxItemBytes[t] = max(w.MaxItemBytes[t], n)
			}
		}
		w.WSMessages = float64(received.Load()-wsBefore) * per
		logf("work per order: %s: %d orders, %.0f calls/order", p.name, n, totalCalls(w))
		out = append(out, w)
	}
	return out, nil
}

func usageCopy(s *system) map[string]usage {
	u, _ := s.meter.snapshot()
	return u
}

func totalCalls(w PathWork) float64 {
	t := 0.0
	for _, ops := range w.Calls {
		for _, c := range ops {
			t += c
		}
	}
	return t
}

// callsByOperation sums a path's calls over functions.
func callsByOperation(w PathWork) map[string]float64 {
	out := map[string]float64{}
	for _, ops := range w.Calls {
		for op, c := range ops {
			out[op] += c
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
