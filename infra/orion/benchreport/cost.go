package benchreport

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/orion-oss/orion/infra/engine/sam"
)

// List prices, us-east-1, arm64, as read on 2026-12-03. A price marked unconfirmed in priceSources
// comes from a third-party summary of the page, not the page itself (several AWS pricing tables are
// rendered by script). docs/cost.md prints priceSources; docs/adr/0020 uses these figures.
const (
	// aws.amazon.com/lambda/pricing: $0.20 per million requests; Arm duration, first 7.5 billion GB-s a month.
	lambdaPerRequest = 0.20 / 1e6
	lambdaPerGBs     = 0.0000133334
	// aws.amazon.com/step-functions/pricing: Standard, "$0.025 per 1,000 state transitions", retries included.
	standardPerTransition = 0.025 / 1000
	// aws.amazon.com/step-functions/pricing: Express, "$1.00 per million requests", duration $0.06 per
	// GB-hour for the first 1,000 GB-hours a month; "rounded up to the nearest 100ms", memory "billed in
	// 64-MB chunks", memory used = 50 MB + the definition + the execution data.
	expressPerRequest = 1.00 / 1e6
	expressPerGBs     = 0.06 / 3600
	expressRoundMs    = 100
	expressChunkMB    = 64
	expressBaseMB     = 50
	// aws.amazon.com/api-gateway/pricing (via summaries): HTTP API, REST API, WebSocket messages.
	httpAPIPerRequest = 1.00 / 1e6
	restAPIPerRequest = 3.50 / 1e6
	wsPerMessage      = 1.00 / 1e6
	// aws.amazon.com/dynamodb/pricing/on-demand: after the November 2024 reduction.
	ddbPerWRU = 0.625 / 1e6
	ddbPerRRU = 0.125 / 1e6
	// aws.amazon.com/eventbridge/pricing: custom events, Pipes requests, archive per GB; Scheduler
	// invocations (beyond 14 million a month free).
	ebPerEvent             = 1.00 / 1e6
	pipesPerRequest        = 0.40 / 1e6
	archivePerGB           = 0.10
	eventBytes             = 1024 // an Orion event is about 1 KB
	schedulerPerInvocation = 1.00 / 1e6
	// aws.amazon.com/ses/pricing: $0.10 per 1,000 emails.
	sesPerEmail = 0.10 / 1000
	// aws.amazon.com/cloudwatch/pricing: Step Functions' logs are "billed at the vended logs rate"
	// (docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html): $0.50 per GB delivered to CloudWatch
	// Logs (first 10 TB a month), $0.03 per GB-month stored.
	logsPerGB           = 0.50
	logsPerGBMonth      = 0.03
	logsRetentionMonths = 3 // as long as Standard keeps an execution's history (90 days)
)

const gib = 1 << 30

// logEnvelopeBytes is an Express history event in CloudWatch Logs without its data: id, type,
// timestamps, the execution ARN, previous_event_id (about 350 bytes, from the documented log format).
// The data part is the state's input or output, priced at the run's largest order item.
const logEnvelopeBytes = 350

// logEventsPerTask: a Task state in the history is entered, scheduled, started, succeeded and exited;
// an execution adds started and succeeded; a retried attempt adds scheduled, started and failed. The
// run counts failed attempts (PathWork.Retries), retried or caught, so the retry term is an upper bound.
const (
	logEventsPerTask      = 5
	logEventsPerExecution = 2
	logEventsPerRetry     = 3
)

type priceSource struct{ service, price, source string }

