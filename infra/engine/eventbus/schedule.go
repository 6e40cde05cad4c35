package eventbus

import (
	cryptorand "crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ErrSchedule is wrapped by the error for a schedule expression EventBridge refuses or the local
// runtime does not run.
var ErrSchedule = errors.New("eventbus: schedule expression")

// Schedule is a parsed EventBridge schedule expression: rate(...) or cron(...), in UTC
// (docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html and
// eb-rate-expressions.html).
type Schedule struct {
	expr  string
	every time.Duration // rate
	cron  *cron
}

// String is the expression as written.
func (s *Schedule) String() string { return s.expr }

// Next is the first time after t the schedule fires. A rate fires every period from when the rule is
// created ("A rate expression starts when you create the scheduled event rule"); a cron fires at each
// matching minute. The zero time means never again (a cron whose years are over).
func (s *Schedule) Next(t time.Time) time.Time {
	if s.cron != nil {
		return s.cron.next(t.UTC())
	}
	return t.Add(s.every)
}

var rateExpr = regexp.MustCompile(`^rate\(([0-9]+) (minute|minutes|hour|hours|day|days)\)$`)

// ParseSchedule parses a rule's ScheduleExpression. Everything EventBridge refuses is refused; cron's
// L, W and # wildcards are valid on AWS but not run locally, and are refused too, so that a template
// using them fails at start instead of never firing.
func ParseSchedule(expr string) (*Schedule, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w %q: %s", ErrSchedule, expr, fmt.Sprintf(format, a...))
	}
	switch {
	case strings.HasPrefix(expr, "rate("):
		m := rateExpr.FindStringSubmatch(expr)
		if m == nil {
			return nil, bad("want rate(<positive integer> minute|minutes|hour|hours|day|days)")
		}
		n, err := strconv.Atoi(m[1])
		if err != nil || n <= 0 {
			return nil, bad("the value must be a positive integer")
		}
		// "If the value is equal to 1, then the unit must be singular. If the value is greater than 1,
		// the unit must be plural."
		if plural := strings.HasSuffix(m[2], "s"); plural != (n > 1) {
			return nil, bad("the unit must be singular for 1 and plural above")
		}
		unit := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}[strings.TrimSuffix(m[2], "s")]
		return &Schedule{expr: expr, every: time.Duration(n) * unit}, nil
	case strings.HasPrefix(expr, "cron(") && strings.HasSuffix(expr, ")"):
		c, err := parseCron(strings.TrimSuffix(strings.TrimPrefix(expr, "cron("), ")"))
		if err != nil {
			return nil, bad("%v", err)
		}
		return &Schedule{expr: expr, cron: c}, nil
	}
	return nil, bad("not a rate(...) or cron(...) expression")
}

// cron is the six fields of a cron expression as sets of allowed values. Day-of-week is 1-7 for
// SUN-SAT; exactly one of the day fields is "?" (anyDOM or anyDOW).
type cron struct {
	minute, hour, dom, month, dow, year map[int]bool
	anyDOM, anyDOW                      bool
}

type cronField struct {
	name     string
	min, max int
	names    []string // names[i] is value min+i
}

var cronFields = []cronField{
	{name: "minutes", min: 0, max: 59},
	{name: "hours", min: 0, max: 23},
	{name: "day-of-month", min: 1, max: 31},
	{name: "month", min: 1, max: 12, names: strings.Fields("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC")},
	{name: "day-of-week", min: 1, max: 7, names: strings.Fields("SUN MON TUE WED THU FRI SAT")},
	{name: "year", min: 1970, max: 2199},
}

func parseCron(s string) (*cron, error) {
	f := strings.Fields(s)
	if len(f) != 6 {
		return nil, fmt.Errorf("cron expressions have six fields (minutes hours day-of-month month day-of-week year), not %d", len(f))
	}
	sets := make([]map[int]bool, 6)
	for i, spec := range cronFields {
		if f[i] == "?" {
			if i != 2 && i != 4 {
				return nil, fmt.Errorf("? is only allowed in day-of-month and day-of-week")
			}
			continue
		}
		set, err := spec.parse(f[i])
		if err != nil {
			return nil, err
		}
		sets[i] = set
	}
	// "You can't specify the Day-of-month and Day-of-week fields in the same cron expression. If you
	// specify a value or a * (asterisk) in one of the fields, you must use a ? (question mark) in the other."
	anyDOM, anyDOW := f[2] == "?", f[4] == "?"
	if anyDOM == anyDOW {
		return nil, fmt.Errorf("exactly one of day-of-month and day-of-week must be ?")
	}
	return &cron{minute: sets[0], hour: sets[1], dom: sets[2], month: sets[3], dow: sets[4], year: sets[5], anyDOM: anyDOM, anyDOW: anyDOW}, nil
}

