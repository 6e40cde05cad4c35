package benchreport

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"os"
	"strings"
	"testing"
	"time"
)

// go test ./infra/orion/benchreport -run TestCostMarkdown -args -cost-md=$PWD/docs/cost.md renders the
// fixture's cost.md for review.
var costMD = flag.String("cost-md", "", "write the fixture's cost.md here")

func near(got, want float64) bool { return math.Abs(got-want) <= 1e-12+1e-9*math.Abs(want) }

// fixtureWork is the work per order of the run recorded in docs/benchmarks.md on 2026-12-03 15:11 UTC
// (its "Work per order" tables, copied).
func fixtureWork(t *testing.T) []PathWork {
	t.Helper()
	b, err := os.ReadFile("testdata/work-2026-12-03.json")
	if err != nil {
		t.Fatal(err)
	}
	var w []PathWork
	if err := json.Unmarshal(b, &w); err != nil {
		t.Fatal(err)
	}
	return w
}

var fixtureMemory = map[string]int{"StartOrderSaga": 128, "ReserveStock": 128, "AuthorizePayment": 128, "CapturePayment": 128,
	"ConfirmOrder": 128, "NotifyOrderStatus": 128, "SendEmail": 128, "OutboxRelay": 128, "PlaceOrder": 256, "ProjectOrders": 256}

func TestLambdaCost(t *testing.T) {
	one := func(fn string, n, ms float64) PathWork {
		return PathWork{Invocations: map[string]float64{fn: n}, BilledMs: map[string]float64{fn: ms}}
	}
	tests := []struct {
		name  string
		w     PathWork
		memMB int
		want  float64
	}{
		{"1 s at the template's 128 MB", one("ReserveStock", 1, 1000), 0, 0.20e-6 + 1*0.125*0.0000133334},
		{"the same at 512 MB for every function", one("ReserveStock", 1, 1000), 512, 0.20e-6 + 1*0.5*0.0000133334},
		{"a function the template does not size is priced at the Globals' 256 MB", one("Unknown", 2, 500), 0, 2*0.20e-6 + 0.5*0.25*0.0000133334},
		{"invocations without billed time cost the request", one("OutboxRelay", 4.8, 0), 0, 4.8 * 0.20e-6},
	}
	for _, tt := range tests {
		if got := lambdaCost(tt.w, fixtureMemory, tt.memMB); !near(got, tt.want) {
			t.Errorf("%s: lambdaCost = %g; want %g", tt.name, got, tt.want)
		}
	}
}

func TestExpressUnits(t *testing.T) {
	for _, tt := range []struct{ ms, want float64 }{{0, 100}, {1, 100}, {100, 100}, {101, 200}, {478, 500}} {
		if got := expressBilledMs(tt.ms); got != tt.want {
			t.Errorf("expressBilledMs(%v) = %v; want %v", tt.ms, got, tt.want)
		}
	}
	for _, tt := range []struct{ def, data, want float64 }{{12 << 10, 980, 64}, {14 << 20, 0, 64}, {15 << 20, 0, 128}} {
		if got := expressBilledMB(tt.def, tt.data); got != tt.want {
			t.Errorf("expressBilledMB(%v, %v) = %v; want %v", tt.def, tt.data, got, tt.want)
		}
	}
	// 478 ms is billed 500 ms at 64 MB: $1 per million plus 0.5 s × 0.0625 GB × $0.06 per GB-hour.
	if got, want := expressRunCost(478, 64), 1e-6+0.5*0.0625*0.06/3600; !near(got, want) {
		t.Errorf("expressRunCost(478, 64) = %g; want %g", got, want)
	}
}

func TestLineCosts(t *testing.T) {
	tests := []struct {
		name      string
		got, want float64
	}{
		{"a GiB of history logs, kept 3 months", logsCost(1 << 30), 0.50 + 3*0.03},
		{"6 events: bus, pipe and a KB archived each", eventBridgeCost(6), 6*(1.00e-6+0.40e-6) + 6*1024*0.10/(1<<30)},
		{"54.2 WRU and 13.1 RRU", dynamoCost(PathWork{WRU: 54.2, RRU: 13.1}), 54.2*0.625e-6 + 13.1*0.125e-6},
		{"index writes are write units too", dynamoCost(PathWork{WRU: 51.7, GSIWRU: 22, RRU: 13.1}), (51.7+22)*0.625e-6 + 13.1*0.125e-6},
		{"4 Standard transitions", pricePath(PathWork{Transitions: 4}, nil).Standard, 4 * 25e-6},
		{"an email", pricePath(PathWork{SESSends: 1}, nil).SES, 0.10e-3},
		{"2 HTTP API requests, REST instead", pricePath(PathWork{HTTPRequests: 2}, nil).REST, 2 * 3.50e-6},
	}
	for _, tt := range tests {
		if !near(tt.got, tt.want) {
			t.Errorf("%s: %g; want %g", tt.name, tt.got, tt.want)
		}
	}
}