var priceSources = []priceSource{
	{"Lambda requests", "$0.20 per million", "[aws.amazon.com/lambda/pricing](https://aws.amazon.com/lambda/pricing/)"},
	{"Lambda duration, Arm", "$0.0000133334 per GB-s (first 7.5 billion GB-s a month)", "Lambda pricing page (Arm tier 1) via third-party summaries of it: the page's table is rendered by script, **not confirmed** on the page itself"},
	{"Step Functions Standard", "$0.025 per 1,000 state transitions ($25 per million), retries included", "[aws.amazon.com/step-functions/pricing](https://aws.amazon.com/step-functions/pricing/) (\"each retry will be charged as an additional state transition\")"},
	{"Step Functions Express", "$1.00 per million requests; $0.06 per GB-hour ($0.00001667 per GB-s, first 1,000 GB-hours a month); duration rounded up to 100 ms; memory in 64 MB chunks, 50 MB + definition + execution data", "[aws.amazon.com/step-functions/pricing](https://aws.amazon.com/step-functions/pricing/), pricing examples 3 and 4 (rates and units read on the page); \"$1.00 per million invocations versus $25 per million for Standard\" also in the [AWS Compute Blog](https://aws.amazon.com/blogs/compute/building-cost-effective-aws-step-functions-workflows/)"},
	{"CloudWatch Logs (Express history)", "$0.50 per GB ingested (vended logs, first 10 TB), $0.03 per GB-month stored", "[Step Functions: logging](https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html) (\"billed at the vended logs rate\"); the rates via summaries of [aws.amazon.com/cloudwatch/pricing](https://aws.amazon.com/cloudwatch/pricing/), **not confirmed** on the page itself"},
	{"API Gateway HTTP API", "$1.00 per million requests (first 300 million)", "[aws.amazon.com/api-gateway/pricing](https://aws.amazon.com/api-gateway/pricing/), via summaries of it"},
	{"API Gateway REST API", "$3.50 per million requests (first 333 million)", "same"},
	{"API Gateway WebSocket", "$1.00 per million messages (32 KB units), $0.25 per million connection minutes", "same"},
	{"DynamoDB on demand", "$0.625 per million write request units, $0.125 per million read request units (after the November 2024 reduction)", "[aws.amazon.com/dynamodb/pricing/on-demand](https://aws.amazon.com/dynamodb/pricing/on-demand/), via summaries of it"},
	{"EventBridge", "$1.00 per million custom events (64 KB chunks); AWS service events (Step Functions status changes) free", "[aws.amazon.com/eventbridge/pricing](https://aws.amazon.com/eventbridge/pricing/)"},
	{"EventBridge Pipes", "$0.40 per million requests after filtering (64 KB chunks)", "same"},
	{"EventBridge archive", "$0.10 per GB archived (events are about 1 KB)", "same"},
	{"EventBridge Scheduler", "$1.00 per million invocations (14 million a month free)", "same, via summaries of it, **not confirmed** on the page itself"},
	{"SES", "$0.10 per 1,000 emails", "[aws.amazon.com/ses/pricing](https://aws.amazon.com/ses/pricing/), via summaries of it, **not confirmed** on the page itself"},
	{"Cognito", "the JWT authorizer and `ListUsers` are not billed per call (Cognito bills monthly active users)", "Cognito pricing"},
}

// FunctionMemory reads each function's MemorySize (Globals applied) from the template, by the short
// name the work counts use (the logical id without "Function").
func FunctionMemory(templatePath string) (map[string]int, error) {
	tpl, err := sam.Load(templatePath)
	if err != nil {
		return nil, fmt.Errorf("benchreport: memory sizes: %w", err)
	}
	fns, err := tpl.Functions()
	if err != nil {
		return nil, fmt.Errorf("benchreport: memory sizes: %w", err)
	}
	out := map[string]int{}
	for _, f := range fns {
		// YAML numbers decode as one of several integer or float types; an intrinsic is left out.
		if n, err := strconv.Atoi(fmt.Sprint(f.Properties["MemorySize"])); err == nil {
			out[strings.TrimSuffix(f.LogicalID, "Function")] = n
		}
	}
	return out, nil
}

// defaultMemoryMB prices a function the template does not size (the Lambda default is 128 MB; the
// template's Globals say 256).
const defaultMemoryMB = 256

// lambdaCost is a path's Lambda bill per order: requests plus billed milliseconds at each function's
// memory (memMB, when > 0, prices every function at that size instead).
func lambdaCost(w PathWork, memory map[string]int, memMB int) float64 {
	total := 0.0
	for fn, n := range w.Invocations {
		total += n * lambdaPerRequest
		mb := memMB
		if mb <= 0 {
			mb = memory[fn]
		}
		if mb <= 0 {
			mb = defaultMemoryMB
		}
		total += w.BilledMs[fn] / 1000 * float64(mb) / 1024 * lambdaPerGBs
	}
	return total
}

func customEvents(w PathWork) float64 {
	t := 0.0
	for k, v := range w.Events {
		if !strings.HasPrefix(k, "(") {
			t += v
		}
	}
	return t
}

