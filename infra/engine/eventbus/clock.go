package eventbus

import (
	"fmt"
	"sync"
	"time"
)

// Clock is the time scheduled rules run on.
type Clock interface {
	Now() time.Time
	// At returns a channel that receives the time once t has come, and a function that stops it.
	At(t time.Time) (<-chan time.Time, func() bool)
}

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }
func (wallClock) At(t time.Time) (<-chan time.Time, func() bool) {
	timer := time.NewTimer(time.Until(t))
	return timer.C, timer.Stop
}

// ManualClock is a Clock that moves only when told (tests): each Tick lets one waiting schedule (the
// first to wait) fire at the time it asked for, without waiting real minutes.
type ManualClock struct {
	mu      sync.Mutex
	now     time.Time
	waiting []manualWait
}

type manualWait struct {
	at time.Time
	ch chan time.Time
}

// NewManualClock starts a manual clock at now.
func NewManualClock(now time.Time) *ManualClock { return &ManualClock{now: now} }

// Now is the clock's time: its start, then the time of the last Tick.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// At registers a wait that a Tick releases.
func (c *ManualClock) At(t time.Time) (<-chan time.Time, func() bool) {
	ch := make(chan time.Time, 1)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waiting = append(c.waiting, manualWait{at: t, ch: ch})
	return ch, func() bool { return true }
}

// AwaitWaiting waits up to timeout until n schedules wait on the clock. A stack's schedules start
// waiting from goroutines of their own, in no set order: a test that ticks for each of them waits for
// all first, or a Tick may fire one schedule twice before another has started to wait.
func (c *ManualClock) AwaitWaiting(n int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c.mu.Lock()
		got := len(c.waiting)
		c.mu.Unlock()
		if got >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("eventbus: %d of %d schedules waited on the clock within %s", got, n, timeout)
		}
		time.Sleep(time.Millisecond)
	}
}

// Tick waits up to timeout for a schedule to wait on the clock, moves the clock to the time it waits
// for and releases it, then waits until that schedule has fired and waits again (or timeout): when
// Tick returns, the firing's deliveries have started (Bus.Wait waits for them). It returns the time
// the schedule fired for.
func (c *ManualClock) Tick(timeout time.Duration) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	var w manualWait
	for {
		c.mu.Lock()
		if len(c.waiting) > 0 {
			w, c.waiting = c.waiting[0], c.waiting[1:]
			if w.at.After(c.now) {
				c.now = w.at
			}
			c.mu.Unlock()
			break
		}
		c.mu.Unlock()
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("eventbus: no schedule waited on the clock within %s", timeout)
		}
		time.Sleep(time.Millisecond)
	}
	w.ch <- w.at
	for time.Now().Before(deadline) {
		c.mu.Lock()
		// w left the list above: a later wait is the fired schedule's next one (or another schedule's).
		for _, x := range c.waiting {
			if x.at.After(w.at) {
				c.mu.Unlock()
				return w.at, nil
			}
		}
		c.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
	return w.at, nil
}
