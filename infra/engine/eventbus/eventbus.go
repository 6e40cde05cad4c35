// Package eventbus delivers events put on a local EventBridge bus to the targets of every matching rule,
// as EventBridge does: pattern matching, Input / InputPath / InputTransformer, the target's retry policy
// (exponential backoff bounded by attempts and event age) and its dead-letter queue. Scheduled rules
// (rate and cron expressions) send their targets the Scheduled Event the same way (schedule.go).
//
// The bus itself lives in the AWS emulator (so archives and `aws events` calls see it); this package only
// adds what the emulator cannot do, which is calling Lambda functions and state machines, and firing
// schedules.
package eventbus

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/orion-oss/orion/infra/engine/eventpattern"
	"github.com/orion-oss/orion/infra/engine/xray"
)

// Event is one EventBridge event, in the shape targets receive it.
type Event struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       string          `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
	// TraceHeader is the X-Ray trace header the event was put with (the entry's TraceHeader or the
	// PutEvents request's X-Amzn-Trace-Id). Targets are invoked in that trace; as on AWS it is not part
	// of the event they receive.
	TraceHeader string `json:"-"`
}

// RetryPolicy is a target's EventBridge retry policy; zero values mean AWS's defaults (185 attempts,
// 24 hours).
type RetryPolicy struct {
	MaximumRetryAttempts     *int
	MaximumEventAgeInSeconds *int
}

// Target is one rule target.
type Target struct {
	ID               string
	Arn              string
	Input            *string // constant JSON input
	InputPath        string
	InputTransformer *eventpattern.InputTransformer
	RetryPolicy      RetryPolicy
	DeadLetterArn    string
}

// Rule routes the events of one bus that match its pattern, and, with a Schedule, sends its targets
// EventBridge's "Scheduled Event" each time the schedule fires (schedule.go). A rule has a pattern, a
// schedule or both.
type Rule struct {
	Name, Arn, Bus string
	Pattern        *eventpattern.Pattern
	Schedule       *Schedule
	Targets        []Target
}

// Dispatcher hands a transformed event to a target (invokes a function asynchronously, starts an
// execution, sends a message). An error means the target did not accept the event and EventBridge's
// retry policy applies; what happens after acceptance (Lambda's own async retries) is the target's.
type Dispatcher interface {
	Dispatch(ctx context.Context, targetArn string, input []byte) error
}

// DeadLetters receives events that exhausted a target's retries.
type DeadLetters interface {
	SendDeadLetter(ctx context.Context, queueArn string, body []byte, attrs map[string]string) error
}

// Options tune delivery.
type Options struct {
	Logger *slog.Logger
	// RetryBase is the first retry delay; EventBridge backs off exponentially with jitter from about a
	// second. Tests make it small.
	RetryBase time.Duration
	// OnDelivery observes each finished delivery (for `make dev` logs and metrics).
	OnDelivery func(Delivery)
	// Clock drives scheduled rules; nil is the wall clock. Tests fire schedules without waiting.
	Clock Clock
	// Perturb, when set, is asked for each event and matching target whether to deliver it twice and
	// how long to hold the delivery back (injected faults, docs/faults.md): EventBridge delivers at
	// least once and in no particular order, and consumers must cope. Nil costs nothing.
	Perturb func(rule, target string, ev Event) (twice bool, hold time.Duration)
}

// Delivery describes one event's delivery to one target.
type Delivery struct {
	Rule, Target, EventID, DetailType string
	Attempts                          int
	Err                               error
	DeadLettered                      bool
	Duration                          time.Duration
	// Duplicate marks the extra copy of an injected duplicate; Held is an injected hold-back.
	Duplicate bool
	Held      time.Duration
}

// Bus matches and delivers. Publish returns at once; deliveries run in the background, and Close waits.
type Bus struct {
	dispatch Dispatcher
	dlq      DeadLetters
	opts     Options

	mu     sync.RWMutex
	rules  map[string][]Rule // by bus name
	wg     sync.WaitGroup    // deliveries
	timers sync.WaitGroup    // scheduled rules
	ctx    context.Context
	cancel context.CancelFunc
}

// New creates a Bus with no rules.
func New(d Dispatcher, dlq DeadLetters, opts Options) *Bus {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.RetryBase <= 0 {
		opts.RetryBase = time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Bus{dispatch: d, dlq: dlq, opts: opts, rules: map[string][]Rule{}, ctx: ctx, cancel: cancel}
}

// AddRule registers a rule; its pattern must be compiled. A scheduled rule starts running now, until
// Close.
func (b *Bus) AddRule(r Rule) error {
	if r.Pattern == nil && r.Schedule == nil {
		return fmt.Errorf("eventbus: rule %s has neither an event pattern nor a schedule", r.Name)
	}
	if r.Bus == "" {
		r.Bus = "default"
	}
	if r.Schedule != nil {
		// "Scheduled rules are supported only on the default event bus" (PutRule, ScheduleExpression).
		if r.Bus != "default" {
			return fmt.Errorf("eventbus: rule %s: a schedule runs only on the default bus, not %s", r.Name, r.Bus)
		}
		if err := b.ctx.Err(); err != nil {
			return fmt.Errorf("eventbus: rule %s: the bus is closed", r.Name)
		}
		// The first firing is computed now: a rate counts from the rule's creation.
		first := r.Schedule.Next(b.clock().Now())
		b.timers.Add(1)
		go func() {
			defer b.timers.Done()
			b.runSchedule(r, first)
		}()
	}
	if r.Pattern == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.rules[r.Bus] = append(b.rules[r.Bus], r)
	return nil
}

// Rules returns the rules of a bus.
func (b *Bus) Rules(bus string) []Rule {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return append([]Rule(nil), b.rules[bus]...)
}

// Publish delivers an event to every matching target and returns how many targets it matched.
func (b *Bus) Publish(bus string, ev Event) (int, error) {
	raw, err := json.Marshal(ev)
	if err != nil {
		return 0, fmt.Errorf("eventbus: encode event: %w", err)
	}
	// Decode once; every rule of the bus matches against the same document.
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return 0, fmt.Errorf("eventbus: decode event: %w", err)
	}
	matched := 0
	for _, r := range b.Rules(bus) {
		if r.Pattern.MatchValue(doc) {
			matched += b.route(r, ev, raw)
		}
	}
	return matched, nil
}

// route starts the delivery of one event to every target of a rule it matched, and returns how many
// targets it went to.
func (b *Bus) route(r Rule, ev Event, raw []byte) int {
	matched := 0
	for _, t := range r.Targets {
		input, err := transform(raw, r, t)
		if err != nil {
			// EventBridge sends an event whose transformation fails to the DLQ without retrying.
			b.deadLetter(r, t, ev, raw, 1, err)
			continue
		}
		matched++
		var p perturbation
		if b.opts.Perturb != nil {
			p.twice, p.hold = b.opts.Perturb(r.Name, t.ID, ev)
		}
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			b.deliver(r, t, ev, raw, input, p)
		}()
		if p.twice {
			b.wg.Add(1)
			go func() {
				defer b.wg.Done()
				b.deliver(r, t, ev, raw, input, perturbation{copy: true})
			}()
		}
	}
	return matched
}

func transform(raw []byte, r Rule, t Target) ([]byte, error) {
	switch {
	case t.Input != nil:
		return []byte(*t.Input), nil
	case t.InputPath != "":
		return eventpattern.ApplyInputPath(raw, t.InputPath)
	case t.InputTransformer != nil:
		return t.InputTransformer.Apply(raw, eventpattern.RuleContext{Name: r.Name, ARN: r.Arn})
	default:
		return raw, nil
	}
}

// perturbation is what an injected fault does to one delivery.
type perturbation struct {
	twice, copy bool
	hold        time.Duration
}

func (b *Bus) deliver(r Rule, t Target, ev Event, raw, input []byte, p perturbation) {
	start := time.Now()
	if p.hold > 0 {
		select {
		case <-time.After(p.hold):
		case <-b.ctx.Done():
			return
		}
	}
	maxAttempts := 1 + 185
	if p := t.RetryPolicy.MaximumRetryAttempts; p != nil {
		maxAttempts = 1 + *p
	}
	maxAge := 24 * time.Hour
	if p := t.RetryPolicy.MaximumEventAgeInSeconds; p != nil {
		maxAge = time.Duration(*p) * time.Second
	}
	ctx := b.ctx
	if ev.TraceHeader != "" {
		ctx = xray.WithHeader(ctx, ev.TraceHeader) // Dispatch reads it with xray.Carried
	}
	var err error
	attempt := 0
	for attempt < maxAttempts {
		attempt++
		if err = b.dispatch.Dispatch(ctx, t.Arn, input); err == nil {
			break
		}
		if b.ctx.Err() != nil {
			break
		}
		delay := backoff(b.opts.RetryBase, attempt)
		if time.Since(start)+delay > maxAge || attempt == maxAttempts {
			break
		}
		b.opts.Logger.Warn("eventbus: target refused event, retrying", "rule", r.Name, "target", t.ID,
			"eventId", ev.ID, "attempt", attempt, "error", err)
		select {
		case <-time.After(delay):
		case <-b.ctx.Done():
		}
	}
	d := Delivery{Rule: r.Name, Target: t.ID, EventID: ev.ID, DetailType: ev.DetailType, Attempts: attempt, Err: err, Duration: time.Since(start),
		Duplicate: p.copy, Held: p.hold}
	if err != nil {
		d.DeadLettered = b.deadLetter(r, t, ev, raw, attempt, err)
	}
	if b.opts.OnDelivery != nil {
		b.opts.OnDelivery(d)
	}
}

// backoff is exponential with full jitter, capped at a few minutes like EventBridge's schedule.
func backoff(base time.Duration, attempt int) time.Duration {
	d := base << min(attempt-1, 8)
	return d/2 + rand.N(d/2+1)
}

// deadLetter sends the original event with EventBridge's DLQ attributes; without a DLQ the event is
// dropped, which is logged at error level because nothing else will ever see it.
func (b *Bus) deadLetter(r Rule, t Target, ev Event, raw []byte, attempts int, cause error) bool {
	log := b.opts.Logger.With("rule", r.Name, "target", t.ID, "eventId", ev.ID, "detailType", ev.DetailType, "error", cause)
	if t.DeadLetterArn == "" || b.dlq == nil {
		log.Error("eventbus: event dropped after retries; the target has no dead-letter queue")
		return false
	}
	attrs := map[string]string{
		"RULE_ARN":                  r.Arn,
		"TARGET_ARN":                t.Arn,
		"ERROR_CODE":                errorCode(cause),
		"ERROR_MESSAGE":             cause.Error(),
		"EXHAUSTED_RETRY_CONDITION": "MaximumRetryAttempts",
		"RETRY_ATTEMPTS":            fmt.Sprint(attempts - 1),
	}
	if err := b.dlq.SendDeadLetter(context.WithoutCancel(b.ctx), t.DeadLetterArn, raw, attrs); err != nil {
		log.Error("eventbus: event lost: dead-letter queue refused it", "dlq", t.DeadLetterArn, "dlqError", err)
		return false
	}
	log.Warn("eventbus: event sent to dead-letter queue", "dlq", t.DeadLetterArn)
	return true
}

// CodedError lets a dispatcher name the error code EventBridge would report.
type CodedError interface{ ErrorCode() string }

func errorCode(err error) string {
	var c CodedError
	if errors.As(err, &c) {
		return c.ErrorCode()
	}
	return "SDK_CLIENT_ERROR"
}

// Close stops retrying and waits for deliveries in flight.
func (b *Bus) Close() {
	b.cancel()
	b.timers.Wait() // no firing starts a delivery after this
	b.wg.Wait()
}

// Wait blocks until every delivery started so far has finished (tests, graceful shutdown).
func (b *Bus) Wait() { b.wg.Wait() }
