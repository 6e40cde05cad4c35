// Package edge is the single AWS endpoint that functions and developers use locally. It forwards every
// request to the AWS emulator (moto or LocalStack) except the APIs the emulator cannot serve faithfully,
// which the runtime registers here: the Lambda Invoke API, Step Functions, the API Gateway Management
// API. It also watches EventBridge PutEvents so that events that reach the emulator's bus are delivered
// to the template's rule targets, which the emulator cannot call.
package edge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"

	"github.com/orion-oss/orion/infra/engine/loopback"
	"github.com/orion-oss/orion/infra/engine/xray"
)

// maxBody bounds what the edge buffers of a request it inspects (EventBridge's PutEvents limit is 1 MiB).
const maxBody = 4 << 20

// Route claims requests for a handler of the runtime's own.
type Route struct {
	Name    string
	Match   func(*http.Request) bool
	Handler http.Handler
}

// PutEventsEntry is one accepted entry of a PutEvents call, with the id the emulator gave it.
type PutEventsEntry struct {
	EventID    string
	Bus        string
	Source     string
	DetailType string
	Detail     json.RawMessage
	Resources  []string
	Time       time.Time
	// TraceHeader is the entry's TraceHeader, else the request's X-Amzn-Trace-Id (the SDK sends the
	// calling function's); EventBridge drops one that is not a valid X-Ray header.
	TraceHeader string
}

// Edge is an http.Handler.
type Edge struct {
	upstream *url.URL
	proxy    *httputil.ReverseProxy
	client   *http.Client
	routes   []Route
	logger   *slog.Logger
	// OnPutEvents is called, after the emulator accepted them, with the entries of each PutEvents call.
	OnPutEvents func([]PutEventsEntry)
	// OnCall observes every signed request, before anything else happens to it.
	OnCall func(Call)
	faults faultList
}

// New builds an edge in front of the emulator at upstream.
func New(upstream string, logger *slog.Logger) (*Edge, error) {
	u, err := url.Parse(upstream)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("edge: upstream %q is not a URL", upstream)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	p := httputil.NewSingleHostReverseProxy(u)
	p.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		logger.Error("edge: emulator unreachable", "url", upstream, "error", err)
		writeAWSError(w, http.StatusBadGateway, "ServiceUnavailable", "the local AWS emulator did not answer: "+err.Error())
	}
	p.ModifyResponse = func(resp *http.Response) error {
		dropCORS(resp.Header)
		return nil
	}
	return &Edge{upstream: u, proxy: p, client: &http.Client{Timeout: 60 * time.Second}, logger: logger}, nil
}

// Handle registers a route; earlier routes win.
func (e *Edge) Handle(r Route) { e.routes = append(e.routes, r) }

// TargetPrefix matches JSON-protocol requests by their X-Amz-Target (e.g. "AWSStepFunctions.").
func TargetPrefix(prefix string) func(*http.Request) bool {
	return func(r *http.Request) bool { return strings.HasPrefix(r.Header.Get("X-Amz-Target"), prefix) }
}

// PathPrefix matches REST-protocol requests by path.
func PathPrefix(prefix string) func(*http.Request) bool {
	return func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, prefix) }
}

// ConnectionsPath matches the API Gateway Management API: /@connections/{id}, or /{stage}/@connections/{id}
// when the SDK's endpoint includes the stage, as it does on AWS.
func ConnectionsPath(r *http.Request) bool {
	p := strings.TrimPrefix(r.URL.Path, "/")
	if _, rest, ok := strings.Cut(p, "/"); ok && !strings.HasPrefix(p, "@connections/") {
		p = rest
	}
	return strings.HasPrefix(p, "@connections/")
}

