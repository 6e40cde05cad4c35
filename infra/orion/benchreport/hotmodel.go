package benchreport

import (
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/orion-oss/orion/infra/orion/ddbmodel"
)

// ItemSize is an item's size as DynamoDB bills it, from its JSON form: the meter's sizing, for the
// write-pattern recorder of infra/orion/ddbmodel/record (one sizing, not two).
func ItemSize(item map[string]any) int { return itemSize(item) }

// HotModel is the flash sale on AWS as infra/orion/ddbmodel models it from DynamoDB's documented limits
// and the code's recorded write pattern: the local sale cannot show AWS's ceiling (the emulator is the
// bottleneck there), the model can.
type HotModel struct {
	Loads    []float64
	Designs  []HotDesign
	Rows     []HotModelRow // a row per design and load
	SellOut  []HotModelRow // a sale that sells out, per design
	Sale     time.Duration // arrivals per run
	Limits   ddbmodel.Limits
	Timing   ddbmodel.Timing
	Retries  ddbmodel.Retries
	Target   float64 // confirmed orders a second the issue asks of one SKU
	Took     time.Duration
	Patterns []string // where each pattern came from
}

// HotDesign is a stock design the model runs.
type HotDesign struct {
	Name       string
	Pattern    ddbmodel.Pattern
	Shards     int
	Partitions int // 0: each shard on a partition of its own
}

// HotModelRow is one simulated sale.
type HotModelRow struct {
	Design string
	Shards int
	Load   float64
	ddbmodel.Result
}

// hotModelDesigns: today's single item; the sharded store as built, from its recorded pattern (a
// window of two shards read, shard writes conditional on the counters they lower), each shard on a
// partition of its own (the best case, what DynamoDB's split for heat converges to) and hashed onto N
// partitions (shards sharing a partition by their keys' hashes); the same store before its writes were
// counter-conditioned (conditional on the version read, derived from the single item's recording, as
// built until issue 22's counter change); each step reading one shard with version conditions (the
// best a version-conditioned store can do); and the first build, whose reservation read every shard.
func hotModelDesigns() []HotDesign {
	single, store := ddbmodel.SingleItem(), ddbmodel.ShardedStore()
	ds := []HotDesign{{Name: "single item", Pattern: single, Shards: 1}}
	for _, n := range []int{8, 16, 32, 48, 64} {
		ds = append(ds, HotDesign{Name: fmt.Sprintf("%d shards as built", n), Pattern: ddbmodel.WithShards(store, n), Shards: n})
	}
	for _, n := range []int{32, 48, 64} {
		ds = append(ds, HotDesign{Name: fmt.Sprintf("%d shards as built, hashed onto %d partitions", n, n), Pattern: ddbmodel.WithShards(store, n), Shards: n, Partitions: n})
	}
	for _, n := range []int{16, 32, 64} {
		ds = append(ds, HotDesign{Name: fmt.Sprintf("%d shards before, version conditions", n), Pattern: ddbmodel.ShardedReadingWindow(single, n, 2), Shards: n})
	}
	ds = append(ds, HotDesign{Name: "64 shards, one shard read, version conditions", Pattern: ddbmodel.Sharded(single, 64), Shards: 64})
	ds = append(ds, HotDesign{Name: "64 shards, every shard read (the first build)", Pattern: ddbmodel.ShardedReadingAll(single, 64), Shards: 64})
	return ds
}

// modelHotSKU runs the model for the report: every design at 250 to 4,000 orders/s, 4 s sales.
func modelHotSKU(logf func(string, ...any)) (*HotModel, error) {
	return runHotModel(hotModelDesigns(), []float64{250, 1000, 2000, 4000}, 4*time.Second, logf)
}

