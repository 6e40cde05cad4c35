package eventbus_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/orion-oss/orion/infra/engine/eventbus"
	"github.com/orion-oss/orion/infra/engine/eventpattern"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// Examples from EventBridge's schedule expression reference (eb-scheduled-rule-pattern.html,
// eb-rate-expressions.html): what fires next after a given time, in UTC.
func TestScheduleNext(t *testing.T) {
	from := utc("2026-12-03T11:31:12Z") // a Thursday
	for _, tc := range []struct{ expr, want string }{
		{"rate(1 minute)", "2026-12-03T11:32:12Z"},
		{"rate(5 minutes)", "2026-12-03T11:36:12Z"},
		{"rate(1 hour)", "2026-12-03T12:31:12Z"},
		{"rate(2 days)", "2026-12-05T11:31:12Z"},
		{"cron(0 10 * * ? *)", "2026-12-04T10:00:00Z"},           // 10:00 every day
		{"cron(15 12 * * ? *)", "2026-12-03T12:15:00Z"},          // 12:15 every day
		{"cron(0 18 ? * MON-FRI *)", "2026-12-03T18:00:00Z"},     // weekdays at 18:00
		{"cron(0 8 1 * ? *)", "2027-01-01T08:00:00Z"},            // first of the month
		{"cron(0/15 * * * ? *)", "2026-12-03T11:45:00Z"},         // every 15 minutes
		{"cron(0/10 * ? * MON-FRI *)", "2026-12-03T11:40:00Z"},   // every 10 minutes on weekdays
		{"cron(0/5 8-17 ? * MON-FRI *)", "2026-12-03T11:35:00Z"}, // every 5 minutes in office hours
		{"cron(0 9 ? * 1 *)", "2026-12-06T09:00:00Z"},            // Sundays (1 is SUN)
		{"cron(30 4 29 FEB ? *)", "2028-02-29T04:30:00Z"},        // leap days only
		{"cron(0 0 1 1 ? 2025)", "0001-01-01T00:00:00Z"},         // over: never
	} {
		s, err := eventbus.ParseSchedule(tc.expr)
		if err != nil {
			t.Errorf("%s: %v", tc.expr, err)
			continue
		}
		if got := s.Next(from).Format(time.RFC3339); got != tc.want {
			t.Errorf("%s: next after %s = %s, want %s", tc.expr, from.Format(time.RFC3339), got, tc.want)
		}
	}
}

// What EventBridge refuses is refused, and so are the valid wildcards the local runtime does not run:
// a start fails rather than a schedule that never fires.
func TestScheduleRefusesWhatItCannotRun(t *testing.T) {
	for _, expr := range []string{
		"rate(1 minutes)", "rate(5 minute)", "rate(0 minutes)", "rate(1 second)", "rate(-1 minutes)", "rate(1.5 hours)",
		"cron(0 10 * * ?)", "cron(0 10 * * * *)", "cron(0 10 ? * ? *)", "cron(60 10 * * ? *)", "cron(0 24 * * ? *)",
		"cron(0 10 32 * ? *)", "cron(0 10 * 13 ? *)", "cron(0 10 ? * 8 *)", "cron(0 10 * * ? 1969)", "cron(0 10 5-1 * ? *)",
		"cron(0/0 * * * ? *)", "cron(? 10 * * ? *)",
		"cron(0 10 L * ? *)", "cron(0 10 3W * ? *)", "cron(0 10 ? * 6L *)", "cron(0 10 ? * 3#2 *)", // valid on AWS, not run locally
		"at(2026-12-03T12:00:00)", "", "every minute",
	} {
		if _, err := eventbus.ParseSchedule(expr); !errors.Is(err, eventbus.ErrSchedule) {
			t.Errorf("%q: err = %v, want ErrSchedule", expr, err)
		}
	}
	if _, err := eventbus.ParseSchedule("cron(0 10 ? JUL-AUG WED *)"); err != nil {
		t.Errorf("names containing W and L are names, not wildcards: %v", err)
	}
}

