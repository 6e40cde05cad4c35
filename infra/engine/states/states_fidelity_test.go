package states_test

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orion-oss/orion/infra/engine/states"
)

// Where these cases cite "observed", the expected output or cause is what AWS itself returned, as
// recorded in LocalStack's AWS-validated snapshot tests (github.com/localstack/localstack,
// tests/aws/services/stepfunctions/v2/**/*.snapshot.json, marked @markers.aws.validated). Cases that
// cite a docs page follow https://docs.aws.amazon.com/step-functions/latest/dg/<page>.

// pass wraps Parameters in a one-state machine, the shape of most cases below.
func pass(params string) string {
	return `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":` + params + `,"End":true}}}`
}

type fidelityCase struct {
	name, def, input string
	want             string // output JSON, when the execution succeeds
	wantErr          string // error name, when it fails
	wantCause        string // the exact cause, or a regexp when it starts with ^
}

func runFidelity(t *testing.T, tests []fidelityCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := run(t, tt.def, tt.input)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if got := jsRaw(out); got != tt.want {
					t.Fatalf("output %s\nwant   %s", got, tt.want)
				}
				return
			}
			var f *states.Failure
			if !errors.As(err, &f) || f.Name != tt.wantErr {
				t.Fatalf("err = %v (output %s); want %s", err, js(out), tt.wantErr)
			}
			if strings.HasPrefix(tt.wantCause, "^") {
				if !regexp.MustCompile(tt.wantCause).MatchString(f.Cause) {
					t.Fatalf("cause %q\ndoes not match %s", f.Cause, tt.wantCause)
				}
			} else if tt.wantCause != "" && f.Cause != tt.wantCause {
				t.Fatalf("cause %q\nwant  %q", f.Cause, tt.wantCause)
			}
		})
	}
}

// jsRaw is JSON as AWS shows it: <, > and & unescaped.
func jsRaw(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSuffix(b.String(), "\n")
}

// goWording is text only Go prints; a cause must never carry it.
var goWording = regexp.MustCompile(`json: |map\[|\[\]interface|interface \{\}|strconv\.|illegal base64|%!|<nil>|\\u003c`)