func (c cronField) parse(s string) (map[int]bool, error) {
	if strings.ContainsAny(s, "LW#") && !c.isName(s) {
		return nil, fmt.Errorf("%s %q: the L, W and # wildcards are not run by the local runtime", c.name, s)
	}
	set := map[int]bool{}
	for _, part := range strings.Split(s, ",") {
		rng, stepText, stepped := strings.Cut(part, "/")
		lo, hi := c.min, c.max
		if rng != "*" {
			a, b, isRange := strings.Cut(rng, "-")
			var err error
			if lo, err = c.value(a); err != nil {
				return nil, err
			}
			hi = lo
			if isRange {
				if hi, err = c.value(b); err != nil {
					return nil, err
				}
				if hi < lo {
					return nil, fmt.Errorf("%s %q: the range ends before it starts", c.name, part)
				}
			} else if stepped {
				hi = c.max // "1/10": every tenth from 1
			}
		}
		step := 1
		if stepped {
			n, err := strconv.Atoi(stepText)
			if err != nil || n <= 0 {
				return nil, fmt.Errorf("%s %q: the increment must be a positive integer", c.name, part)
			}
			step = n
		}
		for v := lo; v <= hi; v += step {
			set[v] = true
		}
	}
	return set, nil
}

func (c cronField) isName(s string) bool {
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '-' || r == '/' }) {
		if _, err := c.value(part); err != nil {
			return false
		}
	}
	return true
}

func (c cronField) value(s string) (int, error) {
	for i, n := range c.names {
		if strings.EqualFold(s, n) {
			return c.min + i, nil
		}
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < c.min || v > c.max {
		return 0, fmt.Errorf("%s %q: want %d-%d", c.name, s, c.min, c.max)
	}
	return v, nil
}

// next walks forward from the minute after t, skipping whole years, months, days and hours that cannot
// match: at most a few thousand steps even for a yearly schedule.
func (c *cron) next(t time.Time) time.Time {
	t = t.Truncate(time.Minute).Add(time.Minute)
	for t.Year() <= cronFields[5].max {
		switch {
		case !c.year[t.Year()]:
			t = time.Date(t.Year()+1, 1, 1, 0, 0, 0, 0, time.UTC)
		case !c.month[int(t.Month())]:
			t = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, time.UTC)
		case !c.day(t):
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, time.UTC)
		case !c.hour[t.Hour()]:
			t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour()+1, 0, 0, 0, time.UTC)
		case !c.minute[t.Minute()]:
			t = t.Add(time.Minute)
		default:
			return t
		}
	}
	return time.Time{}
}

func (c *cron) day(t time.Time) bool {
	if c.anyDOM {
		return c.dow[int(t.Weekday())+1] // time.Sunday is 0; EventBridge's SUN is 1
	}
	return c.dom[t.Day()]
}

// runSchedule fires a scheduled rule until the bus closes. Each firing sends the documented
// "Scheduled Event" (docs.aws.amazon.com/eventbridge/latest/ref/events-ref-events.html, "Scheduled
// Event"; also in eb-run-lambda-schedule.html) to every target, through the same Input / InputPath /
// InputTransformer, retry policy and dead-letter queue as a pattern rule's events. A firing missed
// while the process slept is skipped rather than made up in a burst.
func (b *Bus) runSchedule(r Rule, next time.Time) {
	clock := b.clock()
	for !next.IsZero() {
		fire, stop := clock.At(next)
		select {
		case <-b.ctx.Done():
			stop()
			return
		case <-fire:
		}
		if b.ctx.Err() != nil {
			return
		}
		b.fire(r, next)
		now := clock.Now()
		for next = r.Schedule.Next(next); !next.IsZero() && next.Before(now); next = r.Schedule.Next(next) {
		}
	}
}

func (b *Bus) clock() Clock {
	if b.opts.Clock == nil {
		return wallClock{}
	}
	return b.opts.Clock
}

// fire delivers one Scheduled Event of rule r, for the time it was scheduled.
func (b *Bus) fire(r Rule, at time.Time) {
	ev := ScheduledEvent(r.Arn, at)
	raw, err := json.Marshal(ev)
	if err != nil {
		b.opts.Logger.Error("eventbus: scheduled event not encoded", "rule", r.Name, "error", err)
		return
	}
	b.route(r, ev, raw)
}

// ScheduledEvent is the event EventBridge sends a scheduled rule's targets: source aws.events,
// detail-type "Scheduled Event", the rule's ARN as its only resource and an empty detail. Account and
// region are the rule's, read from its ARN.
func ScheduledEvent(ruleArn string, at time.Time) Event {
	account, region := "", ""
	if p := strings.Split(ruleArn, ":"); len(p) >= 6 {
		region, account = p[3], p[4]
	}
	return Event{Version: "0", ID: newEventID(), DetailType: "Scheduled Event", Source: "aws.events", Account: account,
		Time: at.UTC().Format("2006-01-02T15:04:05Z"), Region: region, Resources: []string{ruleArn}, Detail: json.RawMessage(`{}`)}
}

// newEventID is a random UUID (version 4), the shape of EventBridge's event ids.
func newEventID() string {
	var u [16]byte
	_, _ = cryptorand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:])
}