// eventBridgeCost: every custom event is put on the bus once, went through a pipe from the outbox
// once, and is archived.
func eventBridgeCost(events float64) float64 {
	return events * (ebPerEvent + pipesPerRequest + eventBytes*archivePerGB/gib)
}

// dynamoCost prices the tables' request units and the writes of their global secondary indexes, which
// on-demand bills as write request units too (meter_gsi.go cites the rules).
func dynamoCost(w PathWork) float64 { return (w.WRU+w.GSIWRU)*ddbPerWRU + w.RRU*ddbPerRRU }

// PathCost is one path's bill per order, by line.
type PathCost struct {
	Path                  string
	HTTP, REST            float64
	Lambda                float64 // at the template's memory sizes
	LambdaAt              map[int]float64
	Standard              float64
	DynamoDB, EventBridge float64
	SES, WebSocket        float64
	Events                float64
	Estimated             bool // derived from a measured path, not measured itself
	Total, WithoutEmail   float64
	Orchestration         float64 // the Standard line: what the saga alternatives replace
}

var memorySizes = []int{128, 256, 512}

func pricePath(w PathWork, memory map[string]int) PathCost {
	c := PathCost{Path: w.Path, HTTP: w.HTTPRequests * httpAPIPerRequest, REST: w.HTTPRequests * restAPIPerRequest,
		Lambda: lambdaCost(w, memory, 0), LambdaAt: map[int]float64{}, Standard: w.Transitions * standardPerTransition,
		DynamoDB: dynamoCost(w), Events: customEvents(w), SES: w.SESSends * sesPerEmail, WebSocket: w.WSPosts * wsPerMessage}
	for _, mb := range memorySizes {
		c.LambdaAt[mb] = lambdaCost(w, memory, mb)
	}
	c.EventBridge = eventBridgeCost(c.Events)
	c.Orchestration = c.Standard
	c.Total = c.HTTP + c.Lambda + c.Standard + c.DynamoDB + c.EventBridge + c.SES + c.WebSocket
	c.WithoutEmail = c.Total - c.SES
	return c
}

// The saga's paths as docs/saga.md draws them: the states each run enters. The measured paths are
// matched by the name benchreport gives them; the 3-D Secure path is derived (paymentActionPath).
const (
	pathConfirmed = "confirmed"
	pathRejected  = "rejected"
	pathCancelled = "cancelled after confirmation"
	pathThreeDS   = "confirmed after 3-D Secure"
)

func pathKind(name string) string {
	for _, k := range []string{pathThreeDS, pathCancelled, pathConfirmed, pathRejected} {
		if strings.HasPrefix(name, k) {
			return k
		}
	}
	return ""
}

var (
	// The order saga's states (statemachines/order-saga.asl.json): ConfirmOrder captures (docs/adr/0022).
	forward      = []string{"ReserveStock", "AuthorizePayment", "ConfirmOrder"}
	declined     = []string{"ReserveStock", "AuthorizePayment", "ReleaseStock", "FinishOrder"}
	cancellation = []string{"RefundPayment", "ReturnStock", "FinishOrder"}
	beforeWait   = []string{"ReserveStock", "AuthorizePayment"}
	afterWait    = []string{"ConfirmOrder"}
)

// stepFunction is the function a state invokes.
func stepFunction(state string) string {
	if state == "AwaitPaymentAction" {
		return "AwaitPayment"
	}
	return state
}

// Shape is how one saga option runs one path: Standard transitions, Express executions (the states
// each enters), one-time schedules, and whether a Lambda function waits for the Express run
// (StartSyncExecution).
type Shape struct {
	Transitions  float64
	Express      [][]string
	Schedules    float64
	StarterWaits bool
}

// Option is a way to run the saga. Shapes by path kind; a path without one is not priced.
type Option struct {
	Key, Name string
	Shapes    map[string]Shape
}

