package lambdahost

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/orion-oss/orion/infra/engine/loopback"
)

// initTimeout is Lambda's limit on the init phase.
const initTimeout = 10 * time.Second

// pool holds the instances of one function.
type pool struct {
	h  *Host
	fn Function

	mu      sync.Mutex
	idle    []*instance
	alive   int // starting, busy or idle
	changed chan struct{}
	closed  bool
	all     map[*instance]bool
}

func newPool(h *Host, f Function) *pool {
	return &pool{h: h, fn: f, changed: make(chan struct{}), all: map[*instance]bool{}}
}

// notify wakes everyone waiting for an instance; callers hold p.mu.
func (p *pool) notify() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// acquire returns an idle instance, or starts one while the function is under its concurrency, or
// waits for one up to ThrottleWait.
func (p *pool) acquire(ctx context.Context) (*instance, error) {
	throttle := time.NewTimer(p.h.opts.ThrottleWait)
	defer throttle.Stop()
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, ErrClosed
		}
		if n := len(p.idle); n > 0 {
			inst := p.idle[n-1]
			p.idle = p.idle[:n-1]
			p.mu.Unlock()
			if inst.isAlive() {
				return inst, nil
			}
			continue
		}
		if p.alive < p.fn.MaxConcurrency {
			p.alive++
			p.mu.Unlock()
			inst, err := p.start(ctx)
			if err != nil {
				p.mu.Lock()
				p.alive--
				p.notify()
				p.mu.Unlock()
				return nil, err
			}
			return inst, nil
		}
		wait := p.changed
		p.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-throttle.C:
			return nil, fmt.Errorf("%w: %s (%d concurrent)", ErrTooManyRequests, p.fn.Name, p.fn.MaxConcurrency)
		}
	}
}

func (p *pool) release(inst *instance) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || !inst.isAlive() {
		return
	}
	p.idle = append(p.idle, inst)
	p.notify()
}

// gone is called once when an instance's process has exited.
func (p *pool) gone(inst *instance) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.all[inst] {
		return
	}
	delete(p.all, inst)
	p.alive--
	for i, x := range p.idle {
		if x == inst {
			p.idle = append(p.idle[:i], p.idle[i+1:]...)
			break
		}
	}
	p.notify()
}

func (p *pool) close() {
	p.mu.Lock()
	p.closed = true
	insts := make([]*instance, 0, len(p.all))
	for inst := range p.all {
		insts = append(insts, inst)
	}
	p.notify()
	p.mu.Unlock()
	for _, inst := range insts {
		inst.kill()
		<-inst.exited
	}
}

// invocation is one request handed to an instance.
type invocation struct {
	id       string
	payload  []byte
	deadline time.Time
	opts     InvokeOptions
	result   chan invResult
	trace    string // Lambda-Runtime-Trace-Id
}

type invResult struct {
	payload []byte
	err     *FunctionError
}

// instance is one execution environment: a process and its Runtime API listener.
type instance struct {
	p        *pool
	cmd      *exec.Cmd
	srv      *http.Server
	work     chan *invocation
	ready    chan struct{}
	initErr  chan *FunctionError
	exited   chan struct{}
	exitErr  error
	readyOne sync.Once
	initDur  time.Duration

	mu      sync.Mutex
	current *invocation
	logs    tail
}

