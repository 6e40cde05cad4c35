package states

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Resources runs Task states: a Lambda function or a service integration named by the Resource ARN.
// An error that is a *Failure keeps its name (Lambda.ServiceException, a function's errorType);
// anything else is States.TaskFailed.
type Resources interface {
	Run(ctx context.Context, resource string, input any) (any, error)
}

// Observer sees every state transition (for history and logs).
type Observer func(Transition)

// Transition is one state's entry or exit.
type Transition struct {
	State, Type string
	Entered     bool
	Input       any
	Output      any
	Err         *Failure
	// Attempt marks the failure of one attempt of a Task, Parallel or Map state (Err set), retried or
	// not; Step Functions records each in the history (TaskFailed).
	Attempt bool
	At      time.Time
}

// Execution runs one execution of a machine.
type Execution struct {
	Resources Resources
	Observe   Observer
	// Sleep waits for Wait states and retry intervals; tests make it instant.
	Sleep func(ctx context.Context, d time.Duration) error
	// Context is the context object ($$): Execution, StateMachine.
	Context map[string]any
	// Tokens receives the answers of .waitForTaskToken tasks (nil: such tasks fail).
	Tokens *Tokens

	// vars is the variable scope of this execution, branch or iteration; pending is what the
	// running state assigns, committed when it completes (vars.go).
	vars    *scope
	pending map[string]any
	// events counts the history events the observer sees, as the service records them, so a cause
	// can name "the event id" a state was entered at, as AWS's do; shared with Parallel branches and
	// Map iterations, whose events go to the same history.
	events *atomic.Int64
	// entered is the event id of the current state's entry.
	entered int64
}

func (e *Execution) sleep(ctx context.Context, d time.Duration) error {
	if e.Sleep != nil {
		return e.Sleep(ctx, d)
	}
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// MaxPayload is Step Functions' limit on the data passed between states.
const MaxPayload = 256 << 10

// MaxTransitions bounds one execution, as the 25,000-event history limit bounds a Standard workflow.
const MaxTransitions = 12500

// Run executes m on input (decoded JSON) and returns its output, or the *Failure that ended it.
func (e *Execution) Run(ctx context.Context, m *Machine, input any) (any, error) {
	e.beginScope()
	if m.TimeoutSeconds > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(m.TimeoutSeconds)*time.Second)
		defer cancel()
	}
	if e.events == nil {
		e.events = new(atomic.Int64)
		e.events.Store(1) // ExecutionStarted
		e.Context = executionContext(e.Context)
	}
	name := m.StartAt
	for steps := 0; ; steps++ {
		if steps >= MaxTransitions {
			return nil, fail("States.Runtime", "the execution exceeded %d state transitions (AWS's history limit is 25,000 events)", MaxTransitions)
		}
		if err := ctx.Err(); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				return nil, fail("States.Timeout", "The execution timed out")
			}
			return nil, fail("States.Aborted", "The execution was stopped")
		}
		s := m.States[name]
		e.observe(Transition{State: name, Type: s.Type, Entered: true, Input: input, At: time.Now()})
		out, next, err := e.step(ctx, name, s, input)
		var f *Failure
		if err != nil && !errors.As(err, &f) {
			f = rtFail("The state could not be run")
		}
		if f != nil {
			f = e.locate(name, f)
		}
		if f != nil && ctx.Err() != nil {
			// The state failed because the execution was stopped or ran out of time.
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				f = fail("States.Timeout", "The execution timed out")
			} else {
				f = fail("States.Aborted", "The execution was stopped")
			}
		}
		if f != nil && f.Name == "States.Aborted" {
			return nil, f
		}
		e.observe(Transition{State: name, Type: s.Type, Output: out, Err: f, At: time.Now()})
		if f != nil {
			return nil, f
		}
		if b, _ := json.Marshal(out); len(b) > MaxPayload {
			// AWS's cause, observed (LocalStack's test_states_errors.snapshot.json).
			return nil, fail("States.DataLimitExceeded", "The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit.", name)
		}
		if err := e.commitPending(); err != nil {
			return nil, err
		}
		if next == "" {
			return out, nil
		}
		name, input = next, out
	}
}

