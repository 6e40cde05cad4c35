// Package traceheader is the AWS X-Ray trace header: its parsing, new trace ids, and the context and
// environment that carry it through a Lambda invocation. It imports only the standard library, so the
// domain's events can carry a header without linking the SDK instrumentation of package tracing.
//
// https://docs.aws.amazon.com/xray/latest/devguide/xray-concepts.html#xray-concepts-tracingheader
package traceheader

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"time"
)

// Header is an X-Ray trace header: Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1.
// Parent is the id of the segment the receiver's work belongs under (in Lambda, the function's segment);
// Sampled is "1", "0" or "" (not decided yet). Lineage (Lambda's recursive loop detection) is kept as it
// came, since it belongs to the header's sender.
type Header struct {
	Root, Parent, Sampled, Lineage string
}

// ParseHeader reads a trace header; ok is false without a valid Root.
func ParseHeader(s string) (h Header, ok bool) {
	for part := range strings.SplitSeq(s, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Root":
			h.Root = v
		case "Parent":
			h.Parent = v
		case "Sampled":
			h.Sampled = v
		case "Lineage":
			h.Lineage = v
		}
	}
	return h, validRoot(h.Root)
}

// validRoot checks the form 1-<8 hex digits of epoch seconds>-<24 hex digits>.
func validRoot(r string) bool {
	if len(r) != 35 || r[0] != '1' || r[1] != '-' || r[10] != '-' {
		return false
	}
	return isHex(r[2:10]) && isHex(r[11:])
}

func isHex(s string) bool {
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// String is the header's wire form, fields in X-Ray's order, empty ones left out.
func (h Header) String() string {
	var b strings.Builder
	b.WriteString("Root=" + h.Root)
	if h.Parent != "" {
		b.WriteString(";Parent=" + h.Parent)
	}
	if h.Sampled != "" {
		b.WriteString(";Sampled=" + h.Sampled)
	}
	if h.Lineage != "" {
		b.WriteString(";Lineage=" + h.Lineage)
	}
	return b.String()
}

// IsSampled reports whether the sender decided to record this trace.
func (h Header) IsSampled() bool { return h.Sampled == "1" }

// Propagated is the header to hand on to another service: Root, Parent and Sampled, without Lambda's
// Lineage, which counts the hops of one synchronous chain and means nothing once stored in an event.
func (h Header) Propagated() string {
	h.Lineage = ""
	return h.String()
}

// NewRoot returns a new trace id, 1-<epoch seconds in hex>-<96 random bits>, as X-Ray defines it.
func NewRoot(now time.Time) string {
	return fmt.Sprintf("1-%08x-%s", now.Unix(), randomHex(12))
}

// NewID returns a new segment id (64 random bits, 16 hex digits).
func NewID() string { return randomHex(8) }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

type ctxKey struct{}

// lambdaKey is where aws-lambda-go puts the invocation's Lambda-Runtime-Trace-Id in the handler's
// context (a plain string key, its choice).
const lambdaKey = "x-amzn-trace-id"

// EnvHeader is the variable Lambda (and aws-lambda-go, per invocation) sets to the invocation's header.
const EnvHeader = "_X_AMZN_TRACE_ID"

// WithHeader returns a context that carries a trace header (the local runtime passes headers from one
// hop to the next this way).
func WithHeader(ctx context.Context, header string) context.Context {
	return context.WithValue(ctx, ctxKey{}, header)
}

// Carried returns the header set by WithHeader only ("" without one): what the local runtime hands from
// one hop to the next, never its own process's environment.
func Carried(ctx context.Context) string {
	h, _ := ctx.Value(ctxKey{}).(string)
	return h
}

// HeaderFrom returns the trace header of ctx: one set by WithHeader, else the Lambda invocation's (from
// the handler's context, else from _X_AMZN_TRACE_ID, which holds the current invocation's header as
// Lambda runs one invocation at a time per process). "" when there is none.
func HeaderFrom(ctx context.Context) string {
	if ctx != nil {
		if h, _ := ctx.Value(ctxKey{}).(string); h != "" {
			return h
		}
		if h, _ := ctx.Value(lambdaKey).(string); h != "" {
			return h
		}
	}
	return Invocation()
}

// Invocation is the current Lambda invocation's header, from _X_AMZN_TRACE_ID ("" outside Lambda).
func Invocation() string { return os.Getenv(EnvHeader) }

// RootFrom is the trace id of ctx's header ("" without a valid one): what log lines carry.
func RootFrom(ctx context.Context) string {
	h, ok := ParseHeader(HeaderFrom(ctx))
	if !ok {
		return ""
	}
	return h.Root
}
