// Package states runs Amazon States Language state machines as AWS Step Functions does, in both query
// languages (JSONPath, and JSONata with workflow variables: jsonata*.go, vars.go, ADR 0024): input and
// output processing, Choice rules, Wait, Parallel and inline Map, Retry and Catch, and intrinsic
// functions. Tasks are handed to a Resources port (Lambda functions and service
// integrations live outside this package). See https://states-language.net and the Step Functions
// developer guide.
package states

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
)

// Failure is an execution or state failure with AWS's error name and cause.
type Failure struct {
	Name  string `json:"Error"`
	Cause string `json:"Cause"`
	// local marks a failure raised while evaluating a state's fields (paths, intrinsics, Wait, Map):
	// its cause still lacks AWS's "An error occurred while executing the state ..." prefix (locate).
	local bool
	// heartbeat marks the States.Timeout of a lapsed heartbeat, which a retrier or catcher naming
	// States.HeartbeatTimeout also matches (matchedBy).
	heartbeat bool
}

func (f *Failure) Error() string { return f.Name + ": " + f.Cause }

func fail(name, format string, args ...any) *Failure {
	return &Failure{Name: name, Cause: fmt.Sprintf(format, args...)}
}

// rtFail is States.Runtime raised while evaluating a state; the state's location is added by locate.
func rtFail(format string, args ...any) *Failure {
	f := fail("States.Runtime", format, args...)
	f.local = true
	return f
}

// state is one state's definition; fields apply by Type.
type state struct {
	Type       string
	Next       string
	End        bool
	Comment    string
	InputPath  *string
	OutputPath *string
	ResultPath *string
	// nullPaths records which of the three paths were explicitly null (JSON null means "discard").
	nullInput, nullOutput, nullResult bool

	Parameters     any
	ResultSelector any
	Result         any

	Resource             string
	TimeoutSeconds       int
	TimeoutSecondsPath   string
	HeartbeatSeconds     int
	HeartbeatSecondsPath string
	Retry                []retrier
	Catch                []catcher

	Choices []json.RawMessage
	Default string
	choices []rule

	Seconds       *float64
	SecondsPath   string
	Timestamp     string
	TimestampPath string

	Error     string
	ErrorPath string
	Cause     string
	CausePath string

	Branches []*Machine `json:"-"`

	ItemsPath                  string
	ItemSelector               any
	ItemProcessor              *Machine `json:"-"`
	MaxConcurrency             int
	MaxConcurrencyPath         string
	ToleratedFailurePercentage *float64
	ToleratedFailureCount      *int

	// ext is the state's query language, JSONata fields and variable assignments (jsonata_parse.go).
	ext *ext
}

type retrier struct {
	ErrorEquals     []string
	IntervalSeconds *float64
	MaxAttempts     *int
	BackoffRate     *float64
	MaxDelaySeconds *float64
	JitterStrategy  string
}

type catcher struct {
	ErrorEquals []string
	ResultPath  *string
	nullResult  bool
	Next        string
}

// Machine is a parsed state machine (or a Parallel branch, or a Map's processor).
type Machine struct {
	StartAt        string
	States         map[string]*state
	TimeoutSeconds int
	Comment        string
	// QueryLanguage is the default of the machine's states (JSONPath unless set; ADR 0024).
	QueryLanguage string
}

// Parse reads and checks a definition. Features the interpreter does not implement (distributed Map,
// item readers and writers) are refused here, naming the state, rather than failing mid-execution.
func Parse(def []byte) (*Machine, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(def, &raw); err != nil {
		return nil, fmt.Errorf("states: definition is not JSON: %w", err)
	}
	m, err := parseMachine(raw, "", pathLang)
	if err != nil {
		return nil, err
	}
	if err := checkScopes(m, nil, ""); err != nil {
		return nil, err
	}
	return m, nil
}

