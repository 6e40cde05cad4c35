// Package metrics writes CloudWatch Embedded Metric Format (EMF) lines. Lambda sends a function's
// stdout to CloudWatch Logs, which turns each EMF line into metrics: no PutMetricData call, no latency
// on the request path, no extra permission. Locally they are log lines that tests read back.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
package metrics

import (
	"encoding/json"
	"io"
	"os"
	"slices"
	"sync"
	"time"
)

// Namespace is where Orion's metrics live in CloudWatch.
const Namespace = "Orion"

// Units used by Orion's metrics.
const (
	Count        = "Count"
	Milliseconds = "Milliseconds"
)

// Metric is one value.
type Metric struct {
	Name  string
	Unit  string
	Value float64
}

// DimStage is the dimension every Orion metric carries: the stage (template parameter Stage, the
// functions' STAGE variable) whose functions emitted it. Two stacks in one account and region write the
// same namespace; without it an alarm of one stage would count the other's data points. "CloudWatch
// treats each unique combination of dimensions as a separate metric", so every alarm and dashboard
// series on Orion must name Stage along with the call site's own dimensions (e2e/metrics_test.go
// checks them): https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricStatistics.html
const DimStage = "Stage"

// Emitter writes EMF lines to w (the function's stdout). Safe for concurrent use; a nil *Emitter emits
// nothing, so code paths stay free of checks where metrics are not wired (tests, tools).
type Emitter struct {
	mu    sync.Mutex
	w     io.Writer
	now   func() time.Time
	stage string
}

// New returns an emitter writing to w whose metrics carry the Stage dimension from the STAGE variable
// (the template sets it on every function); without one (unit tests, tools) they carry none.
func New(w io.Writer) *Emitter { return NewForStage(w, os.Getenv("STAGE")) }

// NewForStage returns an emitter writing to w whose metrics carry the Stage dimension stage ("" for none).
func NewForStage(w io.Writer, stage string) *Emitter {
	return &Emitter{w: w, now: time.Now, stage: stage}
}

// Emit writes one line with the metrics under one dimension set: the keys of dims (none is fine) and
// Stage. A call site cannot override Stage: an alarm of one stage must never see another's points.
func (e *Emitter) Emit(dims map[string]string, ms ...Metric) {
	if e == nil || len(ms) == 0 {
		return
	}
	defs := make([]map[string]string, len(ms))
	line := map[string]any{}
	for k, v := range dims {
		line[k] = v
	}
	if e.stage != "" {
		line[DimStage] = e.stage // after the call site's: it cannot override Stage
	}
	for i, m := range ms {
		defs[i] = map[string]string{"Name": m.Name, "Unit": m.Unit}
		line[m.Name] = m.Value
	}
	keys := []string{}
	for k := range dims {
		if k != DimStage || e.stage == "" {
			keys = append(keys, k)
		}
	}
	if e.stage != "" {
		keys = append(keys, DimStage)
	}
	slices.Sort(keys)
	line["_aws"] = map[string]any{
		"Timestamp":         e.now().UnixMilli(),
		"CloudWatchMetrics": []any{map[string]any{"Namespace": Namespace, "Dimensions": [][]string{keys}, "Metrics": defs}},
	}
	b, err := json.Marshal(line)
	if err != nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.w.Write(append(b, '\n'))
}

// The order funnel, by the status an order entered.
var statusMetrics = map[string]string{
	"PENDING": "OrdersPlaced", "CONFIRMED": "OrdersConfirmed", "REJECTED": "OrdersRejected",
	"CANCELLED": "OrdersCancelled", "FAILED": "OrdersFailed", "SHIPPED": "OrdersShipped", "DELIVERED": "OrdersDelivered",
}

// sagaOutcomes are the statuses that end the saga: SagaDuration is measured to them, not to the
// fulfilment statuses after confirmation, which the warehouse and the carrier take days to reach.
var sagaOutcomes = map[string]bool{"CONFIRMED": true, "REJECTED": true, "CANCELLED": true, "FAILED": true}

// OrderStatus counts an order entering a status (once per change: the caller emits only changes it
// applied), by reason where there is one; an outcome also records SagaDuration, the time from placing.
func (e *Emitter) OrderStatus(status, reason string, sincePlaced time.Duration) {
	name, ok := statusMetrics[status]
	if !ok {
		return
	}
	dims := map[string]string{}
	if reason != "" {
		dims["Reason"] = reason
	}
	e.Emit(dims, Metric{Name: name, Unit: Count, Value: 1})
	if sagaOutcomes[status] && sincePlaced > 0 {
		e.Emit(map[string]string{"Outcome": status}, Metric{Name: "SagaDuration", Unit: Milliseconds, Value: float64(sincePlaced.Milliseconds())})
	}
}
