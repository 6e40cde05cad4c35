// Package lambdahost runs Lambda function binaries locally the way AWS Lambda does: each instance is a
// process with its own Runtime API endpoint (the protocol aws-lambda-go speaks inside Lambda), serving
// one invocation at a time; instances start on demand up to the function's concurrency and are reused
// warm; timeouts kill the instance; a crash is a Runtime.ExitError. It also serves the Invoke API, so
// `aws lambda invoke --endpoint-url ...` works against it.
//
// https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html
package lambdahost

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/orion-oss/orion/infra/engine/xray"
)

// Platform errors; function errors are reported in Result.Err instead.
var (
	ErrFunctionNotFound = errors.New("lambdahost: function not found")
	ErrTooManyRequests  = errors.New("lambdahost: rate exceeded: the function's concurrency is in use")
	ErrClosed           = errors.New("lambdahost: host is closed")
	ErrPayloadTooLarge  = errors.New("lambdahost: request payload too large")
)

// Payload limits, as Lambda's quotas.
const (
	MaxSyncPayload  = 6 << 20
	MaxAsyncPayload = 256 << 10
)

// Function is a registered function.
type Function struct {
	Name, ARN string
	Binary    string
	Env       map[string]string
	Timeout   time.Duration
	MemoryMB  int
	// MaxConcurrency is the reserved concurrency; 0 means Options.DefaultConcurrency.
	MaxConcurrency int
	Handler        string
	// Qualifiers are the published versions and aliases an invocation may name besides $LATEST
	// (AutoPublishAlias: "1" and "live"). Locally they all run the one binary: a local stack is never
	// updated in place, so each version and alias points at the code it started with.
	Qualifiers []string
	// Logging is the function's LoggingConfig: which of its output lines reach Options.Output and the
	// log tail, as Lambda filters them on their way to CloudWatch Logs.
	Logging Logging
}

// Record describes one finished invocation.
type Record struct {
	Function, RequestID, Trigger string
	Duration, Billed, Init       time.Duration
	Cold                         bool
	Outcome                      string // ok, error, timeout, crash, init-error
	ErrorType                    string
	// Injected marks an outcome an injected fault caused.
	Injected bool
	// TraceID is the trace header the invocation ran with (Lambda-Runtime-Trace-Id).
	TraceID string
}

// Options configure a Host.
type Options struct {
	Logger *slog.Logger
	// Output receives the functions' stdout and stderr, each line prefixed with the function name.
	Output io.Writer
	// BaseEnv is added to every function's environment (endpoint, dummy credentials, region).
	BaseEnv []string
	// OnInvoke observes every finished invocation.
	OnInvoke func(Record)
	// DefaultConcurrency applies to functions without reserved concurrency (default 10).
	DefaultConcurrency int
	// ThrottleWait is how long a synchronous call waits for a busy function before ErrTooManyRequests
	// (default 2s; Lambda throttles at once, but a local developer prefers a short queue).
	ThrottleWait time.Duration
	// AsyncRetryBase is the delay before the first asynchronous retry (Lambda: about a minute).
	AsyncRetryBase time.Duration
	Region         string
	// Fault, when set, is asked before each invocation whether to inject a fault into it (crash after
	// the work, timeout during it; docs/faults.md). Nil costs nothing.
	Fault func(function string, payload []byte) Fault
	// TraceDaemon, when set, receives each sampled invocation's function segment, as Lambda sends it to
	// X-Ray, so that the functions' subsegments have their parent in a local trace.
	TraceDaemon *xray.Daemon
}

// Host runs functions.
type Host struct {
	opts Options

	mu     sync.Mutex
	fns    map[string]*pool // by name
	closed bool
	async  sync.WaitGroup
	ctx    context.Context
	cancel context.CancelFunc
}

// New creates a Host.
func New(opts Options) *Host {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Output == nil {
		opts.Output = io.Discard
	}
	if opts.DefaultConcurrency <= 0 {
		opts.DefaultConcurrency = 10
	}
	if opts.ThrottleWait <= 0 {
		opts.ThrottleWait = 2 * time.Second
	}
	if opts.AsyncRetryBase <= 0 {
		opts.AsyncRetryBase = time.Minute
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Host{opts: opts, fns: map[string]*pool{}, ctx: ctx, cancel: cancel}
}

// Register adds a function.
func (h *Host) Register(f Function) error {
	if f.Name == "" || f.Binary == "" {
		return fmt.Errorf("lambdahost: function needs a name and a binary")
	}
	if f.Timeout <= 0 {
		f.Timeout = 3 * time.Second
	}
	if f.MemoryMB <= 0 {
		f.MemoryMB = 128
	}
	if f.MaxConcurrency <= 0 {
		f.MaxConcurrency = h.opts.DefaultConcurrency
	}
	if f.ARN == "" {
		f.ARN = fmt.Sprintf("arn:aws:lambda:%s:123456789012:function:%s", h.opts.Region, f.Name)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, dup := h.fns[f.Name]; dup {
		return fmt.Errorf("lambdahost: function %s registered twice", f.Name)
	}
	h.fns[f.Name] = newPool(h, f)
	return nil
}

// Functions lists the registered functions.
func (h *Host) Functions() []Function {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Function, 0, len(h.fns))
	for _, p := range h.fns {
		out = append(out, p.fn)
	}
	return out
}

// lookup accepts a name, a full ARN or a partial ARN, each with or without a qualifier (version or
// alias: "name:1", "arn:aws:lambda:us-east-1:123456789012:function:name:live"), as Invoke's
// FunctionName does (docs.aws.amazon.com/lambda/latest/api/API_Invoke.html). A qualifier the function
// does not have is not found, as on Lambda.
func (h *Host) lookup(name string) (*pool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrClosed
	}
	fn, qualifier := splitQualifier(name)
	p, ok := h.fns[fn]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrFunctionNotFound, name)
	}
	if qualifier != "" && qualifier != "$LATEST" && !slices.Contains(p.fn.Qualifiers, qualifier) {
		return nil, fmt.Errorf("%w: %s (no version or alias %q)", ErrFunctionNotFound, name, qualifier)
	}
	return p, nil
}