func (e *Execution) observe(t Transition) {
	// One event per transition the service records: a state's entry, its exit, a Task attempt's
	// failure (service.go, execution.transition).
	if e.events != nil {
		switch {
		case t.Entered:
			e.entered = e.events.Add(1)
		case t.Err == nil || (t.Attempt && t.Type == "Task"):
			e.events.Add(1)
		}
	}
	if e.Observe != nil {
		e.Observe(t)
	}
}

// step runs one state and returns its output and the next state ("" when the machine ends).
func (e *Execution) step(ctx context.Context, name string, s *state, raw any) (any, string, error) {
	sctx := e.stateContext(name, s.Type)
	e.setPending(nil)
	if s.ext.jsonata() {
		return e.stepJSONata(ctx, name, s, raw, sctx)
	}
	e.bindVariables(sctx)
	next := s.Next
	if s.End {
		next = ""
	}
	switch s.Type {
	case "Succeed":
		out, err := e.inputOutput(s, raw, sctx)
		return out, "", err
	case "Fail":
		return nil, "", failState(s, raw, sctx)
	case "Choice":
		in, err := e.input(s, raw, sctx)
		if err != nil {
			return nil, "", err
		}
		for i, r := range s.choices {
			ok, err := r.eval(in, sctx)
			if err != nil {
				return nil, "", err
			}
			if ok {
				if err := e.assignChoice(s, i, in, sctx); err != nil {
					return nil, "", err
				}
				out, err := e.output(s, in, sctx)
				return out, r.next, err
			}
		}
		if s.Default == "" {
			return nil, "", fail("States.NoChoiceMatched", "No Choice rule matched and no Default is set in state %s", name)
		}
		if err := e.assignChoice(s, -1, in, sctx); err != nil {
			return nil, "", err
		}
		out, err := e.output(s, in, sctx)
		return out, s.Default, err
	case "Wait":
		in, err := e.input(s, raw, sctx)
		if err != nil {
			return nil, "", err
		}
		d, err := waitFor(s, in, sctx)
		if err != nil {
			return nil, "", err
		}
		if err := e.sleep(ctx, d); err != nil {
			return nil, "", fail("States.Timeout", "The execution timed out")
		}
		if err := e.assignState(s, in, sctx); err != nil {
			return nil, "", err
		}
		out, err := e.output(s, in, sctx)
		return out, next, err
	}
	// Pass, Task, Parallel, Map: effective input -> work -> ResultSelector -> ResultPath -> OutputPath,
	// with Retry and Catch around the work.
	in, err := e.input(s, raw, sctx)
	if err != nil {
		return nil, "", err
	}
	if s.Type == "Task" && strings.HasSuffix(s.Resource, ".waitForTaskToken") {
		sctx["Task"] = map[string]any{"Token": newID()}
	}
	// Parameters are evaluated on every attempt, so $$.State.RetryCount is current in each retry.
	result, err := e.withRetry(ctx, name, s, sctx, func(ctx context.Context) (any, error) {
		params := in
		if s.Parameters != nil && s.Type != "Map" {
			var err error
			if params, err = resolve(s.Parameters, in, sctx); err != nil {
				return nil, err
			}
		}
		return e.work(ctx, s, params, sctx)
	})
	if err != nil {
		var f *Failure
		if !errors.As(err, &f) {
			f = rtFail("The state could not be run")
		}
		f = e.locate(name, f) // a caught States.Runtime keeps AWS's cause too
		for i, c := range s.Catch {
			if f.matchedBy(c.ErrorEquals) {
				if err := e.assignCatch(s, i, map[string]any{"Error": f.Name, "Cause": f.Cause}, sctx); err != nil {
					return nil, "", err
				}
				out := any(raw)
				switch {
				case c.nullResult:
				case c.ResultPath != nil:
					if out, err = set(raw, *c.ResultPath, map[string]any{"Error": f.Name, "Cause": f.Cause}); err != nil {
						return nil, "", resultPathFailure(*c.ResultPath, raw, err)
					}
				default:
					out = map[string]any{"Error": f.Name, "Cause": f.Cause}
				}
				return out, c.Next, nil
			}
		}
		return nil, "", f
	}
	// Assign reads the raw result, "at the same time as the ResultSelector" (workflow-variables.html).
	if err := e.assignState(s, result, sctx); err != nil {
		return nil, "", err
	}
	if s.ResultSelector != nil {
		if result, err = resolve(s.ResultSelector, result, sctx); err != nil {
			return nil, "", err
		}
	}
	out, err := e.result(s, raw, result)
	if err != nil {
		return nil, "", err
	}
	out, err = e.output(s, out, sctx)
	return out, next, err
}

