package lambdahost

import (
	"time"

	"github.com/orion-oss/orion/infra/engine/xray"
)

// invocationTrace is the Lambda-Runtime-Trace-Id of an invocation called with the caller's header: the
// caller's Root and sampling decision, and a new Parent, the id of the function's own segment, under
// which the function's subsegments go. Without a valid header the invocation starts a new trace, as
// Lambda does for a request that carries none; locally every trace is sampled (on AWS the sampling
// rules decide). https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html
func invocationTrace(caller string) string {
	h, ok := xray.ParseHeader(caller)
	if !ok {
		h = xray.Header{Root: xray.NewRoot(time.Now()), Sampled: "1"}
	}
	if h.Sampled == "" {
		h.Sampled = "1"
	}
	return xray.Header{Root: h.Root, Parent: xray.NewID(), Sampled: h.Sampled}.String()
}

// functionSegment is the segment Lambda records for the function's invocation (AWS::Lambda::Function),
// under which the function's own subsegments are parented; sent when the host has a daemon.
type functionSegment struct {
	Name      string  `json:"name"`
	ID        string  `json:"id"`
	TraceID   string  `json:"trace_id"`
	ParentID  string  `json:"parent_id,omitempty"`
	Origin    string  `json:"origin"`
	StartTime float64 `json:"start_time"`
	EndTime   float64 `json:"end_time"`
	Error     bool    `json:"error,omitempty"`
	Fault     bool    `json:"fault,omitempty"`
	AWS       struct {
		RequestID string `json:"request_id"`
	} `json:"aws"`
}

// sendSegment records the invocation's function segment when a daemon listens and the trace is sampled.
func (p *pool) sendSegment(inv *invocation, start, end time.Time, outcome string) {
	d := p.h.opts.TraceDaemon
	h, ok := xray.ParseHeader(inv.trace)
	if d == nil || !ok || !h.IsSampled() {
		return
	}
	caller, _ := xray.ParseHeader(inv.opts.TraceID)
	s := functionSegment{Name: p.fn.Name, ID: h.Parent, TraceID: h.Root, ParentID: caller.Parent, Origin: "AWS::Lambda::Function",
		StartTime: float64(start.UnixMicro()) / 1e6, EndTime: float64(end.UnixMicro()) / 1e6,
		Error: outcome == "error", Fault: outcome != "ok" && outcome != "error"}
	s.AWS.RequestID = inv.id
	d.Send(s)
}
