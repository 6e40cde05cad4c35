package states_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"testing"

	"github.com/orion-oss/orion/infra/engine/states"
)

// TestCausesOfTimeouts: AWS records a task that ran out of time, or whose heartbeat lapsed, with the
// error name and no cause at all (TaskTimedOut, then ExecutionFailed {"error": "States.Timeout"};
// observed, LocalStack's timeouts/test_timeouts.snapshot.json and test_heartbeats.snapshot.json).
func TestCausesOfTimeouts(t *testing.T) {
	runFidelity(t, []fidelityCase{
		{name: "a Task past TimeoutSeconds fails with no cause (observed)",
			def:   `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"slow","TimeoutSeconds":1,"End":true}}}`,
			input: `{}`, wantErr: "States.Timeout", wantCause: `^$`},
	})
}

// TestCausesNeverCarryGoWordingAnywhere extends TestCausesNeverCarryGoWording to the failures that
// still formatted a Go value or error with %v: a JSONata field that returns the wrong type, a path
// into a variable, a resource's plain Go error.
func TestCausesNeverCarryGoWordingAnywhere(t *testing.T) {
	cases := []struct{ name, def, input, wantErr string }{
		{"JSONata Wait Timestamp returning an object",
			`{"QueryLanguage":"JSONata","StartAt":"W","States":{"W":{"Type":"Wait","Timestamp":"{% {'a':[1]} %}","End":true}}}`, `{}`, "States.QueryEvaluationError"},
		{"JSONata Wait Seconds returning an object",
			`{"QueryLanguage":"JSONata","StartAt":"W","States":{"W":{"Type":"Wait","Seconds":"{% {'a':[1]} %}","End":true}}}`, `{}`, "States.QueryEvaluationError"},
		{"JSONata TimeoutSeconds returning an array",
			`{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task","Resource":"echo","TimeoutSeconds":"{% [1, {'b': null}] %}","End":true}}}`, `{}`, "States.QueryEvaluationError"},
		{"JSONata ToleratedFailurePercentage returning an object",
			`{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map","Items":[1],"ToleratedFailurePercentage":"{% {'p':1} %}","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}}}`, `{}`, "States.QueryEvaluationError"},
		{"a malformed path into a variable",
			withVars(`{"v":{"a":1}}`, `{"Type":"Pass","Parameters":{"x.$":"$v.a["},"End":true}`), `{}`, "States.Runtime"},
		{"a Choice Variable that is malformed",
			`{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a[","IsPresent":true,"Next":"D"}],"Default":"D"},"D":{"Type":"Succeed"}}}`, `{}`, "States.Runtime"},
		{"a resource's plain Go error",
			`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"plain-error","End":true}}}`, `{}`, "States.TaskFailed"},
	}
	goErr := regexp.MustCompile(`states: path|connection reset|context deadline|map\[|%!`)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := run(t, c.def, c.input)
			var f *states.Failure
			if !errors.As(err, &f) || f.Name != c.wantErr {
				t.Fatalf("err = %v; want %s", err, c.wantErr)
			}
			if goWording.MatchString(f.Cause) || goErr.MatchString(f.Cause) {
				t.Errorf("cause %q carries Go's wording", f.Cause)
			}
		})
	}
}

// TestInvalidExecutionInput: StartExecution with input that is not JSON is InvalidExecutionInput,
// "Invalid State Machine Execution Input: '<the parser's words>'" (AWS's reply, quoted in public
// posts: "... Unexpected character ('\"' (code 34)): was expecting comma ..."), not our Go error.
func TestInvalidExecutionInput(t *testing.T) {
	svc := states.NewService(&resources{})
	defer svc.Close()
	arn := "arn:aws:states:us-east-1:123456789012:stateMachine:m"
	if err := svc.Register(arn, "m", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ input, want string }{
		{`{"a":x}`, `Invalid State Machine Execution Input: 'Unexpected character ('x' (code 120)) at line 1, column 6'`},
		{"{\n \"a\": 1,\n \"b\" 2}", `Invalid State Machine Execution Input: 'Unexpected character ('2' (code 50)) at line 3, column 6'`},
		{`{"a":`, `Invalid State Machine Execution Input: 'Unexpected end-of-input at line 1, column 6'`},
		{`{"é":ü}`, `Invalid State Machine Execution Input: 'Unexpected character ('ü' (code 252)) at line 1, column 6'`},
	} {
		_, err := svc.Start(arn, "", tt.input)
		var f *states.Failure
		if !errors.As(err, &f) || f.Name != "InvalidExecutionInput" || f.Cause != tt.want {
			t.Errorf("Start(%q) = %v; want InvalidExecutionInput: %s", tt.input, err, tt.want)
		}
	}
}

