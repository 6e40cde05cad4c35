package states

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/orion-oss/orion/infra/engine/xray"
)

// Service runs the executions of registered state machines and serves the Step Functions API subset a
// developer and the project need (StartExecution, DescribeExecution, GetExecutionHistory,
// ListExecutions, StopExecution, SendTaskSuccess/Failure/Heartbeat, DescribeStateMachine,
// ListStateMachines), so `aws stepfunctions
// --endpoint-url ...` and the SDK work locally. Executions live in memory.
type Service struct {
	Resources Resources
	// OnTransition observes every state entered and exited (make dev logs it).
	OnTransition func(execution string, t Transition)
	// OnStatusChange observes each execution starting and ending, as Step Functions reports it to
	// EventBridge ("Step Functions Execution Status Change" on the default bus).
	OnStatusChange func(StatusChange)
	Sleep          func(ctx context.Context, d time.Duration) error

	tokens     Tokens
	mu         sync.Mutex
	machines   map[string]*registered // by ARN
	executions map[string]*execution  // by ARN
	wg         sync.WaitGroup
	ctx        context.Context
	cancel     context.CancelFunc
}

type registered struct {
	arn, name, definition string
	machine               *Machine
	created               time.Time
}

type execution struct {
	mu                    sync.Mutex
	arn, name, machineArn string
	input                 string
	traceHeader           string
	status                string
	output                string
	failure               *Failure
	start, stop           time.Time
	history               []map[string]any
	cancel                context.CancelFunc
	done                  chan struct{}
}

// NewService builds an empty service.
func NewService(r Resources) *Service {
	ctx, cancel := context.WithCancel(context.Background())
	return &Service{Resources: r, machines: map[string]*registered{}, executions: map[string]*execution{}, ctx: ctx, cancel: cancel}
}