// sagaOptions are the alternatives of docs/adr/0020. Option a's transitions are the measured ones
// (shape transitions < 0 means "as measured").
var sagaOptions = []Option{
	{"a", "Standard, as today", map[string]Shape{
		pathConfirmed: {Transitions: -1}, pathRejected: {Transitions: -1}, pathCancelled: {Transitions: -1}, pathThreeDS: {Transitions: -1},
	}},
	{"b", "Express for the whole saga (StartSyncExecution from the starter; the 3-D Secure wait in our code: a second run from the provider's event, a one-time schedule for the 900 s expiry)", map[string]Shape{
		pathConfirmed: {Express: [][]string{forward}, StarterWaits: true},
		pathRejected:  {Express: [][]string{declined}, StarterWaits: true},
		pathCancelled: {Express: [][]string{forward, cancellation}, StarterWaits: true},
		pathThreeDS:   {Express: [][]string{beforeWait, afterWait}, Schedules: 1, StarterWaits: true},
	}},
	{"c1", "Express, and a Standard run only for an order whose payment needs the customer (the Express run starts it, named after the order)", map[string]Shape{
		pathConfirmed: {Express: [][]string{forward}, StarterWaits: true},
		pathRejected:  {Express: [][]string{declined}, StarterWaits: true},
		pathCancelled: {Express: [][]string{forward, cancellation}, StarterWaits: true},
		pathThreeDS:   {Transitions: 3, Express: [][]string{append(append([]string{}, beforeWait...), "StartPaymentWait")}, StarterWaits: true},
	}},
	{"c2", "Standard parent for every order, each forward or compensating run an Express child (startExecution.sync:2); the wait stays in the parent", map[string]Shape{
		pathConfirmed: {Transitions: 1, Express: [][]string{forward}},
		pathRejected:  {Transitions: 1, Express: [][]string{declined}},
		pathCancelled: {Transitions: 2, Express: [][]string{forward, cancellation}},
		pathThreeDS:   {Transitions: 3, Express: [][]string{beforeWait, afterWait}},
	}},
}

// OptionCost is one option's orchestration bill for one path, per order, by line.
type OptionCost struct {
	Transitions                              float64
	Standard, Express, Logs, Wait, Schedules float64
	ExpressRuns                              int
	ExpressMs                                []float64 // billed ms per Express run
	LogBytes                                 float64
}

func (o OptionCost) Total() float64 { return o.Standard + o.Express + o.Logs + o.Wait + o.Schedules }

// expressBilledMs rounds a run's duration up to Express's 100 ms, at least one unit.
func expressBilledMs(ms float64) float64 {
	return math.Max(expressRoundMs, math.Ceil(ms/expressRoundMs)*expressRoundMs)
}

// expressBilledMB is the run's memory in 64 MB chunks: 50 MB plus the definition and the data.
func expressBilledMB(definitionBytes, dataBytes float64) float64 {
	mb := expressBaseMB + (definitionBytes+dataBytes)/(1<<20)
	return math.Ceil(mb/expressChunkMB) * expressChunkMB
}

func expressRunCost(ms, mb float64) float64 {
	return expressPerRequest + expressBilledMs(ms)/1000*mb/1024*expressPerGBs
}

// logsCost is CloudWatch Logs for bytes of Express history: ingested once, kept logsRetentionMonths.
func logsCost(bytes float64) float64 {
	return bytes / gib * (logsPerGB + logsPerGBMonth*logsRetentionMonths)
}

// orderBytes is the data an Express history event carries: the run's largest order item.
func orderBytes(w PathWork) float64 {
	b := 0
	for t, n := range w.MaxItemBytes {
		if shortTable(t) == "orders" {
			b = max(b, n)
		}
	}
	return float64(b)
}

// sagaDefinitionBytes is about the size of statemachines/order-saga.asl.json; it only matters if
// it came near the next 64 MB chunk.
const sagaDefinitionBytes = 12 << 10

func priceOption(o Option, w PathWork, memory map[string]int) (OptionCost, bool) {
	s, ok := o.Shapes[pathKind(w.Path)]
	if !ok {
		return OptionCost{}, false
	}
	var c OptionCost
	c.Transitions = s.Transitions
	if s.Transitions < 0 {
		c.Transitions = w.Transitions
	}
	c.Standard = c.Transitions * standardPerTransition
	data := orderBytes(w)
	mb := expressBilledMB(sagaDefinitionBytes, data)
	events := 0.0
	for _, run := range s.Express {
		ms := 0.0
		for _, st := range run {
			fn := stepFunction(st)
			if n := w.Invocations[fn]; n > 0 {
				// a function the path invokes in two runs (FinishOrder) is shared out by invocation
				ms += w.BilledMs[fn] / n
			}
		}
		c.ExpressRuns++
		c.ExpressMs = append(c.ExpressMs, expressBilledMs(ms))
		c.Express += expressRunCost(ms, mb)
		events += logEventsPerExecution + logEventsPerTask*float64(len(run))
		if s.StarterWaits {
			wmb := memory["StartOrderSaga"]
			if wmb <= 0 {
				wmb = defaultMemoryMB
			}
			c.Wait += expressBilledMs(ms) / 1000 * float64(wmb) / 1024 * lambdaPerGBs
		}
	}
	if len(s.Express) > 0 {
		events += logEventsPerRetry * w.Retries
	}
	c.LogBytes = events * (logEnvelopeBytes + data)
	c.Logs = logsCost(c.LogBytes)
	c.Schedules = s.Schedules * schedulerPerInvocation
	return c, true
}