// A tick sends each target one Scheduled Event, shaped as EventBridge documents it, through the
// target's input transformation and retry policy; Close stops the schedule.
func TestScheduledRuleDeliversScheduledEvents(t *testing.T) {
	rec := newRecorder()
	rec.failures["arn:flaky"] = 1
	clock := eventbus.NewManualClock(utc("2026-12-03T11:31:12Z"))
	bus := eventbus.New(rec, rec, eventbus.Options{RetryBase: time.Millisecond, Clock: clock})
	sched, err := eventbus.ParseSchedule("rate(1 minute)")
	if err != nil {
		t.Fatal(err)
	}
	const arn = "arn:aws:events:us-east-1:123456789012:rule/sweep"
	must(t, bus.AddRule(eventbus.Rule{Name: "sweep", Arn: arn, Schedule: sched, Targets: []eventbus.Target{
		{ID: "whole", Arn: "arn:whole"},
		{ID: "flaky", Arn: "arn:flaky", RetryPolicy: eventbus.RetryPolicy{MaximumRetryAttempts: intp(2)}},
		{ID: "shaped", Arn: "arn:shaped", InputTransformer: &eventpattern.InputTransformer{
			PathsMap: map[string]string{"t": "$.time"}, Template: `{"at": <t>, "rule": <aws.events.rule-name>}`}},
	}}))
	at, err := clock.Tick(5 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if want := utc("2026-12-03T11:32:12Z"); !at.Equal(want) {
		t.Errorf("first firing at %s, want %s (a rate starts when the rule is created)", at, want)
	}
	bus.Wait()
	rec.mu.Lock()
	whole, flaky, shaped := rec.inputs["arn:whole"], rec.inputs["arn:flaky"], rec.inputs["arn:shaped"]
	rec.mu.Unlock()
	if len(whole) != 1 || len(shaped) != 1 {
		t.Fatalf("inputs = %v, %v; want one event per target per tick", whole, shaped)
	}
	if len(flaky) != 2 || flaky[0] != flaky[1] {
		t.Errorf("flaky target got %v; want the same event retried once", flaky)
	}
	var ev map[string]any
	if err := json.Unmarshal([]byte(whole[0]), &ev); err != nil {
		t.Fatal(err)
	}
	res, _ := ev["resources"].([]any)
	detail, _ := ev["detail"].(map[string]any)
	if ev["source"] != "aws.events" || ev["detail-type"] != "Scheduled Event" || len(res) != 1 || res[0] != arn ||
		detail == nil || len(detail) != 0 || ev["time"] != "2026-12-03T11:32:12Z" || ev["account"] != "123456789012" ||
		ev["region"] != "us-east-1" || ev["version"] != "0" || len(ev["id"].(string)) != 36 {
		t.Errorf("scheduled event = %s", whole[0])
	}
	if shaped[0] != `{"at": "2026-12-03T11:32:12Z", "rule": "sweep"}` {
		t.Errorf("transformed input = %s", shaped[0])
	}
	// The next firing is a minute later, with a new event id.
	if at, err := clock.Tick(5 * time.Second); err != nil || !at.Equal(utc("2026-12-03T11:33:12Z")) {
		t.Fatalf("second firing at %s, %v", at, err)
	}
	bus.Wait()
	rec.mu.Lock()
	if n := len(rec.inputs["arn:whole"]); n != 2 || rec.inputs["arn:whole"][0] == rec.inputs["arn:whole"][1] {
		t.Errorf("after two ticks the target got %v", rec.inputs["arn:whole"])
	}
	rec.mu.Unlock()
	done := make(chan struct{})
	go func() { bus.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not stop the schedule")
	}
	if err := bus.AddRule(eventbus.Rule{Name: "late", Arn: arn, Schedule: sched}); err == nil {
		t.Error("a schedule was added to a closed bus")
	}
}

func TestScheduledRulesRunOnlyOnTheDefaultBus(t *testing.T) {
	bus := eventbus.New(newRecorder(), nil, eventbus.Options{Clock: eventbus.NewManualClock(time.Now())})
	defer bus.Close()
	sched, _ := eventbus.ParseSchedule("rate(1 hour)")
	if err := bus.AddRule(eventbus.Rule{Name: "r", Bus: "orion", Schedule: sched}); err == nil {
		t.Error("a schedule on a custom bus was accepted")
	}
	if err := bus.AddRule(eventbus.Rule{Name: "r", Bus: "orion"}); err == nil {
		t.Error("a rule with neither pattern nor schedule was accepted")
	}
}

func TestManualClockAwaitsItsSchedules(t *testing.T) {
	clock := eventbus.NewManualClock(utc("2026-12-03T11:31:12Z"))
	if err := clock.AwaitWaiting(1, 20*time.Millisecond); err == nil {
		t.Fatal("no schedule waits, yet AwaitWaiting returned")
	}
	go func() {
		time.Sleep(10 * time.Millisecond)
		clock.At(utc("2026-12-03T11:32:12Z"))
		clock.At(utc("2026-12-03T11:40:00Z"))
	}()
	if err := clock.AwaitWaiting(2, 5*time.Second); err != nil {
		t.Fatal(err)
	}
}