func (p *pool) start(ctx context.Context) (*instance, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("lambdahost: runtime API listener: %w", err)
	}
	inst := &instance{p: p, work: make(chan *invocation), ready: make(chan struct{}), initErr: make(chan *FunctionError, 1),
		exited: make(chan struct{}), logs: tail{max: 4 << 10}}
	// The Runtime API is for the instance's process only, never for a web page (loopback.Guard).
	inst.srv = &http.Server{Handler: loopback.Guard(inst.routes()), ReadHeaderTimeout: 10 * time.Second}
	go inst.srv.Serve(ln)

	cmd := exec.Command(p.fn.Binary)
	cmd.Env = p.env(ln.Addr().String())
	out := &lineWriter{prefix: "[" + p.fn.Name + "] ", dst: p.h.opts.Output, tee: &inst.logs, keep: p.fn.Logging.KeepsApplicationLine}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	started := time.Now()
	if err := cmd.Start(); err != nil {
		inst.srv.Close()
		return nil, fmt.Errorf("lambdahost: start %s (%s): %w", p.fn.Name, p.fn.Binary, err)
	}
	inst.cmd = cmd
	p.mu.Lock()
	p.all[inst] = true
	p.mu.Unlock()
	go func() {
		inst.exitErr = cmd.Wait()
		out.flush()
		inst.srv.Close()
		close(inst.exited)
		p.gone(inst)
	}()

	timer := time.NewTimer(initTimeout)
	defer timer.Stop()
	select {
	case <-inst.ready:
		inst.initDur = time.Since(started)
		return inst, nil
	case ferr := <-inst.initErr:
		inst.kill()
		return nil, &initFailure{ferr}
	case <-inst.exited:
		return nil, &initFailure{&FunctionError{Type: "Runtime.ExitError", Message: fmt.Sprintf("Runtime exited during init: %v", inst.exitErr)}}
	case <-timer.C:
		inst.kill()
		return nil, &initFailure{&FunctionError{Type: "Runtime.InitTimeout", Message: "Init phase exceeded 10 seconds"}}
	case <-ctx.Done():
		inst.kill()
		return nil, ctx.Err()
	}
}

// initFailure is an init error, reported to the caller as the invocation's function error.
type initFailure struct{ err *FunctionError }

func (e *initFailure) Error() string { return e.err.Error() }

// env is what Lambda's execution environment defines, then the base environment, then the function's
// own variables, which may not override the reserved ones.
func (p *pool) env(runtimeAPI string) []string {
	f := p.fn
	reserved := map[string]string{
		"AWS_LAMBDA_RUNTIME_API":          runtimeAPI,
		"AWS_LAMBDA_FUNCTION_NAME":        f.Name,
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(f.MemoryMB),
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + f.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME":      time.Now().UTC().Format("2006/01/02") + "/[$LATEST]" + newID()[:32],
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_REGION":                      p.h.opts.Region,
		"AWS_DEFAULT_REGION":              p.h.opts.Region,
		"AWS_EXECUTION_ENV":               "AWS_Lambda_provided.al2023",
		"_HANDLER":                        f.Handler,
		"LAMBDA_TASK_ROOT":                "/var/task",
		"LAMBDA_RUNTIME_DIR":              "/var/runtime",
		"TZ":                              ":UTC",
	}
	env := []string{"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=en_US.UTF-8"}
	env = append(env, p.h.opts.BaseEnv...)
	for k, v := range f.Env {
		if _, isReserved := reserved[k]; !isReserved {
			env = append(env, k+"="+v)
		}
	}
	for k, v := range reserved {
		env = append(env, k+"="+v)
	}
	return env
}

func (inst *instance) isAlive() bool {
	select {
	case <-inst.exited:
		return false
	default:
		return true
	}
}

func (inst *instance) kill() {
	if inst.cmd != nil && inst.cmd.Process != nil {
		_ = syscall.Kill(-inst.cmd.Process.Pid, syscall.SIGKILL)
	}
}