func parseMachine(raw map[string]json.RawMessage, where, lang string) (*Machine, error) {
	m := &Machine{States: map[string]*state{}}
	var err error
	if m.QueryLanguage, err = machineLanguage(raw, where, lang); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw["StartAt"], &m.StartAt); err != nil || m.StartAt == "" {
		return nil, fmt.Errorf("states: %sStartAt is required", where)
	}
	if t, ok := raw["TimeoutSeconds"]; ok {
		json.Unmarshal(t, &m.TimeoutSeconds)
	}
	var states map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw["States"], &states); err != nil || len(states) == 0 {
		return nil, fmt.Errorf("states: %sStates is required", where)
	}
	names := make([]string, 0, len(states))
	for n := range states {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		s, err := parseState(states[name], where+name, m.QueryLanguage)
		if err != nil {
			return nil, err
		}
		m.States[name] = s
	}
	if m.States[m.StartAt] == nil {
		return nil, fmt.Errorf("states: %sStartAt %q is not a state", where, m.StartAt)
	}
	for _, name := range names {
		s := m.States[name]
		for _, next := range append([]string{s.Next, s.Default}, nexts(s)...) {
			if next != "" && m.States[next] == nil {
				return nil, fmt.Errorf("states: %s: Next %q is not a state", where+name, next)
			}
		}
		terminal := s.Type == "Succeed" || s.Type == "Fail" || s.Type == "Choice"
		if !terminal && !s.End && s.Next == "" {
			return nil, fmt.Errorf("states: %s: a %s state needs Next or End", where+name, s.Type)
		}
	}
	return m, nil
}

func nexts(s *state) []string {
	var out []string
	for _, c := range s.Catch {
		out = append(out, c.Next)
	}
	for _, r := range s.choices {
		out = append(out, r.next)
	}
	return append(out, s.ext.nexts()...)
}

var stateTypes = map[string]bool{"Pass": true, "Task": true, "Choice": true, "Wait": true, "Succeed": true, "Fail": true, "Parallel": true, "Map": true}

func parseState(raw map[string]json.RawMessage, name, lang string) (*state, error) {
	s := &state{}
	x, fields, err := parseExt(raw, name, lang)
	if err != nil {
		return nil, err
	}
	b, _ := json.Marshal(fields)
	if err := json.Unmarshal(b, s); err != nil {
		return nil, fmt.Errorf("states: %s: %w", name, err)
	}
	s.ext = x
	if !stateTypes[s.Type] {
		return nil, fmt.Errorf("states: %s: Type %q is not supported", name, s.Type)
	}
	s.nullInput = isNull(raw["InputPath"])
	s.nullOutput = isNull(raw["OutputPath"])
	s.nullResult = isNull(raw["ResultPath"])
	var catches []map[string]json.RawMessage
	json.Unmarshal(raw["Catch"], &catches)
	for i, c := range catches {
		s.Catch[i].nullResult = isNull(c["ResultPath"])
	}
	for i, r := range s.Retry {
		if err := checkErrorEquals(r.ErrorEquals, i == len(s.Retry)-1); err != nil {
			return nil, fmt.Errorf("states: %s: Retry[%d]: %w", name, i, err)
		}
	}
	for i, c := range s.Catch {
		if err := checkErrorEquals(c.ErrorEquals, i == len(s.Catch)-1); err != nil {
			return nil, fmt.Errorf("states: %s: Catch[%d]: %w", name, i, err)
		}
	}
	if s.Type == "Choice" && !x.jsonata() {
		if len(s.Choices) == 0 {
			return nil, fmt.Errorf("states: %s: Choices is required", name)
		}
		for i, c := range s.Choices {
			r, err := parseRule(c, true)
			if err != nil {
				return nil, fmt.Errorf("states: %s: Choices[%d]: %w", name, i, err)
			}
			s.choices = append(s.choices, r)
		}
	}
	for _, key := range []string{"Branches"} {
		var branches []map[string]json.RawMessage
		if err := json.Unmarshal(raw[key], &branches); err == nil {
			s.Branches = nil
			for i, br := range branches {
				m, err := parseMachine(br, fmt.Sprintf("%s.Branches[%d].", name, i), lang)
				if err != nil {
					return nil, err
				}
				s.Branches = append(s.Branches, m)
			}
		}
	}
	for _, key := range []string{"ItemProcessor", "Iterator"} {
		var proc map[string]json.RawMessage
		if err := json.Unmarshal(raw[key], &proc); err == nil && proc != nil {
			if cfg, ok := proc["ProcessorConfig"]; ok && strings.Contains(string(cfg), "DISTRIBUTED") {
				return nil, fmt.Errorf("states: %s: distributed Map (ProcessorConfig Mode DISTRIBUTED) is not supported locally (https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html)", name)
			}
			m, err := parseMachine(proc, name+"."+key+".", lang)
			if err != nil {
				return nil, err
			}
			s.ItemProcessor = m
		}
	}
	if err := checkFields(s, raw); err != nil {
		return nil, fmt.Errorf("states: %s: %w", name, err)
	}
	if s.Type == "Map" && s.ItemProcessor == nil {
		return nil, fmt.Errorf("states: %s: ItemProcessor is required", name)
	}
	if s.Type == "Parallel" && len(s.Branches) == 0 {
		return nil, fmt.Errorf("states: %s: Branches is required", name)
	}
	return s, nil
}