// splitQualifier returns the function name and qualifier of a name, partial ARN
// (123456789012:function:name[:q]) or full ARN (arn:aws:lambda:region:account:function:name[:q]).
func splitQualifier(name string) (fn, qualifier string) {
	parts := strings.Split(name, ":")
	if i := slices.Index(parts, "function"); i >= 0 && i+1 < len(parts) {
		parts = parts[i+1:]
	}
	if len(parts) >= 2 {
		return parts[0], parts[1]
	}
	return parts[0], ""
}

// InvokeOptions carry the invocation's context.
type InvokeOptions struct {
	Trigger string
	// TraceID is the caller's X-Ray trace header. As Lambda does, the invocation keeps its Root and
	// sampling decision under a segment of its own (a new Parent); without one it starts a new, sampled
	// trace (locally every trace is sampled).
	TraceID       string
	ClientContext []byte
}

// Result is a finished invocation.
type Result struct {
	RequestID    string
	Payload      []byte
	Err          *FunctionError
	Duration     time.Duration
	Billed       time.Duration
	InitDuration time.Duration
	Logs         []byte // the invocation's output, last 4 KB
}

// FunctionError is a function's error in Lambda's shape.
type FunctionError struct {
	Type       string   `json:"errorType"`
	Message    string   `json:"errorMessage"`
	StackTrace []string `json:"stackTrace,omitempty"`
}

func (e *FunctionError) Error() string { return e.Type + ": " + e.Message }

// Invoke runs the function synchronously.
func (h *Host) Invoke(ctx context.Context, name string, payload []byte, o InvokeOptions) (Result, error) {
	if len(payload) > MaxSyncPayload {
		return Result{}, ErrPayloadTooLarge
	}
	p, err := h.lookup(name)
	if err != nil {
		return Result{}, err
	}
	return p.invoke(ctx, payload, o)
}

// AsyncOptions configure an asynchronous invocation (the function's EventInvokeConfig).
type AsyncOptions struct {
	Trigger string
	// TraceID is the caller's trace header; every attempt runs in that trace.
	TraceID string
	// MaxRetryAttempts is 0-2; nil means Lambda's default of 2.
	MaxRetryAttempts *int
	// MaxEventAge is 60 s to 6 h; 0 means 6 h.
	MaxEventAge time.Duration
	// OnFailure receives an event that failed every attempt (the DLQ or on-failure destination).
	OnFailure func(ctx context.Context, payload []byte, last *FunctionError, attempts int)
	// OnSuccess receives the result of a successful attempt (the on-success destination).
	OnSuccess func(ctx context.Context, payload, result []byte)
}

// InvokeAsync queues an event invocation and returns at once, as Lambda's Event invocation type does.
func (h *Host) InvokeAsync(name string, payload []byte, o AsyncOptions) error {
	if len(payload) > MaxAsyncPayload {
		return ErrPayloadTooLarge
	}
	p, err := h.lookup(name)
	if err != nil {
		return err
	}
	retries := 2
	if o.MaxRetryAttempts != nil {
		retries = *o.MaxRetryAttempts
	}
	maxAge := o.MaxEventAge
	if maxAge <= 0 {
		maxAge = 6 * time.Hour
	}
	h.async.Add(1)
	go func() {
		defer h.async.Done()
		start := time.Now()
		var last *FunctionError
		attempt := 0
		for ; attempt <= retries; attempt++ {
			if attempt > 0 {
				// Lambda waits about one minute, then two, between attempts.
				delay := h.opts.AsyncRetryBase << (attempt - 1)
				if time.Since(start)+delay > maxAge {
					break
				}
				select {
				case <-time.After(delay):
				case <-h.ctx.Done():
					return
				}
			}
			res, err := p.invoke(h.ctx, payload, InvokeOptions{Trigger: o.Trigger, TraceID: o.TraceID})
			if err != nil {
				if h.ctx.Err() != nil {
					return
				}
				// Throttles and platform errors are retried by Lambda's queue without using an attempt.
				last = &FunctionError{Type: "Lambda.ServiceException", Message: err.Error()}
				attempt--
				select {
				case <-time.After(200 * time.Millisecond):
				case <-h.ctx.Done():
					return
				}
				if time.Since(start) > maxAge {
					break
				}
				continue
			}
			if res.Err == nil {
				if o.OnSuccess != nil {
					o.OnSuccess(h.ctx, payload, res.Payload)
				}
				return
			}
			last = res.Err
		}
		h.opts.Logger.Warn("lambdahost: asynchronous invocation failed every attempt", "function", name, "attempts", attempt, "error", last)
		if o.OnFailure != nil {
			o.OnFailure(context.WithoutCancel(h.ctx), payload, last, attempt)
		}
	}()
	return nil
}

// Close stops every instance and waits for queued asynchronous invocations to give up.
func (h *Host) Close(ctx context.Context) error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	pools := make([]*pool, 0, len(h.fns))
	for _, p := range h.fns {
		pools = append(pools, p)
	}
	h.mu.Unlock()
	h.cancel()
	for _, p := range pools {
		p.close()
	}
	done := make(chan struct{})
	go func() { h.async.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
