package states

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// Workflow variables (Assign, $name), in both query languages, as
// https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html describes them:
//   - a state's Assign takes effect when the state completes; every expression of the state, Output
//     included, reads the values the variables had when it was entered ("Evaluation order");
//   - the top-level states share one scope; each Parallel branch and each Map iteration has its own,
//     which reads the outer ones; what it assigns is not visible outside it (only Output is), and it
//     cannot assign a name an outer scope assigns ("Variable scope");
//   - $states is reserved; sizes are limited ("Size limits"; ADR 0024).

const docsVariables = "https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html"

// Size limits of workflow-variables.html: one variable, the variables one Assign sets together, and
// all the variables an execution holds.
const (
	MaxVariable       = 256 << 10
	MaxAssign         = 256 << 10
	MaxExecutionVars  = 10 << 20
	maxVariableName   = 80
	reservedVariable  = "states"
	variablesContextK = "\x00variables" // the snapshot a JSONPath state's paths read ($name)
)

// variableName is a Unicode identifier (UAX #31): an ID_Start character then ID_Continue characters,
// as workflow-variables.html, "Variable name syntax", requires (approximated by general categories).
var variableName = regexp.MustCompile(`^[\p{L}\p{Nl}][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*$`)

func checkVariableName(name string) error {
	if name == reservedVariable {
		return fmt.Errorf("variable name %q is reserved (%s)", name, docsVariables)
	}
	if len(name) > maxVariableName || !variableName.MatchString(name) {
		return fmt.Errorf("variable name %q is not valid: a Unicode identifier (a letter, then letters, digits or _), at most %d characters (%s)", name, maxVariableName, docsVariables)
	}
	return nil
}

// scope holds the variables of the top level, a Parallel branch or a Map iteration.
type scope struct {
	parent *scope
	mu     sync.RWMutex
	vals   map[string]any
	// bytes is the serialized size of vals; the execution's total is a scope's bytes and its
	// ancestors' (a finished branch or iteration no longer counts: its variables left scope).
	bytes int
}

func newScope() *scope { return &scope{vals: map[string]any{}} }

func (s *scope) child() *scope { return &scope{parent: s, vals: map[string]any{}} }

func (s *scope) outerBytes() int {
	n := 0
	for sc := s.parent; sc != nil; sc = sc.parent {
		sc.mu.RLock()
		n += sc.bytes
		sc.mu.RUnlock()
	}
	return n
}

// snapshot is every variable visible in s, inner scopes over outer ones.
func (s *scope) snapshot() map[string]any {
	out := map[string]any{}
	for sc := s; sc != nil; sc = sc.parent {
		sc.mu.RLock()
		for k, v := range sc.vals {
			if _, ok := out[k]; !ok {
				out[k] = v
			}
		}
		sc.mu.RUnlock()
	}
	return out
}

// assign commits a state's assignments, checking the size limits first (States.DataLimitExceeded,
// as for a state's output).
func (s *scope) assign(vals map[string]any) error {
	if len(vals) == 0 {
		return nil
	}
	total := 0
	sizes := make(map[string]int, len(vals))
	for k, v := range vals {
		b, _ := json.Marshal(v)
		if len(b) > MaxVariable {
			return fail("States.DataLimitExceeded", "The variable '%s' is %d bytes; a variable may hold at most %d (%s)", k, len(b), MaxVariable, docsVariables)
		}
		sizes[k] = len(b)
		total += len(b)
	}
	if total > MaxAssign {
		return fail("States.DataLimitExceeded", "The variables assigned together are %d bytes; an Assign may set at most %d (%s)", total, MaxAssign, docsVariables)
	}
	outer := s.outerBytes()
	s.mu.Lock()
	defer s.mu.Unlock()
	delta := 0
	for k, n := range sizes {
		delta += n
		if old, ok := s.vals[k]; ok {
			b, _ := json.Marshal(old)
			delta -= len(b)
		}
	}
	if total := outer + s.bytes + delta; total > MaxExecutionVars {
		return fail("States.DataLimitExceeded", "The execution's variables would be %d bytes; the limit is %d (%s)", total, MaxExecutionVars, docsVariables)
	}
	s.bytes += delta
	for k, v := range vals {
		s.vals[k] = v
	}
	return nil
}