// paymentActionPath derives the confirmed path of an order whose payment waits for the customer
// (3-D Secure), which the run cannot measure (the sandbox's tok_3ds is answered only by a provider
// event): the confirmed path plus AwaitPaymentAction (one transition), await-payment and the
// provider's webhook (each priced as AuthorizePayment: a read, a decision, a conditional write), the
// webhook's HTTP API request, and one more event (PaymentActionRequired) with the confirmed path's
// average work per event downstream (relay, projector, notifier, WebSocket post).
func paymentActionPath(confirmed PathWork) PathWork {
	w := clonePath(confirmed)
	w.Path = pathThreeDS + " (estimated)"
	w.Transitions++
	w.HTTPRequests++
	perStep := func(fn string) {
		w.Invocations[fn]++
		w.BilledMs[fn] += confirmed.BilledMs["AuthorizePayment"] / math.Max(1, confirmed.Invocations["AuthorizePayment"])
		w.RRU += confirmed.RRUByFn["AuthorizePayment"] / math.Max(1, confirmed.Invocations["AuthorizePayment"])
		w.WRU += confirmed.WRUByFn["AuthorizePayment"] / math.Max(1, confirmed.Invocations["AuthorizePayment"])
		w.GSIWRU += confirmed.GSIWRUByFn["AuthorizePayment"] / math.Max(1, confirmed.Invocations["AuthorizePayment"])
	}
	perStep("AwaitPayment")
	perStep("StripeWebhook")
	if ev := customEvents(confirmed); ev > 0 {
		for _, fn := range []string{"OutboxRelay", "ProjectOrders", "NotifyOrderStatus"} {
			w.Invocations[fn] += confirmed.Invocations[fn] / ev
			w.BilledMs[fn] += confirmed.BilledMs[fn] / ev
			w.RRU += confirmed.RRUByFn[fn] / ev
			w.WRU += confirmed.WRUByFn[fn] / ev
			w.GSIWRU += confirmed.GSIWRUByFn[fn] / ev
		}
		w.WSPosts += confirmed.WSPosts / ev
	}
	w.Events["PaymentActionRequired"]++
	return w
}

func clonePath(p PathWork) PathWork {
	cp := func(m map[string]float64) map[string]float64 {
		out := map[string]float64{}
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	p.Invocations, p.BilledMs, p.Events = cp(p.Invocations), cp(p.BilledMs), cp(p.Events)
	p.RRUByFn, p.WRUByFn, p.GSIWRUByFn, p.GSIWRUByIndex = cp(p.RRUByFn), cp(p.WRUByFn), cp(p.GSIWRUByFn), cp(p.GSIWRUByIndex)
	return p
}

// costPaths are the measured paths plus the derived 3-D Secure one, after the confirmed path.
func costPaths(work []PathWork) []PathWork {
	var out []PathWork
	for _, w := range work {
		out = append(out, w)
	}
	for _, w := range work {
		if pathKind(w.Path) == pathConfirmed {
			out = append(out, paymentActionPath(w))
			break
		}
	}
	return out
}

func usd(f float64) string { return fmt.Sprintf("$%.2f", f*1e6) }

func fnum(f float64) string {
	if f == math.Trunc(f) {
		return fmt.Sprintf("%.0f", f)
	}
	return fmt.Sprintf("%.1f", f)
}

func sortedMemory(memory map[string]int) []string {
	names := make([]string, 0, len(memory))
	for k := range memory {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		if memory[names[i]] != memory[names[j]] {
			return memory[names[i]] > memory[names[j]]
		}
		return names[i] < names[j]
	})
	return names
}
