// Package xray is the engine's own X-Ray trace header and daemon sender: what the local runtime needs
// to trace a request as AWS does, from the HTTP API through Lambda, EventBridge and Step Functions.
// It parses and writes the X-Amzn-Trace-Id header, makes new trace and segment ids, carries a header
// from one hop to the next in a context, and sends segment documents to an X-Ray daemon over UDP.
//
// The functions the engine runs have their own tracing (the header format is AWS's, so both sides
// read each other's headers); the engine shares no code with them, so that it runs any template.
//
// https://docs.aws.amazon.com/xray/latest/devguide/xray-concepts.html#xray-concepts-tracingheader
package xray

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
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

// WithHeader returns a context that carries a trace header: the runtime passes headers from one hop to
// the next this way (an HTTP request to its integration, an event to its rule's targets, an execution
// to its tasks).
func WithHeader(ctx context.Context, header string) context.Context {
	return context.WithValue(ctx, ctxKey{}, header)
}

// Carried returns the header set by WithHeader ("" without one).
func Carried(ctx context.Context) string {
	h, _ := ctx.Value(ctxKey{}).(string)
	return h
}