// beginScope gives a top-level Run a scope of its own (an Execution run twice does not see the first
// run's variables); a branch's or iteration's Execution keeps the child scope child() gave it.
func (e *Execution) beginScope() {
	if e.vars == nil || e.vars.parent == nil {
		e.vars = newScope()
	}
	e.pending = nil
}

// scope is the execution's variable scope, created with the first state.
func (e *Execution) scope() *scope {
	if e.vars == nil {
		e.vars = newScope()
	}
	return e.vars
}

// child is the Execution a Parallel branch or a Map iteration runs in: the same ports, and a scope of
// its own under e's.
func (e *Execution) child() *Execution {
	return &Execution{Resources: e.Resources, Observe: e.Observe, Sleep: e.Sleep, Context: e.Context, Tokens: e.Tokens, events: e.events, vars: e.scope().child()}
}

// bindVariables makes the variables visible to a JSONPath state's paths ($name, $name.field).
func (e *Execution) bindVariables(sctx map[string]any) {
	sctx[variablesContextK] = e.scope().snapshot()
}

// contextObject is sctx as $$ shows it: the variables ride in a JSONPath state's context for its
// paths, and $$ has only AWS's fields.
func contextObject(sctx map[string]any) map[string]any {
	if _, has := sctx[variablesContextK]; !has {
		return sctx
	}
	c := copyMap(sctx)
	delete(c, variablesContextK)
	return c
}

// setPending records what the current state assigns; Run commits it when the state completes.
func (e *Execution) setPending(vals map[string]any) { e.pending = vals }

// commitPending applies the completed state's assignments.
func (e *Execution) commitPending() error {
	vals := e.pending
	e.pending = nil
	return e.scope().assign(vals)
}

// evalVariable resolves a template value (a ".$" key's, an intrinsic's argument, a Fail state's
// ErrorPath / CausePath) that names a variable ("$name" or "$name.path", the path in the fuller
// JSONPath of templates); ok is false for other expressions, "$$" paths included.
func evalVariable(expr string, sctx map[string]any) (any, bool, error) {
	if strings.HasPrefix(expr, "$$") {
		return nil, false, nil // the context object: templateLookup, with AWS's cause
	}
	name, rest, ok := variableRef(expr)
	if !ok {
		return nil, false, nil
	}
	v, err := variableValue(sctx, expr, name)
	if err != nil || rest == "" {
		return v, true, err
	}
	out, found, err := query(v, "$"+rest)
	if err != nil {
		return nil, true, rtFail("Invalid path '%s' : %s", expr, pathProblem(err))
	}
	if !found {
		return nil, true, rtFail("Invalid path '%s' : the path does not exist in the variable '%s'", expr, name)
	}
	return out, true, nil
}

// variableValue is the value of the variable name that expr references, from the snapshot a JSONPath
// state's context carries (bindVariables). AWS does not record what an undefined variable gives; this
// is States.Runtime, located like a missing path (ADR 0023).
func variableValue(sctx any, expr, name string) (any, error) {
	m, _ := sctx.(map[string]any)
	vars, _ := m[variablesContextK].(map[string]any)
	v, ok := vars[name]
	if !ok {
		return nil, rtFail("Invalid path '%s' : the variable '%s' is not defined", expr, name)
	}
	return v, nil
}

// variableRef splits "$name.a[0]" into name and ".a[0]".
func variableRef(expr string) (name, rest string, ok bool) {
	if len(expr) < 2 || expr[0] != '$' || expr[1] == '.' || expr[1] == '[' || expr[1] == '$' {
		return "", "", false
	}
	end := strings.IndexAny(expr, ".[")
	if end < 0 {
		end = len(expr)
	}
	name = expr[1:end]
	if checkVariableName(name) != nil {
		return "", "", false
	}
	return name, expr[end:], true
}

