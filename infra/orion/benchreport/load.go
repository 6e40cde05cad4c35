package benchreport

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"
)

// Throughput is one closed-loop load: Concurrency clients each placing a tok_visa order and waiting for
// its OrderConfirmed on the bus before the next.
type Throughput struct {
	Concurrency     int
	Orders          int
	Elapsed         time.Duration
	OrdersPerSecond float64
	P50, P99        time.Duration // POST /orders to OrderConfirmed on the bus
	// The emulator's share: the fraction of the wall clock with at least one request in flight (all
	// services; DynamoDB alone, which moto serialises), and per order the emulator's summed request time
	// and request count.
	EmulatorBusy, DynamoBusy float64
	EmulatorMsPerOrder       float64
	RequestsPerOrder         float64
	Invariants               string // "held" or what broke
}

// HotSKU is the flash sale: Orders one-unit orders on one SKU with Stock units, Concurrency at a time.
type HotSKU struct {
	Orders, Stock, Concurrency int
	Confirmed, Rejected, Other int
	Elapsed                    time.Duration
	P50, P99                   time.Duration // POST /orders to the order's outcome
	ItemWRU                    float64       // write request units on the SKU's inventory item
	ItemWRUPerSecond           float64
	WRUPerConfirmed            float64
	Conflicts                  map[string]int // DynamoDB errors the functions met (TransactionCanceled, ...)
	Invariants                 string
}

