package ddbmodel_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/orion-oss/orion/infra/orion/ddbmodel"
)

func sale(p ddbmodel.Pattern, rate float64, d time.Duration, stock int64) ddbmodel.Scenario {
	return ddbmodel.Scenario{Pattern: p, Rate: rate, Duration: d, Warmup: d / 3, Stock: stock, Seed: 7}
}

func run(t *testing.T, sc ddbmodel.Scenario) ddbmodel.Result {
	t.Helper()
	r, err := ddbmodel.Run(sc)
	if err != nil {
		t.Fatalf("%s at %.0f/s: %v", sc.Pattern.Name, sc.Rate, err)
	}
	return r
}

// Without contention a confirmed order writes the SKU's item twice in a transaction (reservation,
// commit) of an item under 1 KB: exactly 4 WRU, whatever the number of shards.
func TestUncontendedOrderCostsFourWRU(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    ddbmodel.Pattern
		rru  float64 // read units on the SKU's items per confirmed order
	}{
		{"single item", ddbmodel.SingleItem(), 2},
		{"8 shards", ddbmodel.Sharded(ddbmodel.SingleItem(), 8), 2},
		{"8 shards, every shard read", ddbmodel.ShardedReadingAll(ddbmodel.SingleItem(), 8), 8 + 2},
		{"8 shards before: a window of 2 read, then the part's shard", ddbmodel.ShardedReadingWindow(ddbmodel.SingleItem(), 8, 2), 2 + 1},
		{"8 shards as built (recorded, counter conditions)", ddbmodel.WithShards(ddbmodel.ShardedStore(), 8), 2 + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := sale(tc.p, 1, 60*time.Second, 1000)
			sc.Even = true
			r := run(t, sc)
			if r.Confirmed != r.Offered || r.Offered < 30 {
				t.Fatalf("%d of %d orders confirmed", r.Confirmed, r.Offered)
			}
			if got := r.WRUPerConfirmed(); got != 4 {
				t.Errorf("%.2f WRU per confirmed order; want 4", got)
			}
			if got := r.HotRRU / float64(r.Confirmed); got != tc.rru {
				t.Errorf("%.2f RRU per confirmed order; want %.0f", got, tc.rru)
			}
			if r.Conflicts+r.ConditionFails+r.Throttles != 0 {
				t.Errorf("conflicts %d, failed conditions %d, throttles %d; want none", r.Conflicts, r.ConditionFails, r.Throttles)
			}
		})
	}
}

// One item's partition: 1,000 WCU/s over 4 WRU per confirmed order is 250 orders a second; its reads (one
// strongly consistent read per step, 1 RRU = a third of a WCU of the partition) lower that to 214.
func TestCeilingOfOneItem(t *testing.T) {
	wru, withReads, err := ddbmodel.Ceiling(ddbmodel.SingleItem(), ddbmodel.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if wru != 250 {
		t.Errorf("write ceiling %.1f; want 250", wru)
	}
	if want := 1000 / (4 + 2.0/3); math.Abs(withReads-want) > 1e-9 {
		t.Errorf("ceiling with reads %.1f; want %.1f", withReads, want)
	}
}

// With contention out of the way (counter conditions, an instant transaction), the partition's
// capacity is what binds: below the ceiling every order is confirmed, far above it no more than the
// ceiling is.
func TestPartitionCapacityBinds(t *testing.T) {
	_, ceiling, _ := ddbmodel.Ceiling(ddbmodel.SingleItem(), ddbmodel.DefaultLimits())
	for _, rate := range []float64{0.85 * ceiling, 3 * ceiling} {
		sc := sale(ddbmodel.CounterConditions(ddbmodel.SingleItem()), rate, 12*time.Second, 1<<30)
		sc.Timing = ddbmodel.DefaultTiming()
		sc.Timing.Hold = time.Microsecond
		r := run(t, sc)
		t.Logf("%.0f orders/s offered: %.0f confirmed/s, %.1f throttles per order", rate, r.ConfirmedPerSec, r.PerOrder(r.Throttles))
		if r.ConfirmedPerSec > ceiling*1.02 {
			t.Errorf("%.0f confirmed orders/s above the ceiling of %.0f", r.ConfirmedPerSec, ceiling)
		}
		if rate < ceiling && r.ConfirmedPerSec < 0.9*rate {
			t.Errorf("%.0f of %.0f orders/s confirmed below the ceiling", r.ConfirmedPerSec, rate)
		}
		if rate > ceiling && r.Throttles == 0 {
			t.Errorf("no throttles at %.0f orders/s on one partition", rate)
		}
	}
}

// Lost races per order grow with the orders in flight on one item.
func TestConflictsRiseWithConcurrency(t *testing.T) {
	prev := -1.0
	for _, rate := range []float64{5, 10, 20, 40} {
		r := run(t, sale(ddbmodel.SingleItem(), rate, 20*time.Second, 1<<30))
		lost := r.PerOrder(r.Conflicts + r.ConditionFails)
		t.Logf("%3.0f orders/s: %.3f lost races per order, %.1f WRU per confirmed order", rate, lost, r.WRUPerConfirmed())
		if lost <= prev {
			t.Errorf("%.0f orders/s: %.3f lost races per order, not more than %.3f at a lower rate", rate, lost, prev)
		}
		prev = lost
	}
}

// Shards each on a partition of their own multiply what one item takes: twice the shards take about twice
// the load, until the offered load is what binds.
func TestShardsRaiseTheCeilingLinearly(t *testing.T) {
	const perShard = 30 // orders/s one item sustains comfortably (see TestConflictsRiseWithConcurrency)
	for _, n := range []int{2, 4, 8, 16} {
		r := run(t, sale(ddbmodel.Sharded(ddbmodel.SingleItem(), n), perShard*float64(n), 9*time.Second, 1<<30))
		t.Logf("%2d shards at %d orders/s: %.0f confirmed/s", n, perShard*n, r.ConfirmedPerSec)
		if r.ConfirmedPerSec < 0.9*perShard*float64(n) {
			t.Errorf("%d shards sustain %.0f of %d orders/s", n, r.ConfirmedPerSec, perShard*n)
		}
	}
	// Beyond what is offered, more shards buy nothing.
	a := run(t, sale(ddbmodel.Sharded(ddbmodel.SingleItem(), 64), 500, 9*time.Second, 1<<30))
	b := run(t, sale(ddbmodel.Sharded(ddbmodel.SingleItem(), 128), 500, 9*time.Second, 1<<30))
	if math.Abs(a.ConfirmedPerSec-b.ConfirmedPerSec) > 0.05*500 {
		t.Errorf("64 shards %.0f/s, 128 shards %.0f/s at 500 offered; want the same", a.ConfirmedPerSec, b.ConfirmedPerSec)
	}
}

// A sale that sells out sells exactly its stock, on one item or on shards (hashed or not), however
// contended, and every order ends once.
func TestNeverOversells(t *testing.T) {
	for _, tc := range []struct {
		name  string
		p     ddbmodel.Pattern
		parts int
	}{
		{"single item", ddbmodel.SingleItem(), 0},
		{"8 shards", ddbmodel.Sharded(ddbmodel.SingleItem(), 8), 0},
		{"8 shards on 3 partitions", ddbmodel.Sharded(ddbmodel.SingleItem(), 8), 3},
		{"8 shards, counter conditions", ddbmodel.CounterConditions(ddbmodel.Sharded(ddbmodel.SingleItem(), 8)), 0},
		{"8 shards, every shard read", ddbmodel.ShardedReadingAll(ddbmodel.SingleItem(), 8), 0},
		{"8 shards before", ddbmodel.ShardedReadingWindow(ddbmodel.SingleItem(), 8, 2), 0},
		{"8 shards as built", ddbmodel.WithShards(ddbmodel.ShardedStore(), 8), 0},
		{"8 shards as built on 3 partitions", ddbmodel.WithShards(ddbmodel.ShardedStore(), 8), 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := sale(tc.p, 400, 3*time.Second, 150)
			sc.Partitions = tc.parts
			r := run(t, sc) // Run fails on oversell, lost stock or an order without an outcome
			if r.Sold > 150 || r.Oversold != 0 || int64(r.Confirmed) != r.Sold {
				t.Errorf("sold %d, confirmed %d, oversold %d of 150", r.Sold, r.Confirmed, r.Oversold)
			}
			if r.Rejected == 0 {
				t.Errorf("no order rejected: %+v", r)
			}
		})
	}
}