func (e *Execution) work(ctx context.Context, s *state, in any, sctx map[string]any) (any, error) {
	switch s.Type {
	case "Pass":
		if s.Result != nil {
			return s.Result, nil
		}
		return in, nil
	case "Task":
		timeout, heartbeat, err := taskTimeouts(s, in, sctx)
		if err != nil {
			return nil, err
		}
		tctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		resource, waitForToken := strings.CutSuffix(s.Resource, ".waitForTaskToken")
		var w *waiter
		if waitForToken {
			if e.Tokens == nil {
				return nil, fail("States.Runtime", "waitForTaskToken is not available here")
			}
			token := sctx["Task"].(map[string]any)["Token"].(string)
			w = e.Tokens.open(token)
			defer e.Tokens.close(token)
		}
		out, err := e.Resources.Run(tctx, resource, in)
		if err == nil && w != nil {
			out, err = w.wait(tctx, heartbeat)
		}
		if tctx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
			// AWS records a timed-out task with the error and no cause (TaskTimedOut, then
			// ExecutionFailed {"error": "States.Timeout"}; observed, LocalStack's
			// timeouts/test_timeouts.snapshot.json).
			return nil, fail("States.Timeout", "")
		}
		if err != nil {
			var f *Failure
			if errors.As(err, &f) {
				return nil, f
			}
			return nil, taskFailed(resource, err)
		}
		return out, nil
	case "Parallel":
		results := make([]any, len(s.Branches))
		errs := make([]error, len(s.Branches))
		bctx, cancel := context.WithCancel(ctx)
		defer cancel()
		var wg sync.WaitGroup
		for i, b := range s.Branches {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i], errs[i] = e.child().Run(bctx, b, in)
				if errs[i] != nil {
					cancel() // one failed branch fails the state; the others stop
				}
			}()
		}
		wg.Wait()
		for _, err := range errs {
			var f *Failure
			if errors.As(err, &f) && f.Name != "States.Aborted" {
				return nil, f
			}
		}
		for _, err := range errs {
			if err != nil {
				return nil, err
			}
		}
		return results, nil
	case "Map":
		return e.runMap(ctx, s, in, sctx)
	}
	return nil, rtFail("unknown state type %s", s.Type)
}

// taskFailed is the failure of a resource that returned an error without an AWS error name (the
// Resources port's contract: a *Failure keeps its name, anything else is States.TaskFailed). The cause
// is a sentence in AWS's manner; the Go error, which would carry Go's wording ("json: ...", "dial
// tcp ...") into an execution's history, goes to the log instead.
func taskFailed(resource string, err error) *Failure {
	slog.Warn("states: a task's resource failed without an error name", "resource", resource, "err", err)
	return fail("States.TaskFailed", "The resource '%s' failed without an error name; the local runtime's log has its error.", resource)
}

