package account

import (
	"context"
	"time"
)

// Floors of the anonymous account endpoints: each answers no sooner than this after it began, so
// that how long it took cannot tell whether the address has an account. Each is above the slowest
// path of its use case on AWS: register's slowest makes six Cognito calls (SignUp, AdminGetUser,
// AdminDeleteUser, SignUp, AdminConfirmSignUp, AdminUpdateUserAttributes) or three and an SES send,
// each tens of milliseconds in the region, plus the first request's read of the client secret; the
// code endpoints make one or two. A path slower than its floor (a throttled retry) shows, but it shows
// for any address alike.
const (
	RegisterFloor = 1500 * time.Millisecond
	CodeFloor     = 750 * time.Millisecond
)

// Pace holds an answer until a floor has passed since the request began. Now and Sleep are the clock
// (time.Now and a context-aware sleep unless a test sets them).
type Pace struct {
	Floor time.Duration
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration)
}

// NewPace is a pace with the real clock.
func NewPace(floor time.Duration) Pace {
	return Pace{Floor: floor, Now: time.Now, Sleep: sleep}
}

// Start begins a request; the function it returns waits for the rest of the floor.
func (p Pace) Start(ctx context.Context) func() {
	if p.Now == nil || p.Sleep == nil {
		return func() {}
	}
	began := p.Now()
	return func() {
		if rest := p.Floor - p.Now().Sub(began); rest > 0 {
			p.Sleep(ctx, rest)
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