// TestHeartbeatTimeoutMatching: a lapsed heartbeat fails the task with States.Timeout (observed,
// LocalStack's timeouts/test_heartbeats.snapshot.json); States.HeartbeatTimeout "is only available
// inside the Catch and Retry fields" (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html)
// and matches the lapsed heartbeat only, not the task's own timeout.
func TestHeartbeatTimeoutMatching(t *testing.T) {
	res := &resources{tokens: make(chan string, 8)}
	svc := states.NewService(res)
	defer svc.Close()
	machine := func(timeouts, catch string) string {
		return `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"echo.waitForTaskToken",` + timeouts + `,"Parameters":{"token.$":"$$.Task.Token"},"Catch":[{"ErrorEquals":["` + catch + `"],"Next":"Caught"}],"End":true},"Caught":{"Type":"Pass","Result":"caught","End":true}}}`
	}
	tests := []struct{ name, timeouts, catch, status string }{
		{"a Catch on States.HeartbeatTimeout catches a lapsed heartbeat", `"HeartbeatSeconds":1`, "States.HeartbeatTimeout", "SUCCEEDED"},
		{"a Catch on States.Timeout catches it too", `"HeartbeatSeconds":1`, "States.Timeout", "SUCCEEDED"},
		{"a Catch on States.HeartbeatTimeout does not catch the task's timeout", `"TimeoutSeconds":1`, "States.HeartbeatTimeout", "FAILED"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			arn := fmt.Sprintf("arn:aws:states:us-east-1:123456789012:stateMachine:hb%d", i)
			if err := svc.Register(arn, "hb", machine(tt.timeouts, tt.catch)); err != nil {
				t.Fatal(err)
			}
			ex, err := svc.Start(arn, "", `{}`)
			if err != nil {
				t.Fatal(err)
			}
			<-res.tokens // the task is waiting; nobody answers
			status, err := svc.Wait(context.Background(), ex)
			if err != nil || status != tt.status {
				t.Fatalf("status %s, %v; want %s", status, err, tt.status)
			}
		})
	}
}

// TestJSONataCausesObservedOnAWS: causes AWS gave JSONata states, recorded in LocalStack's
// AWS-validated snapshots (scenarios/test_base_scenarios, the Map Items and Wait Timestamp cases, and
// a call of an undefined function); each is located like every evaluation failure.
func TestJSONataCausesObservedOnAWS(t *testing.T) {
	const at = "An error occurred while executing the state 'S' (entered at the event id #2). "
	mapOf := func(items string) string {
		return `{"QueryLanguage":"JSONata","StartAt":"S","States":{"S":{"Type":"Map",` + items + `"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}}}`
	}
	wait := `{"QueryLanguage":"JSONata","StartAt":"S","States":{"S":{"Type":"Wait","Timestamp":"{% $states.input.t %}","End":true}}}`
	runFidelity(t, []fidelityCase{
		{name: "Items gives a number", def: mapOf(`"Items":"{% 1 %}",`), input: `{}`, wantErr: "States.QueryEvaluationError",
			wantCause: at + "The JSONata expression '1' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was 'number' for value: 1"},
		{name: "Items gives an object", def: mapOf(`"Items":"{% {'foo': 'bar'} %}",`), input: `{}`, wantErr: "States.QueryEvaluationError",
			wantCause: at + `The JSONata expression '{'foo': 'bar'}' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was 'object' for value: {"foo":"bar"}`},
		{name: "Items gives null", def: mapOf(`"Items":"{% null %}",`), input: `{}`, wantErr: "States.QueryEvaluationError",
			wantCause: at + "The JSONata expression 'null' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was 'null' for value: null"},
		{name: "Items gives a function", def: mapOf(`"Items":"{% $fn := function($x){$x} %}",`), input: `{}`, wantErr: "States.QueryEvaluationError",
			wantCause: at + "The JSONata expression '$fn := function($x){$x}' specified for the field 'Items' returned an unsupported result type."},
		{name: "no Items and an input that is not an array", def: mapOf(``), input: `true`, wantErr: "States.QueryEvaluationError",
			wantCause: at + "Map state input must be an array but was: true"},
		{name: "Timestamp with a space", def: wait, input: `{"t":"2016-12-05 21:29:29Z"}`, wantErr: "States.QueryEvaluationError",
			wantCause: at + "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: 2016-12-05 21:29:29Z"},
		{name: "Timestamp with month 13", def: wait, input: `{"t":"2016-13-05T21:29:29Z"}`, wantErr: "States.QueryEvaluationError",
			wantCause: at + "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: 2016-13-05T21:29:29Z"},
		{name: "Timestamp without a zone", def: wait, input: `{"t":"2016-12-05T21:29:29"}`, wantErr: "States.QueryEvaluationError",
			wantCause: at + "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: 2016-12-05T21:29:29"},
		{name: "a call of an undefined function",
			def:   `{"QueryLanguage":"JSONata","StartAt":"S","States":{"S":{"Type":"Pass","Output":{"FunctionResult":"{% $randomSeeded($states.input.fst) %}"},"End":true}}}`,
			input: `{"fst":1}`, wantErr: "States.QueryEvaluationError",
			wantCause: at + "The JSONata expression '$randomSeeded($states.input.fst)' specified for the field 'Output/FunctionResult' threw an error during evaluation. T1006: Attempted to invoke a non-function"},
	})
}