func TestIntrinsicArguments(t *testing.T) {
	runFidelity(t, []fidelityCase{
		// intrinsic-functions.html#asl-intrsc-func-math: non-integers are rounded, each argument on its
		// own, Java's Math.round (half up). Observed: (1.49, 1.5) = 3, (1.5, 1.51) = 4, (-1.49, -1.5) = -2,
		// (-1.5, -1.51) = -3, (-0.5, 0.5) = 1, (2.5, 0) = 3, (-2.5, 0) = -2, (-1.51, 0) = -2.
		{name: "MathAdd rounds each argument half up (observed)",
			def:   pass(`{"a.$":"States.MathAdd($.a[0], $.a[1])","b.$":"States.MathAdd($.b[0], $.b[1])","c.$":"States.MathAdd($.c[0], $.c[1])","d.$":"States.MathAdd($.d[0], $.d[1])","e.$":"States.MathAdd($.e[0], $.e[1])","f.$":"States.MathAdd(2.5, 0)","g.$":"States.MathAdd(-2.5, 0)","h.$":"States.MathAdd(-1.51, 0)"}`),
			input: `{"a":[1.49,1.5],"b":[1.5,1.51],"c":[-1.49,-1.5],"d":[-1.5,-1.51],"e":[-0.5,0.5]}`,
			want:  `{"a":3,"b":4,"c":-2,"d":-3,"e":1,"f":3,"g":-2,"h":-2}`},
		{name: "MathAdd on a string is States.IntrinsicFailure (intrinsic-functions.html)",
			def: pass(`{"x.$":"States.MathAdd($.a, 1)"}`), input: `{"a":"1"}`, wantErr: "States.IntrinsicFailure",
			wantCause: `^An error occurred while executing the state 'P' \(entered at the event id #2\)\. States.MathAdd takes two numbers, got "1" and 1$`},
		// Observed: States.MathRandom(12.50, 44.51) succeeds; its bounds are rounded (13, 45).
		{name: "MathRandom accepts non-integer bounds (observed)",
			def: pass(`{"r.$":"States.MathRandom($.lo, $.hi)"}`), input: `{"lo":12.5,"hi":14.4}`, want: `{"r":13}`},
		{name: "MathRandom with a seed is repeatable (intrinsic-functions.html)",
			def: pass(`{"r.$":"States.MathRandom(0, 1, 3)"}`), input: `{}`, want: `{"r":0}`},
		// Observed: "" and " " give null, "null" gives null, "-0" gives 0.
		{name: "StringToJson of an empty or blank string is null (observed)",
			def:   pass(`{"e.$":"States.StringToJson($.e)","b.$":"States.StringToJson($.b)","n.$":"States.StringToJson($.n)","z.$":"States.StringToJson($.z)"}`),
			input: `{"e":"","b":"  ","n":"null","z":"-0"}`, want: `{"b":null,"e":null,"n":null,"z":0}`},
		{name: "StringToJson of text that is not JSON fails without Go's words",
			def: pass(`{"x.$":"States.StringToJson($.s)"}`), input: `{"s":"{nope"}`, wantErr: "States.IntrinsicFailure",
			wantCause: `^An error occurred while executing the state 'P' \(entered at the event id #2\)\. States.StringToJson: the string is not JSON: \{nope$`},
		// Observed: {"Arg1": 1, "Arg2": []} formats as {Arg1=1, Arg2=[]}; null as null, 1.1 as 1.1,
		// a string as itself (with no quotes), a string holding JSON as that text.
		{name: "Format renders objects and arrays in Java's notation (observed)",
			def:   pass(`{"o.$":"States.Format('fst={} and snd={}.', $.o, $.a)","s.$":"States.Format('{} {} {} {}', $.n, $.f, $.s, $.t)"}`),
			input: `{"o":{"Arg1":1,"Arg2":[]},"a":["x",{"k":null,"b":true},[1.5,"y"]],"n":null,"f":1.1,"s":"{\"Arg1\": 1}","t":true}`,
			want:  `{"o":"fst={Arg1=1, Arg2=[]} and snd=[x, {b=true, k=null}, [1.5, y]].","s":"null 1.1 {\"Arg1\": 1} true"}`},
		{name: "Format of the context object's StateMachine node (observed)",
			def:   `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"s.$":"States.Format('{}', $$.StateMachine)"},"End":true}}}`,
			input: `{}`, want: `{"s":"{Id=arn:aws:states:us-east-1:123456789012:stateMachine:m, Name=m}"}`},
		{name: "Format with fewer arguments than {} is States.IntrinsicFailure (intrinsic-functions.html)",
			def: pass(`{"x.$":"States.Format('{} {}', $.a)"}`), input: `{"a":1}`, wantErr: "States.IntrinsicFailure"},
		// Observed: JsonToString writes compact JSON; AWS does not escape <, > and & as Go does.
		{name: "JsonToString is compact and keeps <, > and & (observed)",
			def: pass(`{"x.$":"States.JsonToString($.o)"}`), input: `{"o":{"a":"<b>&","n":[1,2]}}`, want: `{"x":"{\"a\":\"<b>&\",\"n\":[1,2]}"}`},
		{name: "Base64Decode of text that is not Base64 fails without Go's words",
			def: pass(`{"x.$":"States.Base64Decode('***')"}`), input: `{}`, wantErr: "States.IntrinsicFailure",
			wantCause: `^An error occurred while executing the state 'P' \(entered at the event id #2\)\. States.Base64Decode: the string is not Base64$`},
		{name: "ArrayGetItem out of range names the index",
			def: pass(`{"x.$":"States.ArrayGetItem($.xs, 5)"}`), input: `{"xs":[1]}`, wantErr: "States.IntrinsicFailure",
			wantCause: `^.*States.ArrayGetItem: index 5 is out of range for an array of 1 items$`},
		{name: "A missing path in an intrinsic's argument names the field (observed form)",
			def: pass(`{"value.$":"States.Format('{}', $.nope)"}`), input: `{"a":1}`, wantErr: "States.Runtime",
			wantCause: `An error occurred while executing the state 'P' (entered at the event id #2). The JSONPath '$.nope' specified for the field 'value.$' could not be found in the input '{"a":1}'`},
	})
}

func TestFailStatePaths(t *testing.T) {
	runFidelity(t, []fidelityCase{
		// state-fail.html: "You can also specify CausePath using an intrinsic function that returns a
		// string"; the docs' own example. Observed: "This is a custom error message for error string,
		// caused by cause string."
		{name: "ErrorPath and CausePath with States.Format (state-fail.html example, observed)",
			def:   `{"StartAt":"F","States":{"F":{"Type":"Fail","CausePath":"States.Format('This is a custom error message for {}, caused by {}.', $.Error, $.Cause)","ErrorPath":"States.Format('{}', $.Error)"}}}`,
			input: `{"Error":"error string","Cause":"cause string"}`, wantErr: "error string",
			wantCause: "This is a custom error message for error string, caused by cause string."},
		{name: "CausePath with States.JsonToString (state-fail.html)",
			def:   `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Order.Rejected","CausePath":"States.JsonToString($.why)"}}}`,
			input: `{"why":{"sku":"A","left":0}}`, wantErr: "Order.Rejected", wantCause: `{"left":0,"sku":"A"}`},
		// Observed: States.Runtime, "... The JSONPath '$.ErrorX' specified for the field 'ErrorPath'
		// could not be found in the input '<input>'".
		{name: "A missing ErrorPath is States.Runtime with AWS's cause (observed)",
			def:   `{"StartAt":"F","States":{"F":{"Type":"Fail","ErrorPath":"$.ErrorX","Cause":"c"}}}`,
			input: `{"Error":"E"}`, wantErr: "States.Runtime",
			wantCause: `An error occurred while executing the state 'F' (entered at the event id #2). The JSONPath '$.ErrorX' specified for the field 'ErrorPath' could not be found in the input '{"Error":"E"}'`},
		{name: "A missing CausePath is States.Runtime with AWS's cause (observed)",
			def:   `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E","CausePath":"$.NoSuchCausePath"}}}`,
			input: `{}`, wantErr: "States.Runtime",
			wantCause: `An error occurred while executing the state 'F' (entered at the event id #2). The JSONPath '$.NoSuchCausePath' specified for the field 'CausePath' could not be found in the input '{}'`},
		{name: "A CausePath that is not a string fails instead of printing Go's map syntax (state-fail.html)",
			def:   `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E","CausePath":"$.c"}}}`,
			input: `{"c":{"a":1}}`, wantErr: "States.Runtime",
			wantCause: `^An error occurred while executing the state 'F' \(entered at the event id #2\)\. The CausePath '\$\.c' must resolve to a string, but resolved to \{"a":1\}$`},
	})
}

