package states

import (
	"context"
	"encoding/json"
	"sync"
	"time"
)

// Tokens holds the task tokens of .waitForTaskToken tasks until SendTaskSuccess, SendTaskFailure or a
// heartbeat timeout ends the wait.
type Tokens struct {
	mu      sync.Mutex
	waiting map[string]*waiter
}

type waiter struct {
	done  chan tokenResult
	beats chan struct{}
}

type tokenResult struct {
	output any
	err    *Failure
}

// ErrInvalidToken is a token that no task is waiting for.
var ErrInvalidToken = &Failure{Name: "TaskDoesNotExist", Cause: "no task is waiting for this token"}

func (t *Tokens) open(token string) *waiter {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.waiting == nil {
		t.waiting = map[string]*waiter{}
	}
	w := &waiter{done: make(chan tokenResult, 1), beats: make(chan struct{}, 1)}
	t.waiting[token] = w
	return w
}

func (t *Tokens) close(token string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.waiting, token)
}

func (t *Tokens) get(token string) *waiter {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.waiting[token]
}

// Succeed ends a wait with the task's output (JSON).
func (t *Tokens) Succeed(token, output string) error {
	w := t.get(token)
	if w == nil {
		return ErrInvalidToken
	}
	var v any
	if err := json.Unmarshal([]byte(output), &v); err != nil {
		return &Failure{Name: "InvalidOutput", Cause: "output is not JSON"}
	}
	select {
	case w.done <- tokenResult{output: v}:
	default:
	}
	return nil
}

// Fail ends a wait with an error.
func (t *Tokens) Fail(token, name, cause string) error {
	w := t.get(token)
	if w == nil {
		return ErrInvalidToken
	}
	select {
	case w.done <- tokenResult{err: &Failure{Name: name, Cause: cause}}:
	default:
	}
	return nil
}

// Heartbeat tells a waiting task that its worker is alive.
func (t *Tokens) Heartbeat(token string) error {
	w := t.get(token)
	if w == nil {
		return ErrInvalidToken
	}
	select {
	case w.beats <- struct{}{}:
	default:
	}
	return nil
}

// wait blocks until the token is answered, the heartbeat lapses (States.Timeout) or ctx ends.
func (w *waiter) wait(ctx context.Context, heartbeat time.Duration) (any, error) {
	var beat <-chan time.Time
	var timer *time.Timer
	if heartbeat > 0 {
		timer = time.NewTimer(heartbeat)
		defer timer.Stop()
		beat = timer.C
	}
	for {
		select {
		case r := <-w.done:
			if r.err != nil {
				return nil, r.err
			}
			return r.output, nil
		case <-w.beats:
			if timer != nil {
				timer.Reset(heartbeat)
			}
		case <-beat:
			// AWS records a lapsed heartbeat as States.Timeout with no cause (observed, LocalStack's
			// timeouts/test_heartbeats.snapshot.json); States.HeartbeatTimeout "is only available
			// inside the Catch and Retry fields" (concepts-error-handling.html), where it matches
			// this failure and not a task's own timeout (matchedBy).
			f := fail("States.Timeout", "")
			f.heartbeat = true
			return nil, f
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