func (p *pool) invoke(ctx context.Context, payload []byte, o InvokeOptions) (Result, error) {
	inst, err := p.acquire(ctx)
	if err != nil {
		var init *initFailure
		if errors.As(err, &init) {
			p.report(Record{Function: p.fn.Name, Trigger: o.Trigger, Cold: true, Outcome: "init-error", ErrorType: init.err.Type})
			return Result{RequestID: newID(), Err: init.err}, nil
		}
		return Result{}, err
	}
	cold := inst.initDur > 0
	initDur := inst.initDur
	inst.initDur = 0
	var fault Fault
	if p.h.opts.Fault != nil {
		fault = p.h.opts.Fault(p.fn.Name, payload)
	}
	inv := &invocation{id: newID(), payload: payload, deadline: time.Now().Add(p.fn.Timeout), opts: o, result: make(chan invResult, 1),
		trace: invocationTrace(o.TraceID)}
	inst.logs.reset()
	start := time.Now()
	select {
	case inst.work <- inv:
	case <-inst.exited:
		// The idle instance died between invocations; Lambda would start a fresh one.
		return p.invoke(ctx, payload, o)
	case <-ctx.Done():
		p.release(inst)
		return Result{}, ctx.Err()
	}
	timer := time.NewTimer(p.fn.Timeout)
	defer timer.Stop()
	var cut <-chan time.Time // an injected timeout's moment
	if fault.Kind == TimeoutDuringWork && fault.At > 0 && fault.At < p.fn.Timeout {
		t := time.NewTimer(fault.At)
		defer t.Stop()
		cut = t.C
	}
	res := Result{RequestID: inv.id, InitDuration: initDur}
	outcome := "ok"
	select {
	case r := <-inv.result:
		if fault.Kind != NoFault {
			// The work is done and the answer is here; the environment dies before delivering it.
			inst.kill()
			<-inst.exited
			res.Err, outcome = fault.Kind.injected(inv.id, p.fn.Timeout), fault.Kind.outcome()
			break
		}
		res.Payload, res.Err = r.payload, r.err
		if r.err != nil {
			outcome = "error"
		}
		p.release(inst)
	case <-cut:
		inst.kill()
		<-inst.exited
		res.Err, outcome = fault.Kind.injected(inv.id, p.fn.Timeout), fault.Kind.outcome()
	case <-timer.C:
		inst.kill()
		res.Err = timedOut(inv.id, p.fn.Timeout)
		outcome = "timeout"
		fault.Kind = NoFault
		<-inst.exited
	case <-inst.exited:
		select {
		case r := <-inv.result:
			// The function answered, then exited (aws-lambda-go reports a panic, then exits): both were
			// ready when select chose, so the answer is still here and is what Lambda reports.
			res.Payload, res.Err = r.payload, r.err
			if r.err != nil {
				outcome = "error"
			}
		default:
			res.Err = &FunctionError{Type: "Runtime.ExitError", Message: fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %v", inv.id, inst.exitErr)}
			outcome = "crash"
		}
	case <-ctx.Done():
		// The caller gave up; the environment is in an unknown state, so it is not reused.
		inst.kill()
		return Result{}, ctx.Err()
	}
	res.Duration = time.Since(start)
	res.Billed = res.Duration.Round(time.Millisecond)
	if res.Billed < res.Duration {
		res.Billed += time.Millisecond
	}
	res.Logs = inst.logs.bytes()
	p.sendSegment(inv, start, start.Add(res.Duration), outcome)
	rec := Record{Function: p.fn.Name, RequestID: inv.id, Trigger: o.Trigger, Duration: res.Duration, Billed: res.Billed, Init: initDur, Cold: cold, Outcome: outcome,
		Injected: fault.Kind != NoFault, TraceID: inv.trace}
	if res.Err != nil {
		rec.ErrorType = res.Err.Type
	}
	p.report(rec)
	return res, nil
}

func timedOut(id string, timeout time.Duration) *FunctionError {
	return &FunctionError{Type: "Sandbox.Timedout", Message: fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", id, timeout.Seconds())}
}

func (p *pool) report(r Record) {
	if p.h.opts.OnInvoke != nil {
		p.h.opts.OnInvoke(r)
	}
}

// routes serve the Runtime API for this instance.
func (inst *instance) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", inst.next)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", inst.response)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", inst.invocationError)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", inst.initError)
	return mux
}

