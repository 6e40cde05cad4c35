package ws

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/orion-oss/orion/internal/customer"
)

// SweepStore is the connections table as the sweeper reads it.
type SweepStore interface {
	// Expired lists the connections whose ExpiresAt is not after now.
	Expired(ctx context.Context, now time.Time) ([]Connection, error)
	// Admins lists the connections opened with an admin's token.
	Admins(ctx context.Context) ([]Connection, error)
	Delete(ctx context.Context, id string, topics ...string) error
}

// Closer ends a connection (the Management API's DeleteConnection); ErrGone when API Gateway no
// longer knows it.
type Closer interface {
	Close(ctx context.Context, connID string) error
}

// Groups tells whether a user is in the admin group now (the user pool, not the token).
type Groups interface {
	IsAdmin(ctx context.Context, user customer.ID) (bool, error)
}

// Sweeper ends the connections that must not live on: those whose token expired and the admin ones
// whose user is no longer in `admin`. API Gateway itself keeps a connection open up to 2 hours and 10
// idle minutes whatever the token says (docs.aws.amazon.com/apigateway/latest/developerguide/
// limits.html, "Connection duration for WebSocket API" and "Idle Connection Timeout"), so only a
// DeleteConnection call ends it sooner. The template runs the sweeper every minute; a connection ends
// at most about a minute after its token (and messages and pushes to it stop at the expiry itself).
//
// Each step is idempotent: closing a gone connection is ErrGone and no error, deleting a deleted row
// is no error, and $disconnect, which API Gateway runs after DeleteConnection, deletes the row again.
type Sweeper struct {
	Store  SweepStore
	Closer Closer
	Groups Groups
	Logger *slog.Logger
	Now    func() time.Time
}

// SweepResult counts what one sweep ended.
type SweepResult struct {
	Expired, Demoted int
}

// Sweep ends every expired connection and every admin connection of a user no longer in `admin`. A
// failure with one connection does not stop the others; the first is returned (the next run retries).
func (s Sweeper) Sweep(ctx context.Context) (SweepResult, error) {
	log := logger(s.Logger)
	var res SweepResult
	var errs []error
	expired, err := s.Store.Expired(ctx, now(s.Now))
	if err != nil {
		return res, fmt.Errorf("ws: sweep: %w", err)
	}
	ended := map[string]bool{}
	for _, c := range expired {
		if err := s.end(ctx, c, "token expired"); err != nil {
			errs = append(errs, err)
			continue
		}
		ended[c.ID] = true
		res.Expired++
	}
	admins, err := s.Store.Admins(ctx)
	if err != nil {
		return res, errors.Join(append(errs, fmt.Errorf("ws: sweep admins: %w", err))...)
	}
	checked := map[customer.ID]bool{} // one lookup per user, however many connections it has
	for _, c := range admins {
		if ended[c.ID] {
			continue // an expired admin connection, ended above (the index may still list it)
		}
		still, ok := checked[c.UserID]
		if !ok {
			if still, err = s.Groups.IsAdmin(ctx, c.UserID); err != nil {
				errs = append(errs, fmt.Errorf("ws: groups of %s: %w", c.UserID, err))
				continue
			}
			checked[c.UserID] = still
		}
		if still {
			continue
		}
		if err := s.end(ctx, c, "no longer an admin"); err != nil {
			errs = append(errs, err)
			continue
		}
		res.Demoted++
	}
	log.InfoContext(ctx, "ws: swept", "expired", res.Expired, "demoted", res.Demoted, "failed", len(errs))
	if len(errs) > 0 {
		return res, errs[0]
	}
	return res, nil
}

// end closes the connection and forgets it (the row, its slot, its watches).
func (s Sweeper) end(ctx context.Context, c Connection, why string) error {
	log := logger(s.Logger).With("connectionId", c.ID, "userId", c.UserID, "reason", why)
	if err := s.Closer.Close(ctx, c.ID); err != nil && !errors.Is(err, ErrGone) {
		log.WarnContext(ctx, "ws: connection not closed", "error", err)
		return fmt.Errorf("ws: close %s: %w", c.ID, err)
	}
	if err := s.Store.Delete(ctx, c.ID); err != nil {
		log.WarnContext(ctx, "ws: closed connection not deleted", "error", err)
		return fmt.Errorf("ws: delete %s: %w", c.ID, err)
	}
	log.InfoContext(ctx, "ws: connection ended")
	return nil
}

// ScheduledEvent is what the scheduled rule delivers, as far as the sweeper reads it: EventBridge's
// "Scheduled Event" from source aws.events (docs.aws.amazon.com/eventbridge/latest/ref/events-ref-events.html).
type ScheduledEvent struct {
	Source     string `json:"source"`
	DetailType string `json:"detail-type"`
}

// ErrNotScheduled is the answer to an invocation that is not the scheduled rule's: a stray or test
// invocation does not sweep (nor call AWS).
var ErrNotScheduled = errors.New("ws: not a scheduled event; nothing swept")

// HandleSchedule is the Lambda entry point of the scheduled rule; the event carries nothing it needs
// beyond being the schedule's.
func (s Sweeper) HandleSchedule(ctx context.Context, ev ScheduledEvent) error {
	if ev.Source != "aws.events" || ev.DetailType != "Scheduled Event" {
		return ErrNotScheduled
	}
	_, err := s.Sweep(ctx)
	return err
}
