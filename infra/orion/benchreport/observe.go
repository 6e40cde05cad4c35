package benchreport

import (
	"encoding/json"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/orion-oss/orion/infra/engine/eventbus"
	"github.com/orion-oss/orion/infra/engine/lambdahost"
	"github.com/orion-oss/orion/infra/engine/states"
)

// observer collects what the local runtime reports: invocations (stack.Config.OnInvoke), state
// transitions (OnTransition), events on the bus (OnEvent); and wakes whoever waits for an order's
// outcome event.
type observer struct {
	mu       sync.Mutex
	last     time.Time
	fns      map[string]*fnUse
	trans    int
	retries  int
	events   map[string]int // detail-type -> count
	waiters  map[string][]waiter
	outcomes map[string][]outcome // order id -> outcome events seen
}

type fnUse struct {
	Invocations, Cold int
	Billed, Duration  time.Duration
}

type waiter struct {
	types []string
	ch    chan outcome
}

type outcome struct {
	Type string
	At   time.Time
}

func newObserver() *observer {
	return &observer{last: time.Now(), fns: map[string]*fnUse{}, events: map[string]int{}, waiters: map[string][]waiter{}, outcomes: map[string][]outcome{}}
}

func (o *observer) invoked(r lambdahost.Record) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.last = time.Now()
	u := o.fns[r.Function]
	if u == nil {
		u = &fnUse{}
		o.fns[r.Function] = u
	}
	u.Invocations++
	u.Billed += r.Billed
	u.Duration += r.Duration
	if r.Cold {
		u.Cold++
	}
}

// transition counts what Step Functions Standard bills: every state entered, and every retry of a
// failed attempt (https://aws.amazon.com/step-functions/pricing/).
func (o *observer) transition(_ string, t states.Transition) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.last = time.Now()
	switch {
	case t.Attempt:
		o.retries++
	case t.Entered:
		o.trans++
	}
}

var terminalTypes = []string{"OrderConfirmed", "OrderRejected", "OrderCancelled", "OrderFailed"}

func (o *observer) event(_ string, ev eventbus.Event) {
	now := time.Now()
	var d struct {
		Data struct {
			OrderID string `json:"orderId"`
		} `json:"data"`
	}
	_ = json.Unmarshal(ev.Detail, &d)
	o.mu.Lock()
	defer o.mu.Unlock()
	o.last = now
	if ev.Source != "aws.states" {
		o.events[ev.DetailType]++
	} else {
		o.events["(Step Functions status change)"]++
	}
	id := d.Data.OrderID
	if id == "" {
		return
	}
	oc := outcome{Type: ev.DetailType, At: now}
	if isTerminal(ev.DetailType) {
		o.outcomes[id] = append(o.outcomes[id], oc)
	}
	keep := o.waiters[id][:0]
	for _, w := range o.waiters[id] {
		if contains(w.types, ev.DetailType) {
			w.ch <- oc
			continue
		}
		keep = append(keep, w)
	}
	o.waiters[id] = keep
}

func isTerminal(t string) bool { return contains(terminalTypes, t) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// wait returns a channel that receives the order's first event of one of types, from now on or
// already seen (outcome events only).
func (o *observer) wait(orderID string, types ...string) <-chan outcome {
	ch := make(chan outcome, 1)
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, oc := range o.outcomes[orderID] {
		if contains(types, oc.Type) {
			ch <- oc
			return ch
		}
	}
	o.waiters[orderID] = append(o.waiters[orderID], waiter{types: types, ch: ch})
	return ch
}

// quiet waits until nothing was invoked, routed or transitioned for d (at most limit).
func (o *observer) quiet(d, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		o.mu.Lock()
		since := time.Since(o.last)
		o.mu.Unlock()
		if since >= d {
			return
		}
		time.Sleep(d - since)
	}
}

// counts is a copy of the observer's counters.
type counts struct {
	fns              map[string]fnUse
	trans, retries   int
	events           map[string]int
	terminalByOrders map[string]int // order id -> number of terminal events
}

func (o *observer) snapshot() counts {
	o.mu.Lock()
	defer o.mu.Unlock()
	c := counts{fns: map[string]fnUse{}, trans: o.trans, retries: o.retries, events: maps.Clone(o.events), terminalByOrders: map[string]int{}}
	for k, v := range o.fns {
		c.fns[k] = *v
	}
	for id, ocs := range o.outcomes {
		c.terminalByOrders[id] = len(ocs)
	}
	return c
}

// shortName drops the local stack's "<stack>-" prefix and the "Function" suffix of a function's name.
func shortName(name string) string {
	if i := strings.LastIndex(name, "-"); i >= 0 {
		name = name[i+1:]
	}
	return strings.TrimSuffix(name, "Function")
}