// Register adds a state machine from its definition (substitutions already applied).
func (s *Service) Register(arn, name, definition string) error {
	m, err := Parse([]byte(definition))
	if err != nil {
		return fmt.Errorf("state machine %s: %w", name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.machines[arn] = &registered{arn: arn, name: name, definition: definition, machine: m, created: time.Now()}
	return nil
}

// jsonProblem says where input stops being JSON, in the manner of AWS's InvalidExecutionInput
// message, which quotes its JSON parser (Jackson): "Invalid State Machine Execution Input:
// 'com.fasterxml.jackson.core.JsonParseException: Unexpected character ('"' (code 34)): was expecting
// comma to separate Object entries at [Source: ...; line: 1, column: 58]'" (an AWS reply quoted in
// public posts); Go's "invalid character ... looking for beginning of value" stays out.
func jsonProblem(b []byte) string {
	var v any
	var se *json.SyntaxError
	if err := json.Unmarshal(b, &v); !errors.As(err, &se) {
		return "the input is not valid JSON"
	}
	off := int(se.Offset)
	if off >= len(b) || off < 1 {
		line, col := lineColumn(b, len(b))
		return fmt.Sprintf("Unexpected end-of-input at line %d, column %d", line, col+1)
	}
	start := off - 1
	for start > 0 && !utf8.RuneStart(b[start]) {
		start--
	}
	r, _ := utf8.DecodeRune(b[start:])
	line, col := lineColumn(b, start)
	return fmt.Sprintf("Unexpected character ('%c' (code %d)) at line %d, column %d", r, r, line, col+1)
}

// lineColumn is the 1-based line and the 0-based column (Jackson's are 1-based) of byte offset off in b.
func lineColumn(b []byte, off int) (line, col int) {
	line = 1 + bytes.Count(b[:off], []byte("\n"))
	return line, utf8.RuneCount(b[bytes.LastIndexByte(b[:off], '\n')+1 : off])
}

// maxTraceHeader is StartExecution's limit on traceHeader.
const maxTraceHeader = 256

// ErrExecutionExists is StartExecution with the name of a closed execution, or of a running one with
// another input.
var ErrExecutionExists = &Failure{Name: "ExecutionAlreadyExists", Cause: "an execution with this name exists with a different input"}

// Start begins an execution and returns its ARN. As for Standard workflows, a repeated start with the
// same name and input returns the existing execution instead of starting another.
func (s *Service) Start(machineArn, name, input string) (string, error) {
	return s.StartTraced(machineArn, name, input, "")
}

// StartTraced is Start with the caller's X-Ray trace header (StartExecution's traceHeader): every Task of
// the execution runs in that trace (Resources.Run's context carries it; xray.Carried reads it).
func (s *Service) StartTraced(machineArn, name, input, traceHeader string) (string, error) {
	s.mu.Lock()
	m := s.machines[machineArn]
	if m == nil {
		s.mu.Unlock()
		return "", &Failure{Name: "StateMachineDoesNotExist", Cause: machineArn}
	}
	if name == "" {
		name = newID()
	}
	arn := strings.Replace(machineArn, ":stateMachine:", ":execution:", 1) + ":" + name
	if ex := s.executions[arn]; ex != nil {
		s.mu.Unlock()
		// As for Standard workflows: the same name and input while running returns the running
		// execution; once it has closed, or with another input, the name is taken.
		ex.mu.Lock()
		running := ex.status == "RUNNING"
		ex.mu.Unlock()
		if running && jsonEqual(ex.input, input) {
			return arn, nil
		}
		return "", ErrExecutionExists
	}
	if input == "" {
		input = "{}"
	}
	in, err := Decode([]byte(input))
	if err != nil {
		s.mu.Unlock()
		return "", &Failure{Name: "InvalidExecutionInput", Cause: "Invalid State Machine Execution Input: '" + jsonProblem([]byte(input)) + "'"}
	}
	if len(traceHeader) > maxTraceHeader {
		s.mu.Unlock()
		return "", &Failure{Name: "ValidationException", Cause: "traceHeader is longer than 256 characters"}
	}
	ctx, cancel := context.WithCancel(s.ctx)
	if traceHeader != "" {
		ctx = xray.WithHeader(ctx, traceHeader)
	}
	ex := &execution{arn: arn, name: name, machineArn: machineArn, input: input, traceHeader: traceHeader, status: "RUNNING", start: time.Now().UTC(),
		cancel: cancel, done: make(chan struct{})}
	s.executions[arn] = ex
	s.wg.Add(1)
	s.mu.Unlock()

	ex.record("ExecutionStarted", "executionStartedEventDetails", map[string]any{"input": input, "roleArn": "arn:aws:iam::123456789012:role/local"})
	s.statusChanged(ex)
	go func() {
		defer s.wg.Done()
		defer close(ex.done)
		e := &Execution{Resources: s.Resources, Sleep: s.Sleep, Tokens: &s.tokens, Context: map[string]any{
			"Execution":    map[string]any{"Id": arn, "Name": name, "Input": in, "StartTime": ex.start.Format(time.RFC3339Nano), "RoleArn": "arn:aws:iam::123456789012:role/local"},
			"StateMachine": map[string]any{"Id": machineArn, "Name": m.name},
		}, Observe: func(t Transition) {
			ex.transition(t)
			if s.OnTransition != nil {
				s.OnTransition(name, t)
			}
		}}
		out, err := e.Run(ctx, m.machine, in)
		ex.finish(out, err)
		s.statusChanged(ex)
	}()
	return arn, nil
}

func (ex *execution) record(typ, detailsKey string, details map[string]any) {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	ev := map[string]any{"id": len(ex.history) + 1, "previousEventId": len(ex.history), "timestamp": float64(time.Now().UnixMilli()) / 1000, "type": typ}
	if detailsKey != "" {
		ev[detailsKey] = details
	}
	ex.history = append(ex.history, ev)
}

// stateEventNames are the history event types AWS uses per state type.
func stateEvent(typ string, entered bool) (string, string) {
	if entered {
		return typ + "StateEntered", "stateEnteredEventDetails"
	}
	return typ + "StateExited", "stateExitedEventDetails"
}

func (ex *execution) transition(t Transition) {
	if t.Entered {
		name, key := stateEvent(t.Type, true)
		b, _ := json.Marshal(t.Input)
		ex.record(name, key, map[string]any{"name": t.State, "input": string(b)})
		return
	}
	if t.Err != nil {
		if t.Attempt && t.Type == "Task" {
			ex.record("TaskFailed", "taskFailedEventDetails", map[string]any{"error": t.Err.Name, "cause": t.Err.Cause})
		}
		return
	}
	name, key := stateEvent(t.Type, false)
	b, _ := json.Marshal(t.Output)
	ex.record(name, key, map[string]any{"name": t.State, "output": string(b)})
}

func (ex *execution) finish(out any, err error) {
	var f *Failure
	switch {
	case err == nil:
		b, _ := json.Marshal(out)
		ex.record("ExecutionSucceeded", "executionSucceededEventDetails", map[string]any{"output": string(b)})
		ex.mu.Lock()
		ex.status, ex.output = "SUCCEEDED", string(b)
	case asFailure(err, &f) && f.Name == "States.Aborted":
		ex.record("ExecutionAborted", "executionAbortedEventDetails", map[string]any{"error": f.Name, "cause": f.Cause})
		ex.mu.Lock()
		ex.status, ex.failure = "ABORTED", f
	case asFailure(err, &f) && f.Name == "States.Timeout" && f.Cause == "The execution timed out":
		ex.record("ExecutionTimedOut", "executionTimedOutEventDetails", map[string]any{"error": f.Name, "cause": f.Cause})
		ex.mu.Lock()
		ex.status, ex.failure = "TIMED_OUT", f
	default:
		if !asFailure(err, &f) {
			// Run fails only with *Failure; anything else is the local runtime's fault, said so
			// rather than in Go's words.
			f = fail("States.Runtime", "The execution failed in the local runtime")
		}
		ex.record("ExecutionFailed", "executionFailedEventDetails", map[string]any{"error": f.Name, "cause": f.Cause})
		ex.mu.Lock()
		ex.status, ex.failure = "FAILED", f
	}
	ex.stop = time.Now().UTC()
	ex.mu.Unlock()
}

// StatusChange is the detail of a "Step Functions Execution Status Change" event.
type StatusChange struct {
	ExecutionArn    string  `json:"executionArn"`
	StateMachineArn string  `json:"stateMachineArn"`
	Name            string  `json:"name"`
	Status          string  `json:"status"`
	StartDate       int64   `json:"startDate"`
	StopDate        *int64  `json:"stopDate"`
	Input           string  `json:"input"`
	Output          *string `json:"output"`
	Error           *string `json:"error"`
	Cause           *string `json:"cause"`
}

func (s *Service) statusChanged(ex *execution) {
	if s.OnStatusChange == nil {
		return
	}
	ex.mu.Lock()
	c := StatusChange{ExecutionArn: ex.arn, StateMachineArn: ex.machineArn, Name: ex.name, Status: ex.status,
		StartDate: ex.start.UnixMilli(), Input: ex.input}
	if !ex.stop.IsZero() {
		stop := ex.stop.UnixMilli()
		c.StopDate = &stop
	}
	if ex.output != "" {
		out := ex.output
		c.Output = &out
	}
	if ex.failure != nil {
		name, cause := ex.failure.Name, ex.failure.Cause
		c.Error, c.Cause = &name, &cause
	}
	ex.mu.Unlock()
	s.OnStatusChange(c)
}

func asFailure(err error, f **Failure) bool {
	ff, ok := err.(*Failure)
	if ok {
		*f = ff
	}
	return ok
}

// Wait blocks until an execution ends (tests, tools) and returns its status.
func (s *Service) Wait(ctx context.Context, arn string) (string, error) {
	s.mu.Lock()
	ex := s.executions[arn]
	s.mu.Unlock()
	if ex == nil {
		return "", &Failure{Name: "ExecutionDoesNotExist", Cause: arn}
	}
	select {
	case <-ex.done:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	ex.mu.Lock()
	defer ex.mu.Unlock()
	return ex.status, nil
}

// Close stops every running execution cleanly and waits for them.
func (s *Service) Close() {
	s.cancel()
	s.wg.Wait()
}

func jsonEqual(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return a == b
	}
	return reflect.DeepEqual(x, y)
}

func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// ServeHTTP is the Step Functions JSON 1.0 API.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AWSStepFunctions.")
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var in map[string]any
	if err := json.Unmarshal(body, &in); err != nil && len(body) > 0 {
		apiError(w, &Failure{Name: "ValidationException", Cause: "body is not JSON"})
		return
	}
	str := func(k string) string { v, _ := in[k].(string); return v }
	switch op {
	case "StartExecution":
		// traceHeader, else the request's own X-Amzn-Trace-Id (the SDK sends the calling function's).
		trace := str("traceHeader")
		if trace == "" {
			trace = r.Header.Get("X-Amzn-Trace-Id")
		}
		arn, err := s.StartTraced(str("stateMachineArn"), str("name"), str("input"), trace)
		if err != nil {
			apiError(w, err)
			return
		}
		s.mu.Lock()
		start := s.executions[arn].start
		s.mu.Unlock()
		reply(w, map[string]any{"executionArn": arn, "startDate": float64(start.UnixMilli()) / 1000})
	case "DescribeExecution":
		ex := s.execution(str("executionArn"))
		if ex == nil {
			apiError(w, &Failure{Name: "ExecutionDoesNotExist", Cause: str("executionArn")})
			return
		}
		reply(w, ex.describe())
	case "GetExecutionHistory":
		ex := s.execution(str("executionArn"))
		if ex == nil {
			apiError(w, &Failure{Name: "ExecutionDoesNotExist", Cause: str("executionArn")})
			return
		}
		ex.mu.Lock()
		events := append([]map[string]any(nil), ex.history...)
		ex.mu.Unlock()
		if rev, _ := in["reverseOrder"].(bool); rev {
			for i, j := 0, len(events)-1; i < j; i, j = i+1, j-1 {
				events[i], events[j] = events[j], events[i]
			}
		}
		reply(w, map[string]any{"events": events})
	case "ListExecutions":
		s.mu.Lock()
		var out []map[string]any
		for _, ex := range s.executions {
			if ex.machineArn == str("stateMachineArn") {
				d := ex.describe()
				if f := str("statusFilter"); f == "" || d["status"] == f {
					out = append(out, d)
				}
			}
		}
		s.mu.Unlock()
		sort.Slice(out, func(i, j int) bool { return out[i]["startDate"].(float64) > out[j]["startDate"].(float64) })
		reply(w, map[string]any{"executions": out})
	case "StopExecution":
		ex := s.execution(str("executionArn"))
		if ex == nil {
			apiError(w, &Failure{Name: "ExecutionDoesNotExist", Cause: str("executionArn")})
			return
		}
		ex.cancel()
		<-ex.done
		reply(w, map[string]any{"stopDate": float64(time.Now().UnixMilli()) / 1000})
	case "SendTaskSuccess":
		if err := s.tokens.Succeed(str("taskToken"), str("output")); err != nil {
			apiError(w, err)
			return
		}
		reply(w, map[string]any{})
	case "SendTaskFailure":
		if err := s.tokens.Fail(str("taskToken"), str("error"), str("cause")); err != nil {
			apiError(w, err)
			return
		}
		reply(w, map[string]any{})
	case "SendTaskHeartbeat":
		if err := s.tokens.Heartbeat(str("taskToken")); err != nil {
			apiError(w, err)
			return
		}
		reply(w, map[string]any{})
	case "DescribeStateMachine":
		s.mu.Lock()
		m := s.machines[str("stateMachineArn")]
		s.mu.Unlock()
		if m == nil {
			apiError(w, &Failure{Name: "StateMachineDoesNotExist", Cause: str("stateMachineArn")})
			return
		}
		reply(w, map[string]any{"stateMachineArn": m.arn, "name": m.name, "definition": m.definition, "status": "ACTIVE", "type": "STANDARD",
			"roleArn": "arn:aws:iam::123456789012:role/local", "creationDate": float64(m.created.UnixMilli()) / 1000})
	case "ListStateMachines":
		s.mu.Lock()
		var out []map[string]any
		for _, m := range s.machines {
			out = append(out, map[string]any{"stateMachineArn": m.arn, "name": m.name, "type": "STANDARD", "creationDate": float64(m.created.UnixMilli()) / 1000})
		}
		s.mu.Unlock()
		reply(w, map[string]any{"stateMachines": out})
	default:
		apiError(w, &Failure{Name: "UnknownOperationException", Cause: op + " is not served locally"})
	}
}

func (s *Service) execution(arn string) *execution {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.executions[arn]
}

func (ex *execution) describe() map[string]any {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	d := map[string]any{"executionArn": ex.arn, "stateMachineArn": ex.machineArn, "name": ex.name, "status": ex.status,
		"startDate": float64(ex.start.UnixMilli()) / 1000, "input": ex.input}
	if !ex.stop.IsZero() {
		d["stopDate"] = float64(ex.stop.UnixMilli()) / 1000
	}
	if ex.output != "" {
		d["output"] = ex.output
	}
	if ex.failure != nil {
		d["error"], d["cause"] = ex.failure.Name, ex.failure.Cause
	}
	if ex.traceHeader != "" {
		d["traceHeader"] = ex.traceHeader
	}
	return d
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	json.NewEncoder(w).Encode(v)
}

func apiError(w http.ResponseWriter, err error) {
	f, ok := err.(*Failure)
	if !ok {
		f = &Failure{Name: "InternalFailure", Cause: err.Error()}
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-ErrorType", f.Name)
	w.WriteHeader(http.StatusBadRequest)
	json.NewEncoder(w).Encode(map[string]string{"__type": f.Name, "message": f.Cause})
}