// runHotModel runs every design at every load, and a sell-out sale per design.
func runHotModel(designs []HotDesign, loads []float64, sale time.Duration, logf func(string, ...any)) (*HotModel, error) {
	start := time.Now()
	m := &HotModel{Loads: loads, Designs: designs, Sale: sale,
		Limits: ddbmodel.DefaultLimits(), Timing: ddbmodel.DefaultTiming(), Retries: ddbmodel.DefaultRetries(), Target: 2000}
	single, store := ddbmodel.SingleItem(), ddbmodel.ShardedStore()
	m.Patterns = []string{fmt.Sprintf("%s: %s", single.Name, single.Source),
		fmt.Sprintf("as built: %s, recorded at %s from a warm container (a reservation reads a window of 2 shard items, inventory.ReadWindow, and the rest only when short; confirm and release read the order's shard, never the item; every shard write is an ADD conditional on the counter it lowers, e.g. `#available >= :take_available`), re-scaled to N", store.Source, store.Name),
		"before, version conditions: derived from the single item's (the same reads as built, every shard write conditional on the version read: the store until issue 22's counter change)",
		"one shard read, version conditions: derived too (each access of the item goes to the order's shard, the next ones when it is short)",
		"every shard read: derived too (the first build: a reservation reads all N shards, shard 0 being the SKU's item; confirm and release read the item and the order's shard)"}
	// The sales are independent (each its own seed): run them on every core, in their places.
	m.Rows = make([]HotModelRow, len(m.Designs)*len(m.Loads))
	m.SellOut = make([]HotModelRow, len(m.Designs))
	errs := make([]error, len(m.Rows)+len(m.SellOut))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	runSale := func(slot *HotModelRow, errSlot *error, d HotDesign, load float64, stock int64, seed uint64) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			r, err := ddbmodel.Run(ddbmodel.Scenario{Pattern: d.Pattern, Rate: load, Duration: m.Sale, Warmup: m.warmup(),
				Stock: stock, Partitions: d.Partitions, Seed: seed})
			*slot = HotModelRow{Design: d.Name, Shards: d.Shards, Load: load, Result: r}
			if err != nil {
				*errSlot = fmt.Errorf("hot model: %s at %.0f/s on %d units: %w", d.Name, load, stock, err)
			}
		}()
	}
	for i, d := range m.Designs {
		for j, load := range m.Loads {
			k := i*len(m.Loads) + j
			runSale(&m.Rows[k], &errs[k], d, load, math.MaxInt32, uint64(1+i))
		}
		// Sell-out: twice as many orders as units, at the target rate.
		runSale(&m.SellOut[i], &errs[len(m.Rows)+i], d, m.Target, int64(m.Target*m.Sale.Seconds()/2), uint64(100+i))
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return m, err
	}
	m.Took = time.Since(start)
	logf("hot SKU model: %d sales in %s", len(m.Rows)+len(m.SellOut), m.Took.Round(time.Millisecond))
	return m, nil
}

// warmup is left out of the sustained rate: the first orders are still paying (0.5 s without contention).
func (m *HotModel) warmup() time.Duration {
	if m.Sale >= 3*time.Second {
		return 1500 * time.Millisecond
	}
	return m.Sale / 4
}

// ceiling is the most a design confirmed a second at any load.
func (m *HotModel) ceiling(design string) float64 {
	best := 0.0
	for _, r := range m.Rows {
		if r.Design == design {
			best = max(best, r.ConfirmedPerSec)
		}
	}
	return best
}

// reaches names the smallest design of each kind that sustains the target: at least Target confirmed
// orders a second at some load.
func (m *HotModel) reaches() []string {
	var out []string
	seen := map[string]bool{}
	for _, d := range m.Designs {
		kind := d.Name
		if i := strings.Index(kind, " shards"); i >= 0 {
			kind = strings.Replace(kind[i+len(" shards"):], fmt.Sprintf("onto %d partitions", d.Shards), "onto N partitions", 1)
		}
		if seen[kind] || m.ceiling(d.Name) < m.Target {
			continue
		}
		seen[kind] = true
		out = append(out, fmt.Sprintf("%s (%.0f confirmed/s)", d.Name, m.ceiling(d.Name)))
	}
	return out
}

func perOrder(r ddbmodel.Result, n int) string { return fmt.Sprintf("%.2f", r.PerOrder(n)) }