// The options priced on the run's confirmed path (the saga's states since ConfirmOrder captures, docs/adr/0022:
// ReserveStock 148 + AuthorizePayment 99 + ConfirmOrder 124 = 371 ms, billed as 400; orders up to 769 bytes)
// and on the derived 3-D Secure path. The fixture's CapturePayment invocation is not a state any more.
func TestSagaOptionCosts(t *testing.T) {
	work := fixtureWork(t)
	confirmed, threeDS := work[0], paymentActionPath(work[0])
	logs := func(events float64) float64 { return events * (350 + 769) / (1 << 30) * (0.50 + 3*0.03) }
	run := func(billedMs float64) float64 { return 1e-6 + billedMs/1000*0.0625*0.06/3600 }
	wait := func(billedMs float64) float64 { return billedMs / 1000 * 0.125 * 0.0000133334 }
	tests := []struct {
		option      string
		w           PathWork
		transitions float64
		runs        int
		want        float64
	}{
		{"a", confirmed, 4, 0, 4 * 25e-6}, // the fixture's run counted 4 transitions
		{"b", confirmed, 0, 1, run(400) + logs(2+5*3) + wait(400)},
		{"c1", confirmed, 0, 1, run(400) + logs(2+5*3) + wait(400)},
		{"c2", confirmed, 1, 1, 25e-6 + run(400) + logs(2+5*3)},
		{"a", threeDS, 5, 0, 5 * 25e-6},
		// ReserveStock + AuthorizePayment 247 ms (300), ConfirmOrder 124 ms (200).
		{"b", threeDS, 0, 2, run(300) + run(200) + logs((2+5*2)+(2+5*1)) + wait(300) + wait(200) + 1e-6},
		// The Express run enters a third state, StartPaymentWait (no function: 0 ms more).
		{"c1", threeDS, 3, 1, 3*25e-6 + run(300) + logs(2+5*3) + wait(300)},
		{"c2", threeDS, 3, 2, 3*25e-6 + run(300) + run(200) + logs((2+5*2)+(2+5*1))},
	}
	for _, tt := range tests {
		var o Option
		for _, x := range sagaOptions {
			if x.Key == tt.option {
				o = x
			}
		}
		got, ok := priceOption(o, tt.w, fixtureMemory)
		if !ok {
			t.Fatalf("(%s) %s: not priced", tt.option, tt.w.Path)
		}
		if got.Transitions != tt.transitions || got.ExpressRuns != tt.runs || !near(got.Total(), tt.want) {
			t.Errorf("(%s) %s: %g transitions, %d runs, $%.4f per million; want %g, %d, $%.4f", tt.option, tt.w.Path,
				got.Transitions, got.ExpressRuns, got.Total()*1e6, tt.transitions, tt.runs, tt.want*1e6)
		}
	}
	// The rejected path retried once: Express bills no transition for it, its log has 3 more events.
	got, _ := priceOption(sagaOptions[3], work[1], fixtureMemory)
	if want := (2 + 5*4 + 3) * (350.0 + 976); !near(got.LogBytes, want) {
		t.Errorf("(c2) rejected: %v log bytes; want %v", got.LogBytes, want)
	}
}

// The 3-D Secure path is the confirmed path plus the wait's own work, estimated from measured steps.
func TestPaymentActionPath(t *testing.T) {
	c := fixtureWork(t)[0]
	w := paymentActionPath(c)
	tests := []struct {
		name      string
		got, want float64
	}{
		{"transitions: AwaitPaymentAction", w.Transitions, 4 + 1},
		{"HTTP requests: the webhook", w.HTTPRequests, 1 + 1},
		{"await-payment, as AuthorizePayment", w.BilledMs["AwaitPayment"], 99},
		{"the webhook handler, as AuthorizePayment", w.Invocations["StripeWebhook"], 1},
		{"RRU: two steps and a sixth of the notifier's", w.RRU, 13.1 + 2*1 + 4.1/6},
		{"WRU: two steps, a sixth of the projector's and the notifier's", w.WRU, 54.2 + 2*4 + (8.1+8.1)/6},
		{"projector invocations: one more event's share", w.Invocations["ProjectOrders"], 6 + 6.0/6},
		{"WebSocket posts", w.WSPosts, 4 + 4.0/6},
		{"custom events", customEvents(w), 7},
	}
	for _, tt := range tests {
		if !near(tt.got, tt.want) {
			t.Errorf("%s: %v; want %v", tt.name, tt.got, tt.want)
		}
	}
	if c.Transitions != 4 || c.Invocations["AwaitPayment"] != 0 {
		t.Errorf("the measured path changed: %+v", c)
	}
}

// The generated cost.md keeps its sections and prices the run's paths; -cost-md writes it.
func TestCostMarkdown(t *testing.T) {
	r := &Report{Work: fixtureWork(t), Started: time.Date(2026, 12, 3, 15, 11, 0, 0, time.UTC),
		Opts: Options{Command: "go test ./infra/orion/benchreport -run TestCostMarkdown -args -cost-md=$PWD/docs/cost.md", Orders: 10}}
	var buf bytes.Buffer
	r.CostMarkdown(&buf, fixtureMemory)
	out := buf.String()
	for _, want := range []string{
		"## Prices used", "## Assumptions", "## Per million orders, by path", "## Memory sizes",
		"## The saga: Standard or Express", "## Not in the model", "adr/0020-",
		"**$100.00** (4)", "**$175.00** (7)", "confirmed after 3-D Secure (estimated)",
		"| **(c2)** |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("cost.md lacks %q", want)
		}
	}
	if *costMD != "" {
		memory, err := FunctionMemory("../../../template.yaml")
		if err != nil {
			t.Fatal(err)
		}
		buf.Reset()
		r.CostMarkdown(&buf, memory)
		if err := os.WriteFile(*costMD, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var empty bytes.Buffer
	(&Report{}).CostMarkdown(&empty, nil)
	if !strings.Contains(empty.String(), "nothing to price") {
		t.Errorf("a run without work: %q", empty.String())
	}
}

// The template's sizes are read with the Globals applied.
func TestFunctionMemory(t *testing.T) {
	m, err := FunctionMemory("../../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if m["ReserveStock"] != 128 || m["PlaceOrder"] == 0 {
		t.Errorf("FunctionMemory: ReserveStock %d, PlaceOrder %d", m["ReserveStock"], m["PlaceOrder"])
	}
}