// assignPath evaluates a JSONPath state's Assign: keys ending in .$ take a path, an intrinsic or a
// variable; other values are taken as they are. $ is the raw result for Task, Parallel and Map (before
// ResultSelector), the result for Pass, the effective input for Choice and Wait, the error output in a
// Catch (workflow-variables.html, "Assigning variables in JSONPath").
func assignPath(assign map[string]any, data any, sctx map[string]any) (map[string]any, error) {
	if assign == nil {
		return nil, nil
	}
	v, err := resolve(assign, data, sctx)
	if err != nil {
		return nil, err
	}
	out, _ := v.(map[string]any)
	return out, nil
}

// checkAssign checks an Assign field's names at load.
func checkAssign(assign map[string]any, lang string) error {
	for k := range assign {
		name := k
		if lang == pathLang {
			name = strings.TrimSuffix(k, ".$")
		}
		if err := checkVariableName(name); err != nil {
			return fmt.Errorf("Assign: %w", err)
		}
	}
	return nil
}

// assignedNames lists the variable names a state assigns anywhere (its Assign, its Catch's and its
// Choice rules').
func (x *ext) assignedNames() []string {
	var names []string
	add := func(m map[string]any) {
		for k := range m {
			names = append(names, strings.TrimSuffix(k, ".$"))
		}
	}
	add(x.assign)
	for _, c := range x.catch {
		add(c.assign)
	}
	for _, r := range x.rules {
		add(r.assign)
	}
	return names
}

// checkScopes refuses a definition in which a Parallel branch or a Map iteration assigns a variable an
// enclosing scope assigns (workflow-variables.html, "Variable scope").
func checkScopes(m *Machine, outer map[string]bool, where string) error {
	mine := map[string]bool{}
	for _, s := range m.States {
		if s.ext == nil {
			continue
		}
		for _, n := range s.ext.assignedNames() {
			mine[n] = true
		}
	}
	for n := range mine {
		if outer[n] {
			return fmt.Errorf("states: %svariable %q is assigned in an outer scope; a Parallel branch or Map iteration cannot assign it (%s)", where, n, docsVariables)
		}
	}
	inner := map[string]bool{}
	for n := range outer {
		inner[n] = true
	}
	for n := range mine {
		inner[n] = true
	}
	for name, s := range m.States {
		for i, b := range s.Branches {
			if err := checkScopes(b, inner, fmt.Sprintf("%s%s.Branches[%d].", where, name, i)); err != nil {
				return err
			}
		}
		if s.ItemProcessor != nil {
			if err := checkScopes(s.ItemProcessor, inner, where+name+".ItemProcessor."); err != nil {
				return err
			}
		}
	}
	return nil
}

// assignState records a JSONPath state's Assign, evaluated on data.
func (e *Execution) assignState(s *state, data any, sctx map[string]any) error {
	if s.ext == nil {
		return nil
	}
	vals, err := assignPath(s.ext.assign, data, sctx)
	e.setPending(vals)
	return err
}

// assignChoice records the Assign of the matched rule (i), or the state's when the Default is taken
// (i < 0) or the rule has none.
func (e *Execution) assignChoice(s *state, i int, data any, sctx map[string]any) error {
	if s.ext != nil && i >= 0 && i < len(s.ext.rules) && s.ext.rules[i].assign != nil {
		vals, err := assignPath(s.ext.rules[i].assign, data, sctx)
		e.setPending(vals)
		return err
	}
	return e.assignState(s, data, sctx)
}

// assignCatch records the Assign of catcher i, evaluated on the error output; the state's own Assign is
// not applied when it is caught (workflow-variables.html).
func (e *Execution) assignCatch(s *state, i int, errorOutput any, sctx map[string]any) error {
	if s.ext == nil || i >= len(s.ext.catch) {
		e.setPending(nil)
		return nil
	}
	vals, err := assignPath(s.ext.catch[i].assign, errorOutput, sctx)
	e.setPending(vals)
	return err
}
