package ddbmodel

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// Scenario is one simulated sale of one SKU.
type Scenario struct {
	Pattern Pattern
	// Rate is the offered load: orders a second, arriving as a Poisson process for Duration.
	Rate     float64
	Duration time.Duration
	// Even spaces arrivals exactly 1/Rate apart instead (hand-computable cases).
	Even bool
	// Warmup is left out of the sustained rate (the first orders are still paying).
	Warmup time.Duration
	// Stock is the SKU's units, split evenly over the pattern's shards; every order takes one.
	Stock int64
	// Partitions: 0 places each shard on a partition of its own (the best case, what DynamoDB's split
	// for heat converges to); P > 0 hashes the shards' keys onto P partitions.
	Partitions int
	Seed       uint64
	Limits     Limits
	Timing     Timing
	Retries    Retries
}

// Result is what a sale did.
type Result struct {
	Offered, Confirmed, Rejected int
	// Failed orders ended FAILED because a stock step exhausted every retry; Stuck are those of them
	// whose compensation failed too, leaving their unit reserved (never sold twice, but not sold).
	Failed, Stuck int
	// ConfirmedPerSec is the confirmations a second between Warmup and Duration.
	ConfirmedPerSec float64
	// HotWRU is the write units consumed on the partitions of the SKU's items, failed attempts included;
	// HotRRU the read units there.
	HotWRU, HotRRU float64
	// Conflicts are transactions cancelled with TransactionConflict, ConditionFails those cancelled for
	// a version that moved since the read; both consume capacity. Throttles are requests refused for
	// capacity (a cancelled transaction, or the SKU's key left unprocessed by a BatchGetItem).
	Conflicts, ConditionFails, Throttles int
	// P50 and P99 are times from arrival to the order's outcome.
	P50, P99 time.Duration
	// Oversold is units sold beyond the stock: Run fails when it is not 0.
	Oversold int64
	Sold     int64
	// HotPartitions is how many partitions hold the SKU's items.
	HotPartitions int
	// End is when the last order ended.
	End time.Duration
}

// WRUPerConfirmed is the write units on the SKU's partitions per confirmed order.
func (r Result) WRUPerConfirmed() float64 {
	if r.Confirmed == 0 {
		return math.Inf(1)
	}
	return r.HotWRU / float64(r.Confirmed)
}

// PerOrder divides a count by the orders offered.
func (r Result) PerOrder(n int) float64 {
	if r.Offered == 0 {
		return 0
	}
	return float64(n) / float64(r.Offered)
}

// ErrOversold means the model sold more than the stock: the design (or the model) is broken.
var ErrOversold = errors.New("ddbmodel: oversold")

// Run simulates the scenario; the same scenario (seed included) gives the same result.
func Run(sc Scenario) (Result, error) {
	if sc.Limits == (Limits{}) {
		sc.Limits = DefaultLimits()
	}
	if sc.Timing == (Timing{}) {
		sc.Timing = DefaultTiming()
	}
	if sc.Retries == (Retries{}) {
		sc.Retries = DefaultRetries()
	}
	s, err := newSim(sc)
	if err != nil {
		return Result{}, err
	}
	s.run()
	return s.result()
}

// Ceiling is the confirmed orders a second one item's partition allows without contention: its
// capacity over what a confirmed order costs it, counting writes only (wru) and reads too (withReads:
// a partition's read and write units share its capacity).
func Ceiling(p Pattern, l Limits) (wru, withReads float64, err error) {
	res, err := p.cost(StepReserve)
	if err != nil {
		return 0, 0, err
	}
	conf, err := p.cost(StepConfirm)
	if err != nil {
		return 0, 0, err
	}
	w := res.writeWRU + conf.writeWRU
	r := res.readRRU*float64(res.hotReads) + conf.readRRU*float64(conf.hotReads)
	return l.PartitionWCU / w, l.PartitionWCU / (w + r*l.PartitionWCU/l.PartitionRCU), nil
}

