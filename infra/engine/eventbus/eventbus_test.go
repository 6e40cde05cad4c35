package eventbus_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orion-oss/orion/infra/engine/eventbus"
	"github.com/orion-oss/orion/infra/engine/eventpattern"
	"github.com/orion-oss/orion/infra/engine/xray"
)

// recorder is a fake of our own Dispatcher and DeadLetters ports.
type recorder struct {
	mu       sync.Mutex
	inputs   map[string][]string
	failures map[string]int // target arn -> how many calls fail before success (-1: always)
	dead     []map[string]string
	deadBody []string
}

func newRecorder() *recorder {
	return &recorder{inputs: map[string][]string{}, failures: map[string]int{}}
}

func (r *recorder) Dispatch(_ context.Context, arn string, input []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inputs[arn] = append(r.inputs[arn], string(input))
	switch n := r.failures[arn]; {
	case n < 0:
		return errors.New("target unavailable")
	case n > 0:
		r.failures[arn] = n - 1
		return errors.New("throttled")
	}
	return nil
}

func (r *recorder) SendDeadLetter(_ context.Context, arn string, body []byte, attrs map[string]string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	attrs["dlq"] = arn
	r.dead = append(r.dead, attrs)
	r.deadBody = append(r.deadBody, string(body))
	return nil
}