// ServeHTTP refuses, first of all, what a web page could send (loopback.Guard): a cross-site form post
// or a DNS-rebound name must not reach the emulator or invoke a function.
func (e *Edge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if reason := loopback.Refusal(r); reason != "" {
		e.logger.Warn("edge: request refused", "reason", reason, "method", r.Method, "path", r.URL.Path)
		loopback.Refuse(w, reason)
		return
	}
	if e.OnCall != nil {
		if c, ok := callOf(r); ok {
			e.OnCall(c)
		}
	}
	if e.injected(w, r) {
		return
	}
	for _, rt := range e.routes {
		if rt.Match(r) {
			rt.Handler.ServeHTTP(w, r)
			return
		}
	}
	if r.Header.Get("X-Amz-Target") == "AWSEvents.PutEvents" && e.OnPutEvents != nil {
		e.putEvents(w, r)
		return
	}
	// Or the emulator's answer may be cut mid-body (golang/go#40747; infra/engine/proxytest says how). A
	// writer without the option (not HTTP/1's) has nothing to turn off.
	_ = http.NewResponseController(w).EnableFullDuplex()
	e.proxy.ServeHTTP(w, r)
}

// putEvents forwards the call, relays the emulator's answer unchanged, then hands the accepted entries
// to OnPutEvents. Entries the emulator rejected are not delivered, as on AWS.
func (e *Edge) putEvents(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		writeAWSError(w, http.StatusRequestEntityTooLarge, "ValidationException", "request too large")
		return
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, e.upstream.String()+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		writeAWSError(w, http.StatusInternalServerError, "InternalException", err.Error())
		return
	}
	req.Header = r.Header.Clone()
	resp, err := e.client.Do(req)
	if err != nil {
		writeAWSError(w, http.StatusBadGateway, "ServiceUnavailable", "the local AWS emulator did not answer: "+err.Error())
		return
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		writeAWSError(w, http.StatusBadGateway, "ServiceUnavailable", err.Error())
		return
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	dropCORS(w.Header())
	w.WriteHeader(resp.StatusCode)
	w.Write(respBody)
	if resp.StatusCode != http.StatusOK {
		return
	}
	entries, err := accepted(body, respBody, r.Header.Get("X-Amzn-Trace-Id"))
	if err != nil {
		e.logger.Error("edge: PutEvents accepted by the emulator but not understood; not delivered", "error", err)
		return
	}
	if len(entries) > 0 {
		e.OnPutEvents(entries)
	}
}

func accepted(reqBody, respBody []byte, requestTrace string) ([]PutEventsEntry, error) {
	var in struct {
		Entries []struct {
			EventBusName string
			Source       string
			DetailType   string
			Detail       string
			Resources    []string
			Time         *float64
			TraceHeader  string
		}
	}
	var out struct {
		Entries []struct {
			EventId   string
			ErrorCode string
		}
	}
	if err := json.Unmarshal(reqBody, &in); err != nil {
		return nil, fmt.Errorf("request: %w", err)
	}
	if err := json.Unmarshal(respBody, &out); err != nil {
		return nil, fmt.Errorf("response: %w", err)
	}
	if len(out.Entries) != len(in.Entries) {
		return nil, fmt.Errorf("response has %d entries for %d requested", len(out.Entries), len(in.Entries))
	}
	var res []PutEventsEntry
	for i, e := range in.Entries {
		if out.Entries[i].ErrorCode != "" || out.Entries[i].EventId == "" {
			continue
		}
		bus := e.EventBusName
		if bus == "" {
			bus = "default"
		}
		if strings.HasPrefix(bus, "arn:") {
			bus = bus[strings.LastIndex(bus, "/")+1:]
		}
		at := time.Now().UTC()
		if e.Time != nil {
			at = time.Unix(int64(*e.Time), 0).UTC()
		}
		detail := json.RawMessage(e.Detail)
		if !json.Valid(detail) {
			continue
		}
		trace := e.TraceHeader
		if trace == "" {
			trace = requestTrace
		}
		if _, ok := xray.ParseHeader(trace); !ok {
			trace = ""
		}
		res = append(res, PutEventsEntry{EventID: out.Entries[i].EventId, Bus: bus, Source: e.Source,
			DetailType: e.DetailType, Detail: detail, Resources: e.Resources, Time: at, TraceHeader: trace})
	}
	return res, nil
}

// dropCORS removes the CORS headers the emulator adds (moto echoes any Origin): no web page may read
// what the local AWS endpoint answers.
func dropCORS(h http.Header) {
	for k := range h {
		if strings.HasPrefix(k, "Access-Control-") {
			delete(h, k)
		}
	}
}

// writeAWSError answers in the JSON error shape of AWS's JSON protocols, which every SDK decodes.
func writeAWSError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}