type event struct {
	at  float64 // seconds
	seq uint64
	fn  func()
}

// queue is a binary min-heap of events by time, then by scheduling order (deterministic ties);
// written out rather than container/heap, whose boxing of every event dominated the model's run time.
type queue []event

func (q queue) less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}

func (q *queue) push(e event) {
	*q = append(*q, e)
	h := *q
	for i := len(h) - 1; i > 0; {
		parent := (i - 1) / 2
		if !h.less(i, parent) {
			break
		}
		h[i], h[parent] = h[parent], h[i]
		i = parent
	}
}

func (q *queue) pop() event {
	h := *q
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h[last] = event{}
	h = h[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(h) && h.less(l, m) {
			m = l
		}
		if r < len(h) && h.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	*q = h
	return top
}

// partition is a token bucket of write-unit equivalents (a read unit costs WCU/RCU of one).
type partition struct {
	tokens, last, rate, depth float64
	wru, rru                  float64
}

// take admits a request when the partition has capacity left, charging it (possibly into debt: the
// units of a write are known only once it ran); it refuses it otherwise.
func (p *partition) take(now, units float64) bool {
	p.refill(now)
	if p.tokens <= 0 {
		return false
	}
	p.tokens -= units
	return true
}

func (p *partition) refill(now float64) {
	p.tokens = min(p.depth, p.tokens+(now-p.last)*p.rate)
	p.last = now
}

// queue charges a request that will be asked again until admitted and returns how long that takes:
// the askers are served in turn as capacity comes back.
func (p *partition) queue(now, units float64) float64 {
	p.refill(now)
	wait := max(0, -p.tokens) / p.rate
	p.tokens -= units
	return wait
}

// stockItem is one item of the SKU's stock (the item, or a shard).
type stockItem struct {
	part                      int
	available, reserved, sold int64
	version                   int64
	holdUntil                 float64 // a transaction is writing it until then
}

type sim struct {
	sc          Scenario
	now         float64
	seq         uint64
	q           queue
	rng         *rand.Rand
	parts       []*partition
	items       []*stockItem
	cost        map[string]cost
	res         Result
	outcomes    []float64 // seconds from arrival to outcome
	confirmedAt []float64
}

func newSim(sc Scenario) (*sim, error) {
	n := max(sc.Pattern.Shards, 1)
	s := &sim{sc: sc, rng: rand.New(rand.NewPCG(sc.Seed, 0x9e3779b97f4a7c15)), cost: map[string]cost{}}
	for _, step := range []string{StepReserve, StepReject, StepConfirm, StepRelease} {
		c, err := sc.Pattern.cost(step)
		if err != nil {
			return nil, err
		}
		s.cost[step] = c
	}
	nParts := n
	if sc.Partitions > 0 {
		nParts = sc.Partitions
	}
	for range nParts {
		rate := sc.Limits.PartitionWCU
		depth := rate * sc.Limits.Burst.Seconds()
		s.parts = append(s.parts, &partition{tokens: depth, rate: rate, depth: depth})
	}
	used := map[int]bool{}
	for k := range n {
		it := &stockItem{available: sc.Stock / int64(n), part: k}
		if int64(k) < sc.Stock%int64(n) {
			it.available++
		}
		if sc.Partitions > 0 {
			h := fnv.New32a()
			fmt.Fprintf(h, "SKU-HOT#%d", k)
			it.part = int(h.Sum32() % uint32(sc.Partitions))
		}
		used[it.part] = true
		s.items = append(s.items, it)
	}
	s.res.HotPartitions = len(used)
	return s, nil
}

func (s *sim) after(d float64, fn func()) {
	s.seq++
	s.q.push(event{at: s.now + d, seq: s.seq, fn: fn})
}

func (s *sim) run() {
	s.arrive(0)
	for len(s.q) > 0 {
		e := s.q.pop()
		s.now = e.at
		e.fn()
	}
}

// arrive schedules the next order of the Poisson (or even) arrivals after t, until Duration; one
// arrival at a time keeps the queue small.
func (s *sim) arrive(t float64) {
	if s.sc.Even {
		t += 1 / s.sc.Rate
	} else {
		t += s.rng.ExpFloat64() / s.sc.Rate
	}
	if t >= s.sc.Duration.Seconds() {
		return
	}
	s.seq++
	s.q.push(event{at: t, seq: s.seq, fn: func() {
		o := &order{arrived: t, home: s.rng.IntN(len(s.items))}
		s.res.Offered++
		s.task(func() { s.step(o, StepReserve, 0) })
		s.arrive(t)
	}})
}

func (s *sim) result() (Result, error) {
	r := s.res
	var avail, reserved int64
	for _, it := range s.items {
		avail += it.available
		reserved += it.reserved
		r.Sold += it.sold
		if it.available < 0 {
			r.Oversold -= it.available
		}
	}
	r.Oversold += max(0, r.Sold-s.sc.Stock)
	for _, p := range s.parts {
		r.HotWRU += p.wru
		r.HotRRU += p.rru
	}
	slices.Sort(s.outcomes)
	r.P50, r.P99 = quantile(s.outcomes, 0.50), quantile(s.outcomes, 0.99)
	r.End = time.Duration(s.now * float64(time.Second))
	from, to := s.sc.Warmup.Seconds(), s.sc.Duration.Seconds()
	n := 0
	for _, at := range s.confirmedAt {
		if at >= from && at < to {
			n++
		}
	}
	if to > from {
		r.ConfirmedPerSec = float64(n) / (to - from)
	}
	switch {
	case r.Oversold != 0:
		return r, fmt.Errorf("%w: %d units beyond a stock of %d", ErrOversold, r.Oversold, s.sc.Stock)
	case avail+reserved+r.Sold != s.sc.Stock:
		return r, fmt.Errorf("ddbmodel: stock not conserved: available %d + reserved %d + sold %d != %d", avail, reserved, r.Sold, s.sc.Stock)
	case r.Confirmed+r.Rejected+r.Failed != r.Offered:
		return r, fmt.Errorf("ddbmodel: %d orders without an outcome", r.Offered-r.Confirmed-r.Rejected-r.Failed)
	case int64(r.Confirmed) != r.Sold || reserved != int64(r.Stuck):
		return r, fmt.Errorf("ddbmodel: %d confirmed, %d sold, %d reserved for %d stuck orders", r.Confirmed, r.Sold, reserved, r.Stuck)
	}
	return r, nil
}

func quantile(sorted []float64, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := min(len(sorted)-1, int(math.Ceil(q*float64(len(sorted))))-1)
	return time.Duration(sorted[max(i, 0)] * float64(time.Second))
}

// order is one order's progress through the saga.
type order struct {
	arrived float64
	home    int // the shard its id picks
	held    int // the shard it reserved on
}

func (s *sim) end(o *order, confirmed bool) {
	s.outcomes = append(s.outcomes, s.now-o.arrived)
	if confirmed {
		s.res.Confirmed++
		s.confirmedAt = append(s.confirmedAt, s.now)
	}
}

// task runs fn once Step Functions has started the task.
func (s *sim) task(fn func()) { s.after(s.sc.Timing.Task.Seconds(), fn) }

// step runs a stock step's Lambda invocation number attempt (0-based) of the state machine.
func (s *sim) step(o *order, step string, attempt int) {
	s.storeAttempt(o, step, attempt, 0)
}

// storeAttempt is one pass of the store's loop (UpdateOrderStock): read the order, read the stock,
// decide, write conditionally.
func (s *sim) storeAttempt(o *order, step string, sfn, try int) {
	tm := s.sc.Timing
	// GetItem of the order (its own partition, never the limit), then the BatchGetItem of the item(s)
	// and the order's reservations.
	s.after(tm.ReadLatency.Seconds(), func() {
		shard := o.held
		if step == StepReserve {
			shard = o.home
		}
		s.read(o, step, sfn, try, shard, 0)
	})
}

// read is the BatchGetItem that reads the SKU's item(s) (and the order's reservations, elsewhere): the
// shard it works on and, when the pattern reads more of the SKU's items per attempt, the others in
// turn from shard 0 (the SKU's own item); a pattern reading as many items as there are shards reads
// them all and walks them without reading again. Each read is charged to its item's partition; when a
// partition refuses, the key comes back unprocessed and the store asks again at once (batchGet has
// no backoff). walked counts the shards a reservation already found empty.
func (s *sim) read(o *order, step string, sfn, try, shard, walked int) {
	tm, c := s.sc.Timing, s.cost[step]
	s.after(tm.ReadLatency.Seconds()/2, func() {
		wait := 0.0
		for _, k := range s.readSet(c, shard) {
			p := s.parts[s.items[k].part]
			need := c.readRRU * s.sc.Limits.PartitionWCU / s.sc.Limits.PartitionRCU
			if !p.take(s.now, need) {
				// Modelled as a turn in a queue for the partition's capacity, each ask in between
				// counted as a throttle.
				w := p.queue(s.now, need)
				asks := max(1, math.Ceil(w/tm.ReadLatency.Seconds()))
				s.res.Throttles += int(asks)
				wait = max(wait, asks*tm.ReadLatency.Seconds())
			}
			p.rru += c.readRRU
		}
		if wait > 0 {
			s.after(wait, func() { s.readDone(o, step, sfn, try, shard, walked) })
			return
		}
		s.readDone(o, step, sfn, try, shard, walked)
	})
}

// readSet is the shards one read of the step reads: its shard first, then the next ones round (a
// window, inventory.ReadWindow), and shard 0 for each read of the SKU's own item.
func (s *sim) readSet(c cost, shard int) []int {
	n := min(max(c.hotReads, 1), len(s.items))
	out := []int{shard}
	if n >= len(s.items) {
		for k := range s.items {
			if k != shard {
				out = append(out, k)
			}
		}
		return out
	}
	if c.itemReads > 0 && shard != 0 {
		out = append(out, 0)
	}
	for k := 1; len(out) < n; k++ {
		if next := (shard + k) % len(s.items); !slices.Contains(out, next) {
			out = append(out, next)
		}
	}
	return out
}

// readDone is the read served: it sees the item's committed state, and the store decides.
func (s *sim) readDone(o *order, step string, sfn, try, shard, walked int) {
	tm, it := s.sc.Timing, s.items[shard]
	version, available := it.version, it.available
	var read []stockItem // every shard as read, when the step reads them all
	if step == StepReserve && s.cost[step].hotReads >= len(s.items) {
		for _, x := range s.items {
			read = append(read, *x)
		}
	}
	s.after(tm.ReadLatency.Seconds()/2, func() {
		if step != StepReserve {
			s.write(o, step, sfn, try, shard, version)
			return
		}
		switch {
		case available >= 1:
			s.write(o, step, sfn, try, shard, version)
		case read != nil:
			// It read every shard: it goes to the next one with stock, as read, without reading again.
			for k := 1; k < len(read); k++ {
				if next := read[(shard+k)%len(read)]; next.available >= 1 {
					s.write(o, step, sfn, try, (shard+k)%len(read), next.version)
					return
				}
			}
			s.after(tm.WriteLatency.Seconds(), func() {
				s.res.Rejected++
				s.end(o, false)
			})
		case walked+1 < len(s.items):
			// Short: the sharded design walks on to the next shard (a read of it).
			s.read(o, step, sfn, try, (shard+1)%len(s.items), walked+1)
		default:
			// Out of stock everywhere: the order is rejected, a write of the order only.
			s.after(tm.WriteLatency.Seconds(), func() {
				s.res.Rejected++
				s.end(o, false)
			})
		}
	})
}

// write is the step's TransactWriteItems, conditional on the version read.
func (s *sim) write(o *order, step string, sfn, try, shard int, read int64) {
	tm, c := s.sc.Timing, s.cost[step]
	prepare := (tm.WriteLatency - tm.Hold).Seconds() / 2
	s.after(prepare, func() {
		it := s.items[shard]
		p := s.parts[it.part]
		rest := tm.WriteLatency.Seconds() - prepare
		if !p.take(s.now, c.writeWRU) {
			// Cancelled for capacity (TransactionCanceledException): neither the SDK nor the store
			// retries it; the task fails and the state machine's Retry takes over.
			s.res.Throttles++
			s.after(rest, func() { s.taskFailed(o, step, sfn) })
			return
		}
		p.wru += c.writeWRU
		switch {
		case s.now < it.holdUntil:
			s.res.Conflicts++
		case c.versions && it.version != read, !c.versions && step == StepReserve && it.available < 1:
			s.res.ConditionFails++
		default:
			it.holdUntil = s.now + tm.Hold.Seconds()
			s.after(tm.Hold.Seconds(), func() { s.commit(it, step) })
			s.after(rest, func() { s.done(o, step, shard) })
			return
		}
		// Cancelled, billed: the store reads and decides again, conflictAttempts in all.
		s.after(rest, func() {
			if try+1 < s.sc.Retries.StoreAttempts {
				s.storeAttempt(o, step, sfn, try+1)
				return
			}
			s.taskFailed(o, step, sfn)
		})
	})
}

func (s *sim) commit(it *stockItem, step string) {
	it.version++
	switch step {
	case StepReserve:
		it.available--
		it.reserved++
	case StepConfirm:
		it.reserved--
		it.sold++
	case StepRelease:
		it.reserved--
		it.available++
	}
}

// done follows a step that wrote: payment then confirmation after a reservation; the end after a
// confirmation or a release.
func (s *sim) done(o *order, step string, shard int) {
	tm := s.sc.Timing
	switch step {
	case StepReserve:
		o.held = shard
		s.after((tm.Task + tm.Authorize + tm.Task + tm.Capture).Seconds(), func() {
			s.task(func() { s.step(o, StepConfirm, 0) })
		})
	case StepConfirm:
		s.end(o, true)
	case StepRelease:
		// FinishOrder ends it FAILED.
		s.task(func() {
			s.res.Failed++
			s.end(o, false)
		})
	}
}

// taskFailed is a stock step's Lambda failing (ErrConflict, or a throttled transaction): the state
// machine retries it, then catches the error and compensates.
func (s *sim) taskFailed(o *order, step string, sfn int) {
	r := s.sc.Retries.Forward
	if step == StepRelease {
		r = s.sc.Retries.Compensation
	}
	if sfn < r.MaxAttempts {
		d := r.delay(sfn, s.rng.Float64())
		s.after(d.Seconds(), func() { s.task(func() { s.step(o, step, sfn+1) }) })
		return
	}
	tm := s.sc.Timing
	switch step {
	case StepReserve:
		// Nothing reserved: RefundPayment and ReleaseStock find nothing to do, FinishOrder ends it FAILED.
		s.after((3 * tm.Task).Seconds(), func() {
			s.res.Failed++
			s.end(o, false)
		})
	case StepConfirm:
		// RefundPayment voids the authorization, then ReleaseStock gives the unit back.
		s.after((tm.Task + tm.Capture).Seconds(), func() { s.task(func() { s.step(o, StepRelease, 0) }) })
	case StepRelease:
		// CompensationFailed: the order's unit stays reserved; an operator redrives it.
		s.res.Failed++
		s.res.Stuck++
		s.end(o, false)
	}
}