func TestSameSeedSameSale(t *testing.T) {
	sc := sale(ddbmodel.Sharded(ddbmodel.SingleItem(), 4), 300, 3*time.Second, 1<<30)
	a, b := run(t, sc), run(t, sc)
	if a != b {
		t.Errorf("two runs differ:\n%+v\n%+v", a, b)
	}
	sc.Seed++
	if c := run(t, sc); c == a {
		t.Error("another seed gave the very same sale")
	}
}

func TestErrOversoldIsAnError(t *testing.T) {
	if !errors.Is(ddbmodel.ErrOversold, ddbmodel.ErrOversold) || ddbmodel.ErrOversold.Error() == "" {
		t.Fatal("ErrOversold")
	}
}

// A pattern recorded at some number of shards stands for any other: reading all 8 becomes reading all
// 32, reading the SKU's item and the order's shard stays that.
func TestWithShardsRescalesReadingAll(t *testing.T) {
	p := ddbmodel.WithShards(ddbmodel.ShardedReadingAll(ddbmodel.SingleItem(), 8), 32)
	sc := sale(p, 1, 40*time.Second, 1000)
	sc.Even = true
	r := run(t, sc)
	if got, want := r.HotRRU/float64(r.Confirmed), 32.0+2; got != want {
		t.Errorf("%.2f RRU per confirmed order; want %.0f", got, want)
	}
	if got := r.WRUPerConfirmed(); got != 4 {
		t.Errorf("%.2f WRU per confirmed order; want 4", got)
	}
}

// The store as built takes the window's second read from the next shard, as inventory.ReadWindow does,
// not always from one shard: at 64 shards and 4,000 orders/s no read is throttled, and with writes
// conditional on the counters no write fails its condition while the stock lasts.
func TestAsBuiltSpreadsItsReadsAndNeverFailsACondition(t *testing.T) {
	r := run(t, sale(ddbmodel.WithShards(ddbmodel.ShardedStore(), 64), 4000, 3*time.Second, 1<<30))
	if r.Throttles != 0 || r.ConditionFails != 0 {
		t.Fatalf("%d throttles, %d failed conditions; want none", r.Throttles, r.ConditionFails)
	}
	// A rejection reads every shard and the item, re-scaled from the recording.
	p := ddbmodel.WithShards(ddbmodel.ShardedStore(), 64)
	reads := 0
	for _, c := range p.Steps[ddbmodel.StepReject] {
		for _, it := range c.Items {
			if it.Hot && !c.Write {
				reads++
			}
		}
	}
	if reads != 64+1 {
		t.Fatalf("a rejection at 64 shards reads %d stock items; want 65", reads)
	}
}