func compile(t *testing.T, p string) *eventpattern.Pattern {
	t.Helper()
	c, err := eventpattern.Compile([]byte(p))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func event(detailType string, detail string) eventbus.Event {
	return eventbus.Event{Version: "0", ID: "ev-" + detailType, DetailType: detailType, Source: "orion.orders",
		Account: "123456789012", Region: "us-east-1", Time: time.Now().UTC().Format(time.RFC3339), Resources: []string{}, Detail: json.RawMessage(detail)}
}

func intp(n int) *int { return &n }

func TestPublishRoutesToMatchingRulesWithTransforms(t *testing.T) {
	rec := newRecorder()
	bus := eventbus.New(rec, rec, eventbus.Options{RetryBase: time.Millisecond})
	defer bus.Close()
	input := `{"fixed":true}`
	must(t, bus.AddRule(eventbus.Rule{Name: "saga", Bus: "orion", Arn: "arn:rule/saga",
		Pattern: compile(t, `{"source":["orion.orders"],"detail-type":["OrderPlaced"]}`),
		Targets: []eventbus.Target{{ID: "whole", Arn: "arn:whole"}, {ID: "path", Arn: "arn:path", InputPath: "$.detail"}}}))
	must(t, bus.AddRule(eventbus.Rule{Name: "mail", Bus: "orion", Arn: "arn:rule/mail",
		Pattern: compile(t, `{"detail-type":["OrderRejected"],"detail":{"reason":["OUT_OF_STOCK"]}}`),
		Targets: []eventbus.Target{{ID: "const", Arn: "arn:const", Input: &input}}}))
	must(t, bus.AddRule(eventbus.Rule{Name: "other-bus", Bus: "default", Arn: "arn:rule/x",
		Pattern: compile(t, `{"source":["orion.orders"]}`), Targets: []eventbus.Target{{ID: "x", Arn: "arn:other"}}}))

	if n, err := bus.Publish("orion", event("OrderPlaced", `{"orderId":"o1"}`)); err != nil || n != 2 {
		t.Fatalf("Publish OrderPlaced matched %d targets, %v; want 2", n, err)
	}
	if n, _ := bus.Publish("orion", event("OrderRejected", `{"orderId":"o2","reason":"PAYMENT_DECLINED"}`)); n != 0 {
		t.Fatalf("a PAYMENT_DECLINED rejection matched %d targets; want 0", n)
	}
	if n, _ := bus.Publish("orion", event("OrderRejected", `{"orderId":"o3","reason":"OUT_OF_STOCK"}`)); n != 1 {
		t.Fatalf("an OUT_OF_STOCK rejection matched %d targets; want 1", n)
	}
	bus.Wait()

	var whole eventbus.Event
	if len(rec.inputs["arn:whole"]) != 1 || json.Unmarshal([]byte(rec.inputs["arn:whole"][0]), &whole) != nil || whole.ID != "ev-OrderPlaced" {
		t.Errorf("whole-event target got %v", rec.inputs["arn:whole"])
	}
	if got := rec.inputs["arn:path"]; len(got) != 1 || got[0] != `{"orderId":"o1"}` {
		t.Errorf("InputPath target got %v", got)
	}
	if got := rec.inputs["arn:const"]; len(got) != 1 || got[0] != input {
		t.Errorf("constant-input target got %v", got)
	}
	if len(rec.inputs["arn:other"]) != 0 {
		t.Errorf("a rule of another bus received %v", rec.inputs["arn:other"])
	}
}

func TestRetryPolicyThenDeadLetterQueue(t *testing.T) {
	rec := newRecorder()
	rec.failures["arn:flaky"] = 2
	rec.failures["arn:down"] = -1
	var mu sync.Mutex
	var deliveries []eventbus.Delivery
	bus := eventbus.New(rec, rec, eventbus.Options{RetryBase: time.Millisecond, OnDelivery: func(d eventbus.Delivery) {
		mu.Lock()
		deliveries = append(deliveries, d)
		mu.Unlock()
	}})
	defer bus.Close()
	must(t, bus.AddRule(eventbus.Rule{Name: "r", Bus: "orion", Arn: "arn:rule/r", Pattern: compile(t, `{"source":["orion.orders"]}`),
		Targets: []eventbus.Target{
			{ID: "flaky", Arn: "arn:flaky", RetryPolicy: eventbus.RetryPolicy{MaximumRetryAttempts: intp(3)}, DeadLetterArn: "arn:dlq"},
			{ID: "down", Arn: "arn:down", RetryPolicy: eventbus.RetryPolicy{MaximumRetryAttempts: intp(2)}, DeadLetterArn: "arn:dlq"},
		}}))
	if _, err := bus.Publish("orion", event("OrderPlaced", `{"orderId":"o1"}`)); err != nil {
		t.Fatal(err)
	}
	bus.Wait()
	if n := len(rec.inputs["arn:flaky"]); n != 3 {
		t.Errorf("flaky target called %d times; want 3 (two failures, then success)", n)
	}
	if n := len(rec.inputs["arn:down"]); n != 3 {
		t.Errorf("down target called %d times; want 3 (1 + MaximumRetryAttempts 2)", n)
	}
	if len(rec.dead) != 1 {
		t.Fatalf("dead letters = %v; want exactly the down target's event", rec.dead)
	}
	dl := rec.dead[0]
	if dl["dlq"] != "arn:dlq" || dl["TARGET_ARN"] != "arn:down" || dl["RULE_ARN"] != "arn:rule/r" || dl["RETRY_ATTEMPTS"] != "2" {
		t.Errorf("dead letter attributes = %v", dl)
	}
	var ev eventbus.Event
	if err := json.Unmarshal([]byte(rec.deadBody[0]), &ev); err != nil || ev.ID != "ev-OrderPlaced" {
		t.Errorf("dead letter body = %s", rec.deadBody[0])
	}
	mu.Lock()
	defer mu.Unlock()
	if len(deliveries) != 2 {
		t.Fatalf("deliveries = %+v", deliveries)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

type nopDispatcher struct{}

func (nopDispatcher) Dispatch(context.Context, string, []byte) error { return nil }

// BenchmarkPublish is the runtime's own cost of routing one event to one matching Lambda target
// (matching, transformation, dispatch), without the function itself.
func BenchmarkPublish(b *testing.B) {
	bus := eventbus.New(nopDispatcher{}, nil, eventbus.Options{})
	defer bus.Close()
	p, _ := eventpattern.Compile([]byte(`{"source":["orion.orders"],"detail-type":["OrderConfirmed","OrderRejected"]}`))
	for i := range 10 { // a realistic number of rules on the bus, one of which matches
		pat := p
		if i > 0 {
			pat, _ = eventpattern.Compile([]byte(fmt.Sprintf(`{"source":["orion.inventory"],"detail-type":["T%d"]}`, i)))
		}
		bus.AddRule(eventbus.Rule{Name: fmt.Sprint("r", i), Bus: "orion", Pattern: pat, Targets: []eventbus.Target{{ID: "t", Arn: "arn:aws:lambda:us-east-1:123456789012:function:f"}}})
	}
	ev := event("OrderConfirmed", `{"id":"e1","type":"OrderConfirmed","data":{"orderId":"o1","status":"CONFIRMED"}}`)
	b.ReportAllocs()
	for b.Loop() {
		if n, err := bus.Publish("orion", ev); err != nil || n != 1 {
			b.Fatal(n, err)
		}
	}
	bus.Wait()
}

// Injected faults: a duplicated delivery reaches the target twice; a held-back one is overtaken by an
// event published after it.
func TestPerturbDuplicatesAndReorders(t *testing.T) {
	rec := newRecorder()
	var mu sync.Mutex
	var deliveries []eventbus.Delivery
	bus := eventbus.New(rec, rec, eventbus.Options{RetryBase: time.Millisecond,
		OnDelivery: func(d eventbus.Delivery) { mu.Lock(); deliveries = append(deliveries, d); mu.Unlock() },
		Perturb: func(rule, target string, ev eventbus.Event) (bool, time.Duration) {
			switch ev.DetailType {
			case "Twice":
				return true, 0
			case "Late":
				return false, 300 * time.Millisecond
			}
			return false, 0
		}})
	defer bus.Close()
	must(t, bus.AddRule(eventbus.Rule{Name: "all", Bus: "orion", Arn: "arn:rule/all",
		Pattern: compile(t, `{"source":["orion.orders"]}`), Targets: []eventbus.Target{{ID: "t", Arn: "arn:t", InputPath: "$.detail-type"}}}))
	for _, dt := range []string{"Twice", "Late", "Early"} {
		if _, err := bus.Publish("orion", event(dt, `{}`)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond) // publish order is Twice, Late, Early
	}
	bus.Wait()
	rec.mu.Lock()
	got := fmt.Sprint(rec.inputs["arn:t"])
	rec.mu.Unlock()
	if got != `["Twice" "Twice" "Early" "Late"]` {
		t.Fatalf("target received %s; want Twice twice, then Early before the held-back Late", got)
	}
	mu.Lock()
	defer mu.Unlock()
	copies, held := 0, 0
	for _, d := range deliveries {
		if d.Duplicate {
			copies++
		}
		if d.Held > 0 {
			held++
		}
	}
	if copies != 1 || held != 1 {
		t.Fatalf("deliveries mark %d copies and %d holds; want 1 and 1", copies, held)
	}
}

// traces is a dispatcher that records the trace header of each delivery, failing the first attempt.
type traces struct {
	mu   sync.Mutex
	seen []string
}

func (d *traces) Dispatch(ctx context.Context, _ string, input []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.seen = append(d.seen, xray.Carried(ctx))
	if len(d.seen) == 1 {
		return errors.New("throttled")
	}
	return nil
}

// Every attempt to deliver an event runs in the trace it was put with; the event the target receives
// does not carry it, as on AWS.
func TestDeliveriesRunInTheEventsTrace(t *testing.T) {
	d := &traces{}
	bus := eventbus.New(d, nil, eventbus.Options{RetryBase: time.Millisecond})
	defer bus.Close()
	must(t, bus.AddRule(eventbus.Rule{Name: "r", Bus: "orion", Arn: "arn:rule/r", Pattern: compile(t, `{"source":["orion.orders"]}`),
		Targets: []eventbus.Target{{ID: "t", Arn: "arn:t"}}}))
	const header = "Root=1-6745c1a0-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1"
	ev := event("OrderPlaced", `{}`)
	ev.TraceHeader = header
	if _, err := bus.Publish("orion", ev); err != nil {
		t.Fatal(err)
	}
	bus.Wait()
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.seen) != 2 || d.seen[0] != header || d.seen[1] != header {
		t.Fatalf("attempts ran in %q; want the event's trace twice", d.seen)
	}
	if b, _ := json.Marshal(ev); strings.Contains(string(b), "Root=") {
		t.Fatalf("the delivered event carries the trace header: %s", b)
	}
}