func isNull(r json.RawMessage) bool { return strings.TrimSpace(string(r)) == "null" }

// checkErrorEquals applies the language's rule: a non-empty list, and States.ALL only alone in the
// last retrier or catcher.
func checkErrorEquals(names []string, last bool) error {
	if len(names) == 0 {
		return fmt.Errorf("ErrorEquals must not be empty")
	}
	for _, n := range names {
		if n == "States.ALL" && (len(names) != 1 || !last) {
			return fmt.Errorf("States.ALL must appear alone in the last retrier or catcher")
		}
	}
	return nil
}

// checkFields refuses, as CreateStateMachine does, Wait, Fail and Map fields AWS validates at load:
// exactly one of Seconds, Timestamp, SecondsPath and TimestampPath; Seconds an integer from 0 to
// 99999999 and Timestamp in AWS's RFC 3339 profile (state-wait.html); Error or ErrorPath and Cause or
// CausePath, not both (state-fail.html); MaxConcurrency or MaxConcurrencyPath, not both, and not
// negative (state-map-inline.html).
func checkFields(s *state, raw map[string]json.RawMessage) error {
	both := func(a, b string) bool { _, x := raw[a]; _, y := raw[b]; return x && y }
	// "You can reference a variable in any field that accepts a JSONPath expression ... with the
	// exception of ResultPath" (workflow-variables.html).
	paths := []*string{s.ResultPath}
	for i := range s.Catch {
		paths = append(paths, s.Catch[i].ResultPath)
	}
	for _, p := range paths {
		if p == nil {
			continue
		}
		if _, _, isVar := variableRef(*p); isVar {
			return fmt.Errorf("ResultPath %q names a variable; ResultPath is the one path field that cannot (%s)", *p, docsVariables)
		}
	}
	if both("TimeoutSeconds", "TimeoutSecondsPath") || both("HeartbeatSeconds", "HeartbeatSecondsPath") {
		return fmt.Errorf("a Task state takes TimeoutSeconds or TimeoutSecondsPath, and HeartbeatSeconds or HeartbeatSecondsPath, not both (%s)", docsTask)
	}
	switch s.Type {
	case "Wait":
		n := 0
		for _, f := range []string{"Seconds", "Timestamp", "SecondsPath", "TimestampPath"} {
			if _, ok := raw[f]; ok {
				n++
			}
		}
		if n != 1 {
			return fmt.Errorf("a Wait state needs exactly one of Seconds, Timestamp, SecondsPath and TimestampPath")
		}
		if s.Seconds != nil && (*s.Seconds != math.Trunc(*s.Seconds) || *s.Seconds < 0 || *s.Seconds > maxSeconds) {
			return fmt.Errorf("Seconds must be an integer from 0 to %d", maxSeconds)
		}
		var ts any
		if b, ok := raw["Timestamp"]; ok && json.Unmarshal(b, &ts) == nil {
			// A JSONata expression is checked when it is evaluated; a literal here.
			if _, expr := jsonataSource(ts); !expr {
				if _, ok := waitTimestamp(s.Timestamp); !ok {
					return fmt.Errorf("Timestamp '%s' is not an RFC 3339 timestamp with an uppercase T and Z (2024-08-18T17:33:00Z)", s.Timestamp)
				}
			}
		}
	case "Fail":
		if both("Error", "ErrorPath") || both("Cause", "CausePath") {
			return fmt.Errorf("a Fail state takes Error or ErrorPath, and Cause or CausePath, not both")
		}
		if err := checkFailPath("ErrorPath", s.ErrorPath); err != nil {
			return err
		}
		if err := checkFailPath("CausePath", s.CausePath); err != nil {
			return err
		}
	case "Map":
		if both("MaxConcurrency", "MaxConcurrencyPath") {
			return fmt.Errorf("a Map state takes MaxConcurrency or MaxConcurrencyPath, not both")
		}
		if s.MaxConcurrency < 0 {
			return fmt.Errorf("MaxConcurrency must not be negative")
		}
	}
	return nil
}