func TestFailStateDefinitionsAWSRefuses(t *testing.T) {
	// state-fail.html: Error or ErrorPath, Cause or CausePath, and only these intrinsics in the paths.
	for _, def := range []string{
		`{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E","ErrorPath":"$.e"}}}`,
		`{"StartAt":"F","States":{"F":{"Type":"Fail","Cause":"c","CausePath":"$.c"}}}`,
		`{"StartAt":"F","States":{"F":{"Type":"Fail","CausePath":"States.MathAdd(1, 2)"}}}`,
		`{"StartAt":"F","States":{"F":{"Type":"Fail","ErrorPath":"$.a[?(@.x)]"}}}`,
	} {
		if _, err := states.Parse([]byte(def)); err == nil {
			t.Errorf("Parse accepted %s", def)
		}
	}
}

// contextOf runs a one-state machine that returns its $$ and returns it.
func contextOf(t *testing.T, state string) map[string]any {
	t.Helper()
	m, err := states.Parse([]byte(`{"StartAt":"S","States":{"S":` + state + `}}`))
	if err != nil {
		t.Fatal(err)
	}
	e := &states.Execution{Resources: &resources{}, Sleep: func(context.Context, time.Duration) error { return nil },
		Context: map[string]any{
			"Execution":    map[string]any{"Id": "arn:x", "Input": map[string]any{}, "Name": "n", "RoleArn": "arn:r", "StartTime": "2026-12-03T10:00:00.123456789Z"},
			"StateMachine": map[string]any{"Id": "arn:m", "Name": "m"},
		}}
	out, err := e.Run(context.Background(), m, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := out.(map[string]any)["c"].(map[string]any)
	return c
}

func keys(v any) string {
	m, _ := v.(map[string]any)
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	return strings.Join(sortStrings(ks), ",")
}

func sortStrings(s []string) []string { sort.Strings(s); return s }

func TestContextObjectFields(t *testing.T) {
	// input-output-contextobject.html, and a Pass state's $$ recorded on AWS (observed):
	// Execution {Id, Input, Name, RoleArn, StartTime, RedriveCount: 0}, StateMachine {Id, Name},
	// State {Name, EnteredTime} with no RetryCount; no Task, no Map.
	tests := []struct {
		name, state               string
		top, execution, stateNode string
	}{
		{"Pass state (observed)", `{"Type":"Pass","Parameters":{"c.$":"$$"},"End":true}`,
			"Execution,State,StateMachine", "Id,Input,Name,RedriveCount,RoleArn,StartTime", "EnteredTime,Name"},
		{"Task state: RetryCount (input-output-contextobject.html)", `{"Type":"Task","Resource":"echo","Parameters":{"c.$":"$$"},"End":true}`,
			"Execution,State,StateMachine", "Id,Input,Name,RedriveCount,RoleArn,StartTime", "EnteredTime,Name,RetryCount"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := contextOf(t, tt.state)
			if got := keys(c); got != tt.top {
				t.Errorf("$$ has %s; want %s", got, tt.top)
			}
			if got := keys(c["Execution"]); got != tt.execution {
				t.Errorf("$$.Execution has %s; want %s", got, tt.execution)
			}
			if got := keys(c["State"]); got != tt.stateNode {
				t.Errorf("$$.State has %s; want %s", got, tt.stateNode)
			}
			if rc := c["Execution"].(map[string]any)["RedriveCount"]; rc != 0.0 {
				t.Errorf("RedriveCount = %v; want 0", rc)
			}
			// AWS writes times with milliseconds: 2024-03-14T01:59:00.123Z (observed for StartTime).
			entered, _ := c["State"].(map[string]any)["EnteredTime"].(string)
			if !regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$`).MatchString(entered) {
				t.Errorf("EnteredTime %q is not ISO 8601 with milliseconds", entered)
			}
			if st := c["Execution"].(map[string]any)["StartTime"]; st != "2026-12-03T10:00:00.123Z" {
				t.Errorf("StartTime = %v; want 2026-12-03T10:00:00.123Z", st)
			}
		})
	}
	t.Run("Map.Item only in the ItemSelector (input-output-contextobject.html)", func(t *testing.T) {
		out, err := run(t, `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.xs","ItemSelector":{"item.$":"$$.Map.Item","state.$":"$$.State"},"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","Parameters":{"has.$":"States.ArrayLength(States.Array($$.State))","sel.$":"$"},"End":true}}},"End":true}}}`, `{"xs":["a"]}`)
		if err != nil {
			t.Fatal(err)
		}
		got := out.([]any)[0].(map[string]any)["sel"].(map[string]any)
		if js(got["item"]) != `{"Index":0,"Value":"a"}` {
			t.Errorf("$$.Map.Item = %s", js(got["item"]))
		}
		if keys(got["state"]) != "EnteredTime,Name,RetryCount" {
			t.Errorf("a Map state's $$.State has %s", keys(got["state"]))
		}
		_, err = run(t, `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.xs","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","Parameters":{"i.$":"$$.Map.Item.Index"},"End":true}}},"End":true}}}`, `{"xs":["a"]}`)
		var f *states.Failure
		if !errors.As(err, &f) || f.Name != "States.Runtime" {
			t.Errorf("$$.Map inside the processor: err = %v; want States.Runtime", err)
		}
	})
	t.Run("Task.Token only in waitForTaskToken tasks (connect-to-resource.html)", func(t *testing.T) {
		c := contextOf(t, `{"Type":"Task","Resource":"echo","Parameters":{"c.$":"$$"},"End":true}`)
		if _, ok := c["Task"]; ok {
			t.Errorf("a plain Task sees $$.Task")
		}
	})
}

func TestWaitFidelity(t *testing.T) {
	wait := func(field string) string {
		return `{"StartAt":"WaitState","States":{"WaitState":{"Type":"Wait",` + field + `,"Next":"S"},"S":{"Type":"Succeed"}}}`
	}
	runFidelity(t, []fidelityCase{
		// Observed for SecondsPath -1, -1.5, 0, 1, 1.5 (test_wait.snapshot.json).
		{name: "SecondsPath 1.5 is not a long (observed)", def: wait(`"SecondsPath":"$.input.waitSeconds"`), input: `{"input":{"waitSeconds":1.5}}`,
			wantErr: "States.Runtime", wantCause: "An error occurred while executing the state 'WaitState' (entered at the event id #2). The SecondsPath parameter cannot be parsed as a long value: $.input.waitSeconds == 1.5"},
		{name: "SecondsPath -1.5 is not a long (observed)", def: wait(`"SecondsPath":"$.input.waitSeconds"`), input: `{"input":{"waitSeconds":-1.5}}`,
			wantErr: "States.Runtime", wantCause: "An error occurred while executing the state 'WaitState' (entered at the event id #2). The SecondsPath parameter cannot be parsed as a long value: $.input.waitSeconds == -1.5"},
		{name: "SecondsPath -1 is negative (observed)", def: wait(`"SecondsPath":"$.input.waitSeconds"`), input: `{"input":{"waitSeconds":-1}}`,
			wantErr: "States.Runtime", wantCause: "An error occurred while executing the state 'WaitState' (entered at the event id #2). The SecondsPath parameter references a negative value: $.input.waitSeconds == -1"},
		{name: "SecondsPath missing (observed)", def: wait(`"SecondsPath":"$.input.waitSeconds"`), input: `{"input":{}}`,
			wantErr: "States.Runtime", wantCause: "An error occurred while executing the state 'WaitState' (entered at the event id #2). The SecondsPath parameter does not reference an input value: $.input.waitSeconds"},
		{name: "SecondsPath a string is not a long (state-wait.html: an integer)", def: wait(`"SecondsPath":"$.s"`), input: `{"s":"10"}`,
			wantErr: "States.Runtime", wantCause: "^.*The SecondsPath parameter cannot be parsed as a long value: \\$\\.s == 10$"},
		{name: "SecondsPath 0 and 1 run (observed)", def: wait(`"SecondsPath":"$.s"`), input: `{"s":0}`, want: `{"s":0}`},
		// Observed: a timestamp 24,856 days away fails "Wait state delay is too long." (24,855 runs).
		{name: "A delay beyond 2^31-1 seconds is too long (observed)", def: wait(`"SecondsPath":"$.s"`), input: `{"s":2147483648}`,
			wantErr: "States.Runtime", wantCause: "An error occurred while executing the state 'WaitState' (entered at the event id #2). Wait state delay is too long."},
		{name: "A timestamp beyond 2^31-1 seconds is too long (observed)", def: wait(`"TimestampPath":"$.t"`), input: `{"t":"2099-01-01T00:00:00Z"}`,
			wantErr: "States.Runtime", wantCause: "An error occurred while executing the state 'WaitState' (entered at the event id #2). Wait state delay is too long."},
		// Observed: "Z", ".00Z", ".000000Z" run; no zone, ".000000" without Z, a space, month 13,
		// hour 25 and 05-12-2016 fail with this cause.
		{name: "TimestampPath with fractions runs (observed)", def: wait(`"TimestampPath":"$.t"`), input: `{"t":"2016-12-05T21:29:29.00Z"}`, want: `{"t":"2016-12-05T21:29:29.00Z"}`},
		{name: "TimestampPath without a zone fails (observed)", def: wait(`"TimestampPath":"$.TimestampValue"`), input: `{"TimestampValue":"2016-12-05T21:29:29"}`,
			wantErr: "States.Runtime", wantCause: "An error occurred while executing the state 'WaitState' (entered at the event id #2). The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: $.TimestampValue == 2016-12-05T21:29:29"},
		{name: "TimestampPath with a space fails (observed)", def: wait(`"TimestampPath":"$.t"`), input: `{"t":"2016-12-05 21:29:29Z"}`, wantErr: "States.Runtime", wantCause: "^.*2016-12-05 21:29:29Z$"},
		{name: "TimestampPath with month 13 fails (observed)", def: wait(`"TimestampPath":"$.t"`), input: `{"t":"2016-13-05T21:29:29Z"}`, wantErr: "States.Runtime"},
		{name: "TimestampPath with hour 25 fails (observed)", def: wait(`"TimestampPath":"$.t"`), input: `{"t":"2016-12-05T25:29:29Z"}`, wantErr: "States.Runtime"},
		{name: "TimestampPath day first fails (observed)", def: wait(`"TimestampPath":"$.t"`), input: `{"t":"05-12-2016T21:29:29Z"}`, wantErr: "States.Runtime"},
		{name: "TimestampPath with a lowercase z fails (state-wait.html: uppercase T and Z)", def: wait(`"TimestampPath":"$.t"`), input: `{"t":"2016-12-05t21:29:29z"}`, wantErr: "States.Runtime"},
		{name: "TimestampPath that is a number fails (state-wait.html)", def: wait(`"TimestampPath":"$.t"`), input: `{"t":5}`, wantErr: "States.Runtime",
			wantCause: "^.*valid ISO-8601 extended offset date-time format string: \\$\\.t == 5$"},
	})
}

func TestWaitSleepsWholeSeconds(t *testing.T) {
	// state-wait.html: "Step Functions considers the time value up to seconds and truncates
	// milliseconds."
	m, err := states.Parse([]byte(`{"StartAt":"W","States":{"W":{"Type":"Wait","TimestampPath":"$.t","End":true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(time.Hour).Truncate(time.Second).Add(900 * time.Millisecond)
	var slept time.Duration
	e := &states.Execution{Resources: &resources{}, Sleep: func(_ context.Context, d time.Duration) error { slept = d; return nil }}
	if _, err := e.Run(context.Background(), m, map[string]any{"t": at.UTC().Format(time.RFC3339Nano)}); err != nil {
		t.Fatal(err)
	}
	if got := time.Now().Add(slept); got.After(at.Truncate(time.Second).Add(time.Millisecond)) {
		t.Errorf("slept until %s; want %s (milliseconds truncated)", got, at.Truncate(time.Second))
	}
}

func TestWaitDefinitionsAWSRefuses(t *testing.T) {
	// state-wait.html: exactly one of the four fields; Seconds an integer from 0 to 99999999; Timestamp
	// with an uppercase T and Z.
	for _, w := range []string{
		`"Seconds":1.5`, `"Seconds":-1`, `"Seconds":100000000`, `"Seconds":1,"SecondsPath":"$.s"`,
		`"Timestamp":"2016-12-05T21:29:29"`, `"Timestamp":"2016-12-05 21:29:29Z"`, `"Comment":"none"`,
	} {
		def := `{"StartAt":"W","States":{"W":{"Type":"Wait",` + w + `,"End":true}}}`
		if _, err := states.Parse([]byte(def)); err == nil {
			t.Errorf("Parse accepted a Wait with %s", w)
		}
	}
}

func TestMapMaxConcurrencyPath(t *testing.T) {
	mapDef := `{"StartAt":"MapState","States":{"MapState":{"Type":"Map","ItemsPath":"$.Values","MaxConcurrencyPath":"$.MaxConcurrencyValue","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}}}`
	runFidelity(t, []fidelityCase{
		// Observed for {}, "NoNumber", 0 and 1 (scenarios/test_base_scenarios.snapshot.json).
		{name: "MaxConcurrencyPath 1 runs (observed)", def: mapDef, input: `{"MaxConcurrencyValue":1,"Values":["HelloWorld"]}`, want: `["HelloWorld"]`},
		{name: "MaxConcurrencyPath 0 (unlimited) runs (observed)", def: mapDef, input: `{"MaxConcurrencyValue":0,"Values":["HelloWorld"]}`, want: `["HelloWorld"]`},
		{name: "MaxConcurrencyPath a string fails (observed)", def: mapDef, input: `{"MaxConcurrencyValue":"NoNumber","Values":["HelloWorld"]}`,
			wantErr: "States.Runtime", wantCause: `An error occurred while executing the state 'MapState' (entered at the event id #2). The MaxConcurrencyPath field refers to value "NoNumber" which is not a valid integer: $.MaxConcurrencyValue`},
		{name: "MaxConcurrencyPath an object fails (observed)", def: mapDef, input: `{"MaxConcurrencyValue":{},"Values":["HelloWorld"]}`,
			wantErr: "States.Runtime", wantCause: `An error occurred while executing the state 'MapState' (entered at the event id #2). The MaxConcurrencyPath field refers to value "{}" which is not a valid integer: $.MaxConcurrencyValue`},
		{name: "MaxConcurrencyPath 1.5 fails (as MaxItemsPath's 1.5, observed)", def: mapDef, input: `{"MaxConcurrencyValue":1.5,"Values":["HelloWorld"]}`,
			wantErr: "States.Runtime", wantCause: `^.*The MaxConcurrencyPath field refers to value "1.5" which is not a valid integer: \$\.MaxConcurrencyValue$`},
		// AWS stalls on a negative value (observed); the local runtime fails instead (ADR 0023).
		{name: "MaxConcurrencyPath -1 fails", def: mapDef, input: `{"MaxConcurrencyValue":-1,"Values":["HelloWorld"]}`, wantErr: "States.Runtime"},
		{name: "MaxConcurrencyPath missing fails", def: mapDef, input: `{"Values":["HelloWorld"]}`, wantErr: "States.Runtime",
			wantCause: `^.*Invalid path '\$\.MaxConcurrencyValue' : No results for path: \$\['MaxConcurrencyValue'\]$`},
	})
	for _, bad := range []string{`"MaxConcurrency":1,"MaxConcurrencyPath":"$.m"`, `"MaxConcurrency":-1`} {
		def := `{"StartAt":"M","States":{"M":{"Type":"Map",` + bad + `,"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}}}`
		if _, err := states.Parse([]byte(def)); err == nil {
			t.Errorf("Parse accepted a Map with %s", bad)
		}
	}
}

func TestMaxConcurrencyPathLimitsIterations(t *testing.T) {
	// The value is applied, not only checked: with 1, iterations never overlap.
	m, err := states.Parse([]byte(`{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrencyPath":"$.m","ItemsPath":"$.xs","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Task","Resource":"track","End":true}}},"End":true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	tr := &tracker{}
	e := &states.Execution{Resources: tr}
	if _, err := e.Run(context.Background(), m, map[string]any{"m": 1.0, "xs": []any{1.0, 2.0, 3.0, 4.0}}); err != nil {
		t.Fatal(err)
	}
	if tr.peak.Load() != 1 {
		t.Errorf("peak concurrency %d; want 1", tr.peak.Load())
	}
}

// tracker is a Resources fake that records how many calls overlap.
type tracker struct{ now, peak atomic.Int32 }

func (r *tracker) Run(ctx context.Context, _ string, input any) (any, error) {
	n := r.now.Add(1)
	defer r.now.Add(-1)
	for {
		p := r.peak.Load()
		if n <= p || r.peak.CompareAndSwap(p, n) {
			break
		}
	}
	time.Sleep(5 * time.Millisecond) // long enough for overlapping iterations to be seen
	return input, nil
}

func TestCausesMatchAWS(t *testing.T) {
	runFidelity(t, []fidelityCase{
		// Observed: "... Invalid path '$.NoSuchInputPath' : No results for path: $['NoSuchInputPath']".
		{name: "InputPath that does not exist (observed)",
			def:   `{"StartAt":"pass","States":{"pass":{"Type":"Pass","InputPath":"$.NoSuchInputPath","End":true}}}`,
			input: `{}`, wantErr: "States.Runtime",
			wantCause: "An error occurred while executing the state 'pass' (entered at the event id #2). Invalid path '$.NoSuchInputPath' : No results for path: $['NoSuchInputPath']"},
		{name: "OutputPath that does not exist (observed)",
			def:   `{"StartAt":"pass","States":{"pass":{"Type":"Pass","OutputPath":"$.NoSuchOutputPath","End":true}}}`,
			input: `{}`, wantErr: "States.Runtime",
			wantCause: "An error occurred while executing the state 'pass' (entered at the event id #2). Invalid path '$.NoSuchOutputPath' : No results for path: $['NoSuchOutputPath']"},
		// Observed: OutputPath '$.no.such.result.path' gives "Missing property in path $['no']".
		{name: "OutputPath through a missing property (observed)",
			def:   `{"StartAt":"pass","States":{"pass":{"Type":"Pass","OutputPath":"$.no.such.result.path","End":true}}}`,
			input: `{}`, wantErr: "States.Runtime",
			wantCause: "An error occurred while executing the state 'pass' (entered at the event id #2). Invalid path '$.no.such.result.path' : Missing property in path $['no']"},
		// Observed: "... The JSONPath '$.no_such_jsonpath' specified for the field 'value.$' could not
		// be found in the input '<input>'", and the same for a $$ path.
		{name: "Parameters path that does not exist (observed)",
			def:   `{"StartAt":"pass","States":{"pass":{"Type":"Pass","Parameters":{"value.$":"$.no_such_jsonpath"},"End":true}}}`,
			input: `{"a":"<x>"}`, wantErr: "States.Runtime",
			wantCause: `An error occurred while executing the state 'pass' (entered at the event id #2). The JSONPath '$.no_such_jsonpath' specified for the field 'value.$' could not be found in the input '{"a":"<x>"}'`},
		{name: "Parameters context path that does not exist (observed)",
			def:   `{"StartAt":"pass","States":{"pass":{"Type":"Pass","Parameters":{"value.$":"$$.Execution.Input.no_such_jsonpath"},"End":true}}}`,
			input: `{}`, wantErr: "States.Runtime",
			wantCause: `An error occurred while executing the state 'pass' (entered at the event id #2). The JSONPath '$$.Execution.Input.no_such_jsonpath' specified for the field 'value.$' could not be found in the input '{}'`},
		{name: "The event id counts the states before (observed form)",
			def:   `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"pass"},"pass":{"Type":"Pass","InputPath":"$.x","End":true}}}`,
			input: `{}`, wantErr: "States.Runtime",
			wantCause: "^An error occurred while executing the state 'pass' \\(entered at the event id #4\\)\\. "},
		// Observed: "The state/task 'State_1' returned a result with a size exceeding the maximum
		// number of bytes service limit."
		{name: "DataLimitExceeded (observed)",
			def:   `{"StartAt":"State_1","States":{"State_1":{"Type":"Pass","Parameters":{"a.$":"States.ArrayRange(1, 1000, 1)"},"ResultPath":"$.r","Next":"B"},"B":{"Type":"Pass","Parameters":{"x.$":"States.JsonToString($)","y.$":"States.JsonToString($)","z.$":"States.JsonToString($)","w.$":"States.JsonToString($)","v.$":"States.JsonToString($)","u.$":"States.JsonToString($)","t.$":"States.JsonToString($)","s.$":"States.JsonToString($)"},"ResultPath":"$.q","Next":"C"},"C":{"Type":"Pass","Parameters":{"x.$":"States.JsonToString($)","y.$":"States.JsonToString($)","z.$":"States.JsonToString($)","w.$":"States.JsonToString($)","v.$":"States.JsonToString($)","u.$":"States.JsonToString($)","t.$":"States.JsonToString($)","s.$":"States.JsonToString($)"},"ResultPath":"$.q","End":true}}}`,
			input: `{}`, wantErr: "States.DataLimitExceeded",
			wantCause: "The state/task 'C' returned a result with a size exceeding the maximum number of bytes service limit."},
		// concepts-error-handling.html: States.ResultPathMatchFailure.
		{name: "ResultPath that cannot be applied is States.ResultPathMatchFailure (concepts-error-handling.html)",
			def:   `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":1,"ResultPath":"$.a.b","End":true}}}`,
			input: `{"a":5}`, wantErr: "States.ResultPathMatchFailure"},
		{name: "A caught States.Runtime keeps the located cause (concepts-error-handling.html)",
			def:   `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"echo","Parameters":{"v.$":"$.nope"},"Catch":[{"ErrorEquals":["States.Runtime"],"Next":"F"}],"End":true},"F":{"Type":"Fail","CausePath":"$.Cause","ErrorPath":"$.Error"}}}`,
			input: `{}`, wantErr: "States.Runtime",
			wantCause: "An error occurred while executing the state 'T' (entered at the event id #2). The JSONPath '$.nope' specified for the field 'v.$' could not be found in the input '{}'"},
		{name: "A failure inside a Map iteration names the inner state",
			def:   `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"In","States":{"In":{"Type":"Pass","InputPath":"$.x","End":true}}},"End":true}}}`,
			input: `[1]`, wantErr: "States.Runtime", wantCause: "^An error occurred while executing the state 'In' \\(entered at the event id #\\d+\\)\\. Invalid path"},
	})
}

func TestCausesNeverCarryGoWording(t *testing.T) {
	// Every failing case of this file's kinds: no cause may show Go's formatting or error texts.
	cases := []struct{ def, input string }{
		{pass(`{"x.$":"States.StringToJson($.s)"}`), `{"s":"{"}`},
		{pass(`{"x.$":"States.Base64Decode($.s)"}`), `{"s":"%%%"}`},
		{pass(`{"x.$":"States.MathAdd($.o, 1)"}`), `{"o":{"a":[1]}}`},
		{pass(`{"x.$":"States.ArrayLength($.o)"}`), `{"o":{"<a>":null}}`},
		{pass(`{"x.$":"States.StringToJson($.o)"}`), `{"o":{"a":null}}`},
		{pass(`{"x.$":"States.Nope(1)"}`), `{}`},
		{pass(`{"x.$":"States.Format('{}', $.a"}`), `{"a":1}`},
		{`{"StartAt":"F","States":{"F":{"Type":"Fail","ErrorPath":"$.e","Cause":"c"}}}`, `{"e":[1,{"a":null}]}`},
		{`{"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.s","End":true}}}`, `{"s":{"a":[true]}}`},
		{`{"StartAt":"W","States":{"W":{"Type":"Wait","TimestampPath":"$.s","End":true}}}`, `{"s":["<"]}`},
		{`{"StartAt":"P","States":{"P":{"Type":"Pass","Result":1,"ResultPath":"$.a[0]","End":true}}}`, `{"a":[]}`},
		{`{"StartAt":"P","States":{"P":{"Type":"Pass","InputPath":"$.a[?(@.x)]","End":true}}}`, `{"a":[]}`},
	}
	for _, c := range cases {
		_, err := run(t, c.def, c.input)
		var f *states.Failure
		if !errors.As(err, &f) {
			t.Errorf("%s on %s: err = %v; want a failure", c.def, c.input, err)
			continue
		}
		if goWording.MatchString(f.Cause) {
			t.Errorf("cause %q carries Go's wording", f.Cause)
		}
	}
}

func TestIntrinsicEscapes(t *testing.T) {
	// intrinsic-functions.html, "Reserved characters in intrinsic functions": ' { } and \ are escaped
	// with a backslash (doubled in JSON); an escaped {} is text, not a placeholder; "If an open escape
	// backslash \ is found in the intrinsic invocation string, the interpreter will throw a runtime
	// error".
	runFidelity(t, []fidelityCase{
		{name: "escaped quote, braces and backslash",
			def:   pass(`{"x.$":"States.Format('it\\'s \\{\\} {} \\\\', $.a)"}`),
			input: `{"a":1}`, want: `{"x":"it's {} 1 \\"}`},
		{name: "escaped braces in another function",
			def:   pass(`{"x.$":"States.StringSplit('a\\{b\\}c', '\\{')"}`),
			input: `{}`, want: `{"x":["a","b}c"]}`},
		{name: "an open escape backslash fails",
			def:   pass(`{"x.$":"States.Format('a\\b')"}`),
			input: `{}`, wantErr: "States.IntrinsicFailure"},
		{name: "a real newline in a literal is kept (observed: StringSplit('Hello\\nWorld', '\\n'))",
			def:   pass(`{"x.$":"States.StringSplit('Hello\nWorld', '\n')"}`),
			input: `{}`, want: `{"x":["Hello","World"]}`},
	})
}

func TestIntrinsicOutputsRecordedOnAWS(t *testing.T) {
	// Outputs AWS returned for these calls (observed; LocalStack's intrinsic_functions snapshots).
	runFidelity(t, []fidelityCase{
		{name: "StringSplit drops empty parts and splits on each separator character (observed)",
			def:   pass(`{"a.$":"States.StringSplit($.a, ',')","b.$":"States.StringSplit($.b, ',')","c.$":"States.StringSplit($.c, '.+,=')","d.$":"States.StringSplit($.d, $.sep)","e.$":"States.StringSplit($.e, ',')"}`),
			input: `{"a":", , ,","b":",,,,","c":"This.is+a,test=string","d":"split on T and \nnew line","sep":"T\n","e":" "}`,
			want:  `{"a":[" "," "],"b":[],"c":["This","is","a","test","string"],"d":["split on "," and ","new line"],"e":[" "]}`},
		{name: "ArrayPartition, ArrayRange, ArrayContains (observed)",
			def:   pass(`{"p.$":"States.ArrayPartition($.xs, 3)","e.$":"States.ArrayPartition($.none, 2)","r.$":"States.ArrayRange(0, 10, 3)","one.$":"States.ArrayRange(1, 9, 9)","c.$":"States.ArrayContains($.nested, $.xs3)","o.$":"States.ArrayContains($.objs, $.obj)","n.$":"States.ArrayContains($.nested, $.nil)"}`),
			input: `{"xs":[0,1,2,3],"none":[],"nested":[[1,2,3],2],"xs3":[1,2,3],"objs":[{"1":2,"2":[]}],"obj":{"2":[],"1":2},"nil":null}`,
			want:  `{"c":true,"e":[],"n":false,"o":true,"one":[1],"p":[[0,1,2],[3]],"r":[0,3,6,9]}`},
		{name: "Hash and Base64 (observed)",
			def:   pass(`{"md5.$":"States.Hash($.s, 'MD5')","sha1.$":"States.Hash($.s, 'SHA-1')","enc.$":"States.Base64Encode('Data to encode')","dec.$":"States.Base64Decode('RGF0YSB0byBlbmNvZGU=')","empty.$":"States.Base64Decode('')"}`),
			input: `{"s":"input data"}`,
			want:  `{"dec":"Data to encode","empty":"","enc":"RGF0YSB0byBlbmNvZGU=","md5":"812f45842bc6d66ee14572ce20db8e86","sha1":"aaff4a450a104cd177d28d18d74485e8cae074b7"}`},
		{name: "JsonMerge is shallow; the second object wins (observed)",
			def:   pass(`{"m.$":"States.JsonMerge($.a, $.b, false)"}`),
			input: `{"a":{"a":{"a1":1,"a2":2},"b":2,"d":3},"b":{"a":{"a3":1,"a4":2},"c":3,"d":4}}`,
			want:  `{"m":{"a":{"a3":1,"a4":2},"b":2,"c":3,"d":4}}`},
	})
}

func TestRetriedAttemptsCarryTheLocatedCause(t *testing.T) {
	// A retried failure is recorded per attempt (TaskFailed); its cause is the one the execution
	// would fail with, prefixed with the state's location (concepts-error-handling.html).
	m, err := states.Parse([]byte(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"echo","Parameters":{"x.$":"States.ArrayGetItem($.xs, 3)"},"Retry":[{"ErrorEquals":["States.ALL"],"MaxAttempts":1}],"End":true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	var attempts []string
	e := &states.Execution{Resources: &resources{}, Sleep: func(context.Context, time.Duration) error { return nil },
		Observe: func(tr states.Transition) {
			if tr.Attempt {
				attempts = append(attempts, tr.Err.Cause)
			}
		}}
	_, err = e.Run(context.Background(), m, map[string]any{"xs": []any{}})
	var f *states.Failure
	if !errors.As(err, &f) || f.Name != "States.IntrinsicFailure" {
		t.Fatalf("err = %v; want States.IntrinsicFailure", err)
	}
	want := "An error occurred while executing the state 'T' (entered at the event id #2). States.ArrayGetItem: index 3 is out of range for an array of 0 items"
	if len(attempts) != 2 || attempts[0] != want || attempts[1] != want || f.Cause != want {
		t.Fatalf("attempt causes %q, final %q; want two and the final as %q", attempts, f.Cause, want)
	}
}