func (m *HotModel) markdown(w io.Writer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("## Hot SKU on AWS, modelled\n\n")
	p("The local sale above cannot show AWS's ceiling: the emulator is its bottleneck. infra/orion/ddbmodel simulates the sale\n")
	p("on DynamoDB's documented limits instead (%.0f WCU and %.0f RCU a second per partition, shared; transactions billed 2 WRU\n", m.Limits.PartitionWCU, m.Limits.PartitionRCU)
	p("per KB; a write of an item another transaction is writing cancelled with TransactionConflict; failed conditions and\n")
	p("conflicts billed; throttled transactions cancelled), replaying the write pattern recorded from the saga's steps with the\n")
	p("code's retries (the store's %d attempts, the state machine's Retry of %d, full jitter). Assumed timings: reads %s ms,\n",
		m.Retries.StoreAttempts, m.Retries.Forward.MaxAttempts, ms(m.Timing.ReadLatency))
	p("transactions %s ms holding their items %s ms, a task %s ms, payment %s + %s ms. Poisson arrivals for %s per sale;\n",
		ms(m.Timing.WriteLatency), ms(m.Timing.Hold), ms(m.Timing.Task), ms(m.Timing.Authorize), ms(m.Timing.Capture), m.Sale)
	p("confirmed/s is sustained after the first %s. Assumptions and limits of the model: infra/orion/ddbmodel/README.md.\n\n", m.warmup())
	for _, s := range m.Patterns {
		p("- Pattern, %s.\n", s)
	}
	p("\n")
	if r := m.reaches(); len(r) > 0 {
		p("**%s confirmed orders/s on one SKU**: reached by %s.\n\n", num(m.Target), strings.Join(r, "; "))
	} else {
		p("**%s confirmed orders/s on one SKU**: reached by none of the designs modelled.\n\n", num(m.Target))
	}
	p("Confirmed orders a second sustained, by offered load:\n\n| design |")
	for _, l := range m.Loads {
		p(" %s/s |", num(l))
	}
	p("\n|---|")
	for range m.Loads {
		p("---:|")
	}
	p("\n")
	for _, d := range m.Designs {
		p("| %s |", d.Name)
		for _, r := range m.Rows {
			if r.Design == d.Name {
				p(" %.0f |", r.ConfirmedPerSec)
			}
		}
		p("\n")
	}
	p("\nEach sale in detail (WRU on the SKU's partitions include failed attempts; per order: per order offered):\n\n")
	p("| design | offered/s | confirmed/s | WRU on the SKU's partitions per confirmed | conflicts per order | failed conditions per order | throttles per order | p50 / p99 to outcome | failed (retries exhausted) | oversold |\n")
	p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range m.Rows {
		wru := "—"
		if r.Confirmed > 0 {
			wru = fmt.Sprintf("%.1f", r.WRUPerConfirmed())
		}
		p("| %s | %s | %.0f | %s | %s | %s | %s | %s / %s s | %d of %d | %d |\n", r.Design, num(r.Load), r.ConfirmedPerSec, wru,
			perOrder(r.Result, r.Conflicts), perOrder(r.Result, r.ConditionFails), perOrder(r.Result, r.Throttles),
			secs(r.P50), secs(r.P99), r.Failed, r.Offered, r.Oversold)
	}
	p("\nA sale that sells out: %s orders/s for %s on %s units (every order one unit):\n\n", num(m.Target), m.Sale, num(float64(int64(m.Target*m.Sale.Seconds()/2))))
	p("| design | orders | sold | rejected | failed (retries exhausted) | of which units left reserved | oversold |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range m.SellOut {
		p("| %s | %d | %d | %d | %d | %d | %d |\n", r.Design, r.Offered, r.Sold, r.Rejected, r.Failed, r.Stuck, r.Oversold)
	}
	p("\nThe model ran %d sales in %s.\n\n", len(m.Rows)+len(m.SellOut), m.Took.Round(time.Millisecond))
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f", d.Seconds()) }