func (e *Execution) runMap(ctx context.Context, s *state, in any, sctx map[string]any) (any, error) {
	itemsPath := s.ItemsPath
	if itemsPath == "" {
		itemsPath = "$"
	}
	v, err := mustLookup(in, sctx, itemsPath)
	if err != nil {
		return nil, err
	}
	items, ok := v.([]any)
	if !ok {
		// AWS's words for a Map whose items are not an array (observed for JSONata's Items, where the
		// error is States.QueryEvaluationError; JSONPath's is States.Runtime).
		return nil, rtFail("Map state input must be an array but was: %s", compactJSON(v))
	}
	selector := s.ItemSelector
	if selector == nil {
		selector = s.Parameters // the older name of ItemSelector
	}
	limit, err := maxConcurrency(s, in, sctx)
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = len(items) + 1
	}
	results := make([]any, len(items))
	errs := make([]error, len(items))
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i, item := range items {
		input := item
		if selector != nil {
			ictx := copyMap(sctx)
			ictx["Map"] = map[string]any{"Item": map[string]any{"Index": float64(i), "Value": item}}
			if input, err = resolve(selector, in, ictx); err != nil {
				return nil, err
			}
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[i], errs[i] = e.child().Run(ctx, s.ItemProcessor, input)
		}()
	}
	wg.Wait()
	failed := 0
	var first error
	for _, err := range errs {
		if err != nil {
			failed++
			if first == nil {
				first = err
			}
		}
	}
	if failed == 0 {
		return results, nil
	}
	tolerated := s.ToleratedFailureCount != nil && failed <= *s.ToleratedFailureCount ||
		s.ToleratedFailurePercentage != nil && float64(failed)*100 <= *s.ToleratedFailurePercentage*float64(len(items))
	if tolerated {
		for i, err := range errs {
			var f *Failure
			if errors.As(err, &f) {
				results[i] = map[string]any{"Error": f.Name, "Cause": f.Cause}
			}
		}
		return results, nil
	}
	if s.ToleratedFailureCount != nil || s.ToleratedFailurePercentage != nil {
		return nil, fail("States.ExceedToleratedFailureThreshold", "%d of %d items failed", failed, len(items))
	}
	return nil, first
}

// withRetry applies the state's retriers: the first whose ErrorEquals matches decides; each retrier
// counts its own attempts.
func (e *Execution) withRetry(ctx context.Context, name string, s *state, sctx map[string]any, run func(context.Context) (any, error)) (any, error) {
	attempts := make([]int, len(s.Retry))
	for retries := 0; ; retries++ {
		if _, ok := sctx["State"].(map[string]any)["RetryCount"]; ok {
			sctx["State"].(map[string]any)["RetryCount"] = float64(retries)
		}
		out, err := run(ctx)
		if err == nil {
			return out, nil
		}
		var f *Failure
		if !errors.As(err, &f) {
			return nil, err
		}
		f = e.locate(name, f) // the attempt's history event carries AWS's cause too
		e.observe(Transition{State: name, Type: s.Type, Err: f, Attempt: true, At: time.Now()})
		idx := -1
		for i, r := range s.Retry {
			if f.matchedBy(r.ErrorEquals) {
				idx = i
				break
			}
		}
		if idx < 0 {
			return nil, f
		}
		r := s.Retry[idx]
		maxAttempts := 3
		if r.MaxAttempts != nil {
			maxAttempts = *r.MaxAttempts
		}
		if attempts[idx] >= maxAttempts {
			return nil, f
		}
		interval, backoff := 1.0, 2.0
		if r.IntervalSeconds != nil {
			interval = *r.IntervalSeconds
		}
		if r.BackoffRate != nil {
			backoff = *r.BackoffRate
		}
		delay := interval * math.Pow(backoff, float64(attempts[idx]))
		if r.MaxDelaySeconds != nil && delay > *r.MaxDelaySeconds {
			delay = *r.MaxDelaySeconds
		}
		if r.JitterStrategy == "FULL" {
			delay = rand.Float64() * delay
		}
		attempts[idx]++
		if err := e.sleep(ctx, time.Duration(delay*float64(time.Second))); err != nil {
			return nil, f
		}
	}
}

// matchedBy says whether a retrier's or catcher's ErrorEquals matches f: by name (matches), or, for a
// lapsed heartbeat, by States.HeartbeatTimeout (concepts-error-handling.html).
func (f *Failure) matchedBy(names []string) bool {
	return matches(names, f.Name) || f.heartbeat && slices.Contains(names, "States.HeartbeatTimeout")
}