func (inst *instance) next(w http.ResponseWriter, r *http.Request) {
	inst.readyOne.Do(func() { close(inst.ready) })
	select {
	case inv := <-inst.work:
		inst.mu.Lock()
		inst.current = inv
		inst.mu.Unlock()
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", inst.p.fn.ARN)
		h.Set("Lambda-Runtime-Trace-Id", inv.trace)
		if len(inv.opts.ClientContext) > 0 {
			h.Set("Lambda-Runtime-Client-Context", string(inv.opts.ClientContext))
		}
		h.Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write(inv.payload)
	case <-r.Context().Done():
	case <-inst.exited:
	}
}

// take returns the current invocation if id names it, and clears it so a second report is refused.
func (inst *instance) take(id string) *invocation {
	inst.mu.Lock()
	defer inst.mu.Unlock()
	if inst.current == nil || inst.current.id != id {
		return nil
	}
	inv := inst.current
	inst.current = nil
	return inv
}

func runtimeError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"errorType": typ, "errorMessage": msg})
}

func accepted(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	w.Write([]byte(`{"status":"OK"}`))
}

func (inst *instance) response(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxSyncPayload+1))
	inv := inst.take(r.PathValue("id"))
	if inv == nil {
		runtimeError(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID")
		return
	}
	switch {
	case err != nil:
		inv.result <- invResult{err: &FunctionError{Type: "Runtime.ResponseError", Message: err.Error()}}
		runtimeError(w, http.StatusInternalServerError, "Runtime.ResponseError", err.Error())
	case len(body) > MaxSyncPayload:
		msg := fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", MaxSyncPayload)
		inv.result <- invResult{err: &FunctionError{Type: "Function.ResponseSizeTooLarge", Message: msg}}
		runtimeError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", msg)
	default:
		inv.result <- invResult{payload: body}
		accepted(w)
	}
}

func (inst *instance) invocationError(w http.ResponseWriter, r *http.Request) {
	ferr := decodeError(r)
	inv := inst.take(r.PathValue("id"))
	if inv == nil {
		runtimeError(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID")
		return
	}
	inv.result <- invResult{err: ferr}
	accepted(w)
}

func (inst *instance) initError(w http.ResponseWriter, r *http.Request) {
	select {
	case inst.initErr <- decodeError(r):
	default:
	}
	accepted(w)
}

func decodeError(r *http.Request) *FunctionError {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var fe FunctionError
	if json.Unmarshal(body, &fe) != nil || fe.Type == "" && fe.Message == "" {
		fe = FunctionError{Type: "Runtime.Unknown", Message: strings.TrimSpace(string(body))}
	}
	if t := r.Header.Get("Lambda-Runtime-Function-Error-Type"); fe.Type == "" && t != "" {
		fe.Type = t
	}
	return &fe
}

func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// lineWriter prefixes each line of a function's output and keeps a tail of it. Lines that the
// function's log-level filtering drops (keep) reach neither: Lambda drops them before CloudWatch Logs.
type lineWriter struct {
	mu     sync.Mutex
	prefix string
	dst    io.Writer
	tee    *tail
	keep   func(line []byte) bool // nil keeps every line
	buf    []byte
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			break
		}
		l.emit(l.buf[:i])
		l.buf = l.buf[i+1:]
	}
	if len(l.buf) > 64<<10 { // a runaway line without newline
		l.emit(l.buf)
		l.buf = l.buf[:0]
	}
	return len(p), nil
}

// emit writes one line (without its newline) if the filter keeps it; callers hold l.mu.
func (l *lineWriter) emit(line []byte) {
	if l.keep != nil && !l.keep(line) {
		return
	}
	l.tee.write(append(append([]byte(nil), line...), '\n'))
	l.dst.Write(append(append([]byte(l.prefix), line...), '\n'))
}

func (l *lineWriter) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) > 0 {
		l.emit(l.buf)
		l.buf = nil
	}
}

// tail keeps the last max bytes of an invocation's output (X-Amz-Log-Result is the last 4 KB).
type tail struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (t *tail) write(p []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0:0], t.buf[over:]...)
	}
}

func (t *tail) reset() {
	t.mu.Lock()
	t.buf = nil
	t.mu.Unlock()
}

func (t *tail) bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]byte(nil), t.buf...)
}