func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(float64(len(s))*p+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// customers signs in k customers (orders spread over them, as a sale's would be).
func (s *system) customers(ctx context.Context, k int) ([]string, error) {
	toks := make([]string, k)
	for i := range toks {
		t, err := s.user(ctx, "bench-load", false)
		if err != nil {
			return nil, err
		}
		toks[i] = t
	}
	return toks, nil
}

// checkOrders checks that every order ended exactly once.
func (s *system) checkOrders(ids []string) string {
	c := s.obs.snapshot()
	bad := 0
	for _, id := range ids {
		if c.terminalByOrders[id] != 1 {
			bad++
		}
	}
	if bad > 0 {
		return fmt.Sprintf("BROKEN: %d of %d orders without exactly one outcome", bad, len(ids))
	}
	return ""
}

// checkStock checks available + reserved + sold = initial, nothing reserved once quiet, sold = confirmed.
func (s *system) checkStock(ctx context.Context, sku string, initial, confirmed int64) string {
	a, r, sold, err := s.counters(ctx, sku)
	if err != nil {
		return "BROKEN: " + err.Error()
	}
	if a < 0 || r != 0 || a+r+sold != initial || sold != confirmed {
		return fmt.Sprintf("BROKEN: %s available %d reserved %d sold %d, initial %d, confirmed %d", sku, a, r, sold, initial, confirmed)
	}
	return ""
}

func measureThroughput(ctx context.Context, s *system, concurrency int, d time.Duration, logf func(string, ...any)) (Throughput, error) {
	toks, err := s.customers(ctx, min(concurrency, 8))
	if err != nil {
		return Throughput{}, err
	}
	const stock = 1_000_000
	skus := make([]string, concurrency)
	for i := range skus {
		if skus[i], err = s.stockItem(ctx, stock); err != nil {
			return Throughput{}, err
		}
	}
	s.obs.quiet(500*time.Millisecond, 10*time.Second)
	var mu sync.Mutex
	var lats []time.Duration
	var ids []string
	confirmed := make([]int64, concurrency)
	var firstErr error
	before := s.meter.stats()
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for w := 0; w < concurrency; w++ {
		wg.Go(func() {
			for i := 0; time.Now().Before(deadline); i++ {
				t0 := time.Now()
				id, err := s.place(ctx, toks[(w+i)%len(toks)], skus[w], 1, "tok_visa")
				if err == nil {
					mu.Lock()
					ids = append(ids, id)
					mu.Unlock()
					var oc outcome
					if oc, err = waitFor(ctx, s, id, append([]string{"OrderConfirmed"}, terminalTypes...)...); err == nil {
						mu.Lock()
						lats = append(lats, oc.At.Sub(t0))
						confirmed[w]++
						mu.Unlock()
					}
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	after := s.meter.stats()
	s.obs.quiet(750*time.Millisecond, 30*time.Second)
	t := Throughput{Concurrency: concurrency, Orders: len(lats), Elapsed: elapsed, OrdersPerSecond: float64(len(lats)) / elapsed.Seconds(),
		P50: percentile(lats, 0.50), P99: percentile(lats, 0.99),
		EmulatorBusy: (after.Busy - before.Busy).Seconds() / elapsed.Seconds(), DynamoBusy: (after.DDBBusy - before.DDBBusy).Seconds() / elapsed.Seconds()}
	if len(lats) > 0 {
		t.EmulatorMsPerOrder = float64((after.ReqTime - before.ReqTime).Milliseconds()) / float64(len(lats))
		t.RequestsPerOrder = float64(after.Requests-before.Requests) / float64(len(lats))
	}
	t.Invariants = s.checkOrders(ids)
	for w, sku := range skus {
		if msg := s.checkStock(ctx, sku, stock, confirmed[w]); msg != "" && t.Invariants == "" {
			t.Invariants = msg
		}
	}
	if t.Invariants == "" {
		t.Invariants = "held"
	}
	logf("throughput: concurrency %d: %d orders in %s, %.1f/s, p50 %s p99 %s, emulator busy %.0f%% (DynamoDB %.0f%%), invariants %s",
		concurrency, t.Orders, elapsed.Round(time.Millisecond), t.OrdersPerSecond, t.P50.Round(time.Millisecond), t.P99.Round(time.Millisecond),
		100*t.EmulatorBusy, 100*t.DynamoBusy, t.Invariants)
	return t, firstErr
}

func measureHotSKU(ctx context.Context, s *system, orders, stock, concurrency int, logf func(string, ...any)) (HotSKU, error) {
	toks, err := s.customers(ctx, 10)
	if err != nil {
		return HotSKU{}, err
	}
	sku, err := s.stockItem(ctx, stock)
	if err != nil {
		return HotSKU{}, err
	}
	s.obs.quiet(500*time.Millisecond, 10*time.Second)
	_, errsBefore := s.meter.snapshot()
	inventory := fmt.Sprint(s.st.Outputs["InventoryTableName"])
	wruBefore := s.meter.keyUnits(inventory, sku)
	h := HotSKU{Orders: orders, Stock: stock, Concurrency: concurrency, Conflicts: map[string]int{}}
	var mu sync.Mutex
	var lats []time.Duration
	var ids []string
	var firstErr error
	sem := make(chan struct{}, concurrency)
	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < orders; i++ {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			t0 := time.Now()
			id, err := s.place(ctx, toks[i%len(toks)], sku, 1, "tok_visa")
			var oc outcome
			if err == nil {
				mu.Lock()
				ids = append(ids, id)
				mu.Unlock()
				// A sale queues orders behind each other's conflicts: wait as long as the saga may take.
				oc, err = waitWithin(ctx, s, id, false, 3*time.Minute, terminalTypes...)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				return
			}
			lats = append(lats, oc.At.Sub(t0))
			switch oc.Type {
			case "OrderConfirmed":
				h.Confirmed++
			case "OrderRejected":
				h.Rejected++
			default:
				h.Other++
			}
		})
	}
	wg.Wait()
	h.Elapsed = time.Since(start)
	s.obs.quiet(750*time.Millisecond, 30*time.Second)
	h.P50, h.P99 = percentile(lats, 0.5), percentile(lats, 0.99)
	h.ItemWRU = s.meter.keyUnits(inventory, sku) - wruBefore
	h.ItemWRUPerSecond = h.ItemWRU / h.Elapsed.Seconds()
	if h.Confirmed > 0 {
		h.WRUPerConfirmed = h.ItemWRU / float64(h.Confirmed)
	}
	_, errsAfter := s.meter.snapshot()
	for k, v := range errsAfter {
		if d := v - errsBefore[k]; d > 0 {
			h.Conflicts[k] = d
		}
	}
	h.Invariants = s.checkOrders(ids)
	if msg := s.checkStock(ctx, sku, int64(stock), int64(h.Confirmed)); msg != "" && h.Invariants == "" {
		h.Invariants = msg
	}
	if h.Invariants == "" {
		h.Invariants = "held"
	}
	logf("hot SKU: %d orders on stock %d, %d at a time: %d confirmed, %d rejected, %d other in %s; p50 %s p99 %s; invariants %s",
		orders, stock, concurrency, h.Confirmed, h.Rejected, h.Other, h.Elapsed.Round(time.Millisecond), h.P50.Round(time.Millisecond), h.P99.Round(time.Millisecond), h.Invariants)
	return h, firstErr
}