// matches applies AWS's error-name matching: States.ALL matches every error but States.Runtime (and
// must stand alone, last); States.TaskFailed matches every task failure but a timeout.
func matches(names []string, err string) bool {
	for _, n := range names {
		switch {
		case n == err:
			return true
		case n == "States.ALL":
			return err != "States.Runtime" && err != "States.DataLimitExceeded"
		case n == "States.TaskFailed":
			if err != "States.Timeout" && err != "States.Runtime" && !strings.HasPrefix(err, "States.") || err == "States.TaskFailed" {
				return true
			}
		}
	}
	return false
}

// stateContext is the context object ($$) of a state: the execution's nodes plus State. AWS gives
// State.RetryCount only in the states that can retry (Task, Parallel, Map): a Pass state's $$ recorded
// on AWS has State {Name, EnteredTime} alone (LocalStack's test_context_object.snapshot.json), and
// EnteredTime, like StartTime, has milliseconds (2024-03-14T01:59:00.123Z).
// https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html
func (e *Execution) stateContext(name, typ string) map[string]any {
	c := copyMap(e.Context)
	st := map[string]any{"Name": name, "EnteredTime": time.Now().UTC().Format(TimeFormat)}
	if typ == "Task" || typ == "Parallel" || typ == "Map" {
		st["RetryCount"] = 0.0
	}
	c["State"] = st
	return c
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// input applies InputPath (null: {}).
func (e *Execution) input(s *state, raw any, sctx map[string]any) (any, error) {
	switch {
	case s.nullInput:
		return map[string]any{}, nil
	case s.InputPath != nil:
		return mustLookup(raw, sctx, *s.InputPath)
	}
	return raw, nil
}

// output applies OutputPath (null: {}).
func (e *Execution) output(s *state, v any, sctx map[string]any) (any, error) {
	switch {
	case s.nullOutput:
		return map[string]any{}, nil
	case s.OutputPath != nil:
		return mustLookup(v, sctx, *s.OutputPath)
	}
	return v, nil
}

func (e *Execution) inputOutput(s *state, raw any, sctx map[string]any) (any, error) {
	in, err := e.input(s, raw, sctx)
	if err != nil {
		return nil, err
	}
	return e.output(s, in, sctx)
}

// result applies ResultPath: the result replaces the raw input ($, the default), is placed inside it,
// or is discarded (null).
func (e *Execution) result(s *state, raw, result any) (any, error) {
	switch {
	case s.nullResult:
		return raw, nil
	case s.ResultPath != nil:
		out, err := set(raw, *s.ResultPath, result)
		if err != nil {
			return nil, resultPathFailure(*s.ResultPath, raw, err)
		}
		return out, nil
	}
	return result, nil
}

// resolve evaluates a Parameters / ResultSelector / ItemSelector template: keys ending in .$ take a
// path's value or an intrinsic function's result.
func resolve(tmpl any, input any, sctx map[string]any) (any, error) {
	switch t := tmpl.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, v := range t {
			if name, ok := strings.CutSuffix(k, ".$"); ok {
				expr, _ := v.(string)
				val, err := evaluate(expr, k, input, sctx)
				if err != nil {
					return nil, err
				}
				out[name] = val
				continue
			}
			r, err := resolve(v, input, sctx)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, v := range t {
			r, err := resolve(v, input, sctx)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	}
	return tmpl, nil
}

// evaluate computes a template field's value (field is its key, "x.$"): a variable, a path or an intrinsic.
func evaluate(expr, field string, input any, sctx map[string]any) (any, error) {
	if v, ok, err := evalVariable(expr, sctx); ok {
		return v, err
	}
	if strings.HasPrefix(expr, "States.") {
		return intrinsic(expr, field, input, sctx)
	}
	return templateLookup(input, sctx, expr, field)
}

// Decode reads JSON input the way the interpreter expects it (numbers as float64).
func Decode(b []byte) (any, error) {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fail("States.Runtime", "the input is not valid JSON")
	}
	return v, nil
}
