package states_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/orion-oss/orion/infra/engine/states"
)

// The AWS pages the cases follow (named in each case as TD, WV, SM and the state's page).
const (
	docTD = "https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html"
	docWV = "https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html"
	docSM = "https://docs.aws.amazon.com/step-functions/latest/dg/statemachine-structure.html"
)

type execCase struct {
	name, def, input, want, wantErr, wantCause string
}

func runCases(t *testing.T, tests []execCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := run(t, tt.def, tt.input)
			if tt.wantErr != "" {
				var f *states.Failure
				if !errors.As(err, &f) || f.Name != tt.wantErr {
					t.Fatalf("err = %v (output %s); want %s", err, js(out), tt.wantErr)
				}
				if !strings.Contains(f.Cause, tt.wantCause) {
					t.Fatalf("cause %q; want it to contain %q", f.Cause, tt.wantCause)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if got := js(out); got != tt.want {
				t.Fatalf("output %s\nwant   %s", got, tt.want)
			}
		})
	}
}

// TestJSONataStates runs each state type in JSONata as transforming-data.html and the state pages
// describe it.
func TestJSONataStates(t *testing.T) {
	runCases(t, []execCase{
		{"TD: Pass Output with $states.input; a string without {% %} is a literal",
			`{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":{"title":"{% $states.input.title %}","n":"{% $states.input.n * 2 %}","lit":"$states.input"},"End":true}}}`,
			`{"title":"Doctor","n":21}`, `{"lit":"$states.input","n":42,"title":"Doctor"}`, "", ""},
		{"TD: $formatInteger in a Choice Condition (the local runtime's, ADR 0024)",
			`{"QueryLanguage":"JSONata","StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Condition":"{% $formatInteger($states.input.n, 'w') = 'twelve' %}","Next":"Y"}],"Default":"N"},"Y":{"Type":"Pass","Output":"{% $formatInteger($parseInteger('1,234', '#,##0') + 1, '#,##0') %}","End":true},"N":{"Type":"Fail","Error":"No"}}}`,
			`{"n":12}`, `"1,235"`, "", ""},
		{"TD: an unsupported $formatInteger picture is States.QueryEvaluationError naming it",
			`{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":"{% $formatInteger(3, '①') %}","End":true}}}`,
			`{}`, "", "States.QueryEvaluationError", "the picture '①' is not supported by the local runtime"},
		{"TD: Pass without Output passes its input",
			`{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`,
			`{"a":[1,null]}`, `{"a":[1,null]}`, "", ""},
		{"TD: a whole-value expression can build any JSON",
			`{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":"{% $states.input.items[price > 1].name %}","End":true}}}`,
			`{"items":[{"name":"a","price":2},{"name":"b","price":0.5},{"name":"c","price":3}]}`, `["a","c"]`, "", ""},
		{"TD: JSON null in the input is null, not undefined",
			`{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":{"isNull":"{% $states.input.a = null %}","t":"{% $type($states.input.a) %}"},"End":true}}}`,
			`{"a":null}`, `{"isNull":true,"t":"null"}`, "", ""},
		{"TD: Task Arguments are the task's input, Output reads $states.result",
			`{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task","Resource":"echo","Arguments":{"n":"{% $states.input.x + 1 %}"},"Output":{"got":"{% $states.result.n %}","in":"{% $states.input.x %}"},"End":true}}}`,
			`{"x":1}`, `{"got":2,"in":1}`, "", ""},
		{"TD: without Output a Task's output is its result",
			`{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task","Resource":"double","Arguments":{"n":"{% $states.input.v %}"},"End":true}}}`,
			`{"v":4}`, `8`, "", ""},
		{"TD: $states.context is the context object",
			`{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":"{% $states.context.Execution.Name & '/' & $states.context.State.Name %}","End":true}}}`,
			`{}`, `"exec-1/P"`, "", ""},
		{"TD: Choice Condition, first true rule wins, rule Output",
			`{"QueryLanguage":"JSONata","StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Condition":"{% $states.input.n > 10 %}","Next":"Big"},{"Condition":"{% $states.input.n > 1 %}","Next":"Mid","Output":{"m":"{% $states.input.n %}"}}],"Default":"Small"},"Big":{"Type":"Succeed"},"Mid":{"Type":"Succeed"},"Small":{"Type":"Succeed"}}}`,
			`{"n":5}`, `{"m":5}`, "", ""},
		{"TD: Choice Default, no match without Default is States.NoChoiceMatched",
			`{"QueryLanguage":"JSONata","StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Condition":"{% $states.input.n > 10 %}","Next":"Big"}]},"Big":{"Type":"Succeed"}}}`,
			`{"n":5}`, "", "States.NoChoiceMatched", ""},
		{"TD: a Condition that is not a boolean is States.QueryEvaluationError",
			`{"QueryLanguage":"JSONata","StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Condition":"{% $states.input.n %}","Next":"Big"}],"Default":"Big"},"Big":{"Type":"Succeed"}}}`,
			`{"n":5}`, "", "States.QueryEvaluationError", "Expected 'boolean', but was 'number' for value: 5"},
		{"TD: an expression that returns nothing is States.QueryEvaluationError",
			`{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":{"x":"{% $states.input.missing %}"},"End":true}}}`,
			`{}`, "", "States.QueryEvaluationError", "specified for the field 'Output/x' returned nothing (undefined)"},
		{"TD: a type error is States.QueryEvaluationError",
			`{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":"{% 'a' + 1 %}","End":true}}}`,
			`{}`, "", "States.QueryEvaluationError", "'a' + 1"},
		{"Wait state: Seconds as an expression",
			`{"QueryLanguage":"JSONata","StartAt":"W","States":{"W":{"Type":"Wait","Seconds":"{% $states.input.s %}","Output":"{% $states.input.s %}","End":true}}}`,
			`{"s":3}`, `3`, "", ""},
		{"Wait state: Seconds that is not an integer fails",
			`{"QueryLanguage":"JSONata","StartAt":"W","States":{"W":{"Type":"Wait","Seconds":"{% $states.input.s %}","End":true}}}`,
			`{"s":"soon"}`, "", "States.QueryEvaluationError", "an integer is required"},
		{"Wait state: Timestamp as an expression",
			`{"QueryLanguage":"JSONata","StartAt":"W","States":{"W":{"Type":"Wait","Timestamp":"{% $states.input.at %}","End":true}}}`,
			`{"at":"2020-01-01T00:00:00Z"}`, `{"at":"2020-01-01T00:00:00Z"}`, "", ""},
		{"Fail state: Error and Cause as expressions",
			`{"QueryLanguage":"JSONata","StartAt":"F","States":{"F":{"Type":"Fail","Error":"{% 'Order.' & $states.input.code %}","Cause":"{% $states.input.why %}"}}}`,
			`{"code":"Declined","why":"card"}`, "", "Order.Declined", "card"},
		{"Fail state: an Error that is not a string fails the evaluation",
			`{"QueryLanguage":"JSONata","StartAt":"F","States":{"F":{"Type":"Fail","Error":"{% 42 %}"}}}`,
			`{}`, "", "States.QueryEvaluationError", "Expected 'string', but was 'number' for value: 42"},
		{"Task state: TimeoutSeconds as an expression that is not positive fails",
			`{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task","Resource":"echo","TimeoutSeconds":"{% 0 %}","End":true}}}`,
			`{}`, "", "States.QueryEvaluationError", "a positive integer"},
		{"Map state: Items, ItemSelector with $states.context.Map.Item, Output",
			`{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map","Items":"{% $states.input.xs %}","ItemSelector":{"i":"{% $states.context.Map.Item.Index %}","v":"{% $states.context.Map.Item.Value * 10 %}"},"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","Output":"{% $states.input.i + $states.input.v %}","End":true}}},"Output":"{% $sum($states.result) %}","End":true}}}`,
			`{"xs":[1,2,3]}`, `63`, "", ""},
		{"Map state: Items default to the input; a non-array is States.QueryEvaluationError",
			`{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`,
			`{"a":1}`, "", "States.QueryEvaluationError", "Map state input must be an array but was: {\"a\":1}"},
		{"Map state: MaxConcurrency and ToleratedFailureCount as expressions",
			`{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map","Items":[1,2],"MaxConcurrency":"{% 1 %}","ToleratedFailureCount":"{% 2 %}","ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"boom","End":true}}},"End":true}}}`,
			`{}`, `[{"Cause":"it broke","Error":"Custom.Error"},{"Cause":"it broke","Error":"Custom.Error"}]`, "", ""},
		{"Parallel state: Arguments are each branch's input, result in order",
			`{"QueryLanguage":"JSONata","StartAt":"Par","States":{"Par":{"Type":"Parallel","Arguments":{"n":"{% $states.input.n %}"},"Branches":[{"StartAt":"A","States":{"A":{"Type":"Pass","Output":"{% $states.input.n + 1 %}","End":true}}},{"StartAt":"B","States":{"B":{"Type":"Task","Resource":"double","End":true}}}],"Output":{"r":"{% $states.result %}"},"End":true}}}`,
			`{"n":5}`, `{"r":[6,10]}`, "", ""},
		{"Catch: Output with $states.errorOutput; without Output the error output",
			`{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task","Resource":"boom","Catch":[{"ErrorEquals":["Other"],"Next":"X"},{"ErrorEquals":["States.ALL"],"Output":{"e":"{% $states.errorOutput.Error %}","in":"{% $states.input.a %}"},"Next":"X"}],"End":true},"X":{"Type":"Succeed"}}}`,
			`{"a":1}`, `{"e":"Custom.Error","in":1}`, "", ""},
		{"Catch: an Output that fails is caught like the task (States.QueryEvaluationError), the Assign dropped",
			`{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task","Resource":"echo","Assign":{"a":1},"Output":"{% $states.result.missing %}","Catch":[{"ErrorEquals":["States.QueryEvaluationError"],"Output":{"e":"{% $states.errorOutput.Error %}","a":"{% $exists($a) %}"},"Next":"X"}],"End":true},"X":{"Type":"Pass","Output":{"in":"{% $states.input %}","a":"{% $exists($a) %}"},"End":true}}}`,
			`{}`, `{"a":false,"in":{"a":false,"e":"States.QueryEvaluationError"}}`, "", ""},
		{"Catch without Output: the error output",
			`{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task","Resource":"boom","Catch":[{"ErrorEquals":["States.ALL"],"Next":"X"}],"End":true},"X":{"Type":"Succeed"}}}`,
			`{}`, `{"Cause":"it broke","Error":"Custom.Error"}`, "", ""},
		{"Retry: Arguments are evaluated on each attempt ($states.context.State.RetryCount)",
			`{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task","Resource":"third-attempt","Arguments":{"attempt":"{% $states.context.State.RetryCount %}"},"Retry":[{"ErrorEquals":["Not.Yet"],"MaxAttempts":3}],"End":true}}}`,
			`{}`, `{"ok":true}`, "", ""},
		{"TD: functions Step Functions adds: $partition $range $hash $parse",
			`{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":{"p":"{% $partition([1,2,3,4,5], 2) %}","r":"{% $range(0, 10, 5) %}","h":"{% $hash('abc', 'SHA-256') %}","j":"{% $parse($states.input.s).k %}"},"End":true}}}`,
			`{"s":"{\"k\":[1]}"}`, `{"h":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad","j":[1],"p":[[1,2],[3,4],[5]],"r":[0,5,10]}`, "", ""},
		{"TD: $random with a seed is repeatable; $uuid is a version 4 UUID",
			`{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":{"same":"{% $random(7) = $random(7) %}","unit":"{% $random() < 1 %}","v4":"{% $substring($uuid(), 14, 1) %}"},"End":true}}}`,
			`{}`, `{"same":true,"unit":true,"v4":"4"}`, "", ""},
		{"TD: $range and $partition round towards zero; a one-item range is its item",
			`{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":{"r":"{% $range(-1.7, 2, 1) %}","one":"{% $range(3, 3, 1) %}","p":"{% $partition([1,2,3], 2.9) %}"},"End":true}}}`,
			`{}`, `{"one":3,"p":[[1,2],[3]],"r":[-1,0,1,2]}`, "", ""},
		{"TD: $partition of an empty array gives nothing, which fails the field",
			`{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":{"p":"{% $partition([], 2) %}"},"End":true}}}`,
			`{}`, "", "States.QueryEvaluationError", "'Output/p' returned nothing"},
		{"TD: a Catch's Output failing is named under the catcher",
			`{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task","Resource":"boom","Catch":[{"ErrorEquals":["States.ALL"],"Output":{"v":"{% $states.errorOutput.nope %}"},"Next":"X"}],"End":true},"X":{"Type":"Succeed"}}}`,
			`{}`, "", "States.QueryEvaluationError", "'Catch[0]/Output/v'"},
		{"TD: $hash with an unknown algorithm is States.QueryEvaluationError",
			`{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":"{% $hash('a', 'CRC') %}","End":true}}}`,
			`{}`, "", "States.QueryEvaluationError", "$hash"},
	})
}

// TestVariables follows workflow-variables.html (WV).
func TestVariables(t *testing.T) {
	runCases(t, []execCase{
		{"WV: a variable assigned in one state is read in a later one",
			`{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"x":"{% $states.input.v %}","lit":"text"},"Next":"B"},"B":{"Type":"Pass","Output":"{% $x & '-' & $lit %}","End":true}}}`,
			`{"v":"one"}`, `"one-text"`, "", ""},
		{"WV evaluation order: every Assign expression reads the values from before the state",
			`{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"x":1,"y":2},"Next":"B"},"B":{"Type":"Pass","Assign":{"x":"{% $y %}","y":"{% $x %}"},"Next":"C"},"C":{"Type":"Pass","Output":[ "{% $x %}", "{% $y %}" ],"End":true}}}`,
			`{}`, `[2,1]`, "", ""},
		{"WV evaluation order: Output does not see the state's own Assign",
			`{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"x":1},"Next":"B"},"B":{"Type":"Pass","Assign":{"x":2},"Output":"{% $x %}","End":true}}}`,
			`{}`, `1`, "", ""},
		{"WV: Assign and Output of a Task both read $states.result",
			`{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task","Resource":"double","Arguments":{"n":3},"Assign":{"r":"{% $states.result %}"},"Output":{},"Next":"U"},"U":{"Type":"Pass","Output":"{% $r %}","End":true}}}`,
			`{}`, `6`, "", ""},
		{"WV: a caught state's Assign is not applied; the catcher's is, with $states.errorOutput",
			`{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"s":"before"},"Next":"T"},"T":{"Type":"Task","Resource":"boom","Assign":{"s":"task"},"Catch":[{"ErrorEquals":["States.ALL"],"Assign":{"err":"{% $states.errorOutput.Error %}"},"Next":"X"}],"End":true},"X":{"Type":"Pass","Output":["{% $s %}","{% $err %}"],"End":true}}}`,
			`{}`, `["before","Custom.Error"]`, "", ""},
		{"WV: reading a variable never assigned is States.QueryEvaluationError",
			`{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":"{% $nope %}","End":true}}}`,
			`{}`, "", "States.QueryEvaluationError", "undefined"},
		{"WV scope: a Parallel branch reads outer variables; what it assigns stays inside",
			`{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"outer":10},"Next":"Par"},"Par":{"Type":"Parallel","Branches":[{"StartAt":"B1","States":{"B1":{"Type":"Pass","Assign":{"inner":1},"Next":"B2"},"B2":{"Type":"Pass","Output":"{% $outer + $inner %}","End":true}}}],"Next":"After"},"After":{"Type":"Pass","Output":{"seen":"{% $exists($inner) %}","r":"{% $states.input %}"},"End":true}}}`,
			`{}`, `{"r":[11],"seen":false}`, "", ""},
		{"WV scope: each Map iteration has its own variables",
			`{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"k":100},"Next":"M"},"M":{"Type":"Map","Items":[1,2,3],"ItemProcessor":{"StartAt":"S","States":{"S":{"Type":"Pass","Assign":{"mine":"{% $states.input %}"},"Next":"R"},"R":{"Type":"Pass","Output":"{% $mine + $k %}","End":true}}},"End":true}}}`,
			`{}`, `[101,102,103]`, "", ""},
		{"WV: Assign in a JSONPath Task reads the raw result, beside ResultSelector; $var in Parameters",
			`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"echo","Parameters":{"id.$":"$.id"},"ResultSelector":{"got.$":"$.id"},"Assign":{"orderId.$":"$.id","kind":"order"},"Next":"U"},"U":{"Type":"Pass","Parameters":{"o.$":"$orderId","k.$":"$kind","all.$":"$$.Execution.Name"},"End":true}}}`,
			`{"id":"o-1"}`, `{"all":"exec-1","k":"order","o":"o-1"}`, "", ""},
		{"WV: a JSONPath Assign path on what ResultSelector makes does not exist",
			`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"echo","ResultSelector":{"got.$":"$.id"},"Assign":{"x.$":"$.got"},"End":true}}}`,
			`{"id":"o-1"}`, "", "States.Runtime", "$.got"},
		{"WV: a JSONPath Pass state's Assign reads its result (Result)",
			`{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"r":7},"ResultPath":"$.res","Assign":{"v.$":"$.r"},"Next":"Q"},"Q":{"Type":"Pass","Parameters":{"v.$":"$v"},"End":true}}}`,
			`{}`, `{"v":7}`, "", ""},
		{"WV: a JSONPath Choice rule's Assign, then a JSONata state reads it",
			`{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":1,"Assign":{"size":"big","n.$":"$.n"},"Next":"J"}],"Default":"J","Assign":{"size":"small"}},"J":{"Type":"Pass","QueryLanguage":"JSONata","Output":"{% $size & $string($n) %}","End":true}}}`,
			`{"n":5}`, `"big5"`, "", ""},
		{"WV: a JSONPath catcher's Assign reads the error output",
			`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"boom","Catch":[{"ErrorEquals":["States.ALL"],"Assign":{"why.$":"$.Cause"},"ResultPath":null,"Next":"P"}],"End":true},"P":{"Type":"Pass","Parameters":{"why.$":"$why"},"End":true}}}`,
			`{}`, `{"why":"it broke"}`, "", ""},
		{"WV: InputPath and OutputPath may name a variable",
			`{"StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"cfg":{"limit":5,"name":"x"}},"Next":"B"},"B":{"Type":"Pass","InputPath":"$cfg","Parameters":{"l.$":"$.limit"},"Next":"C"},"C":{"Type":"Pass","OutputPath":"$cfg.name","End":true}}}`,
			`{}`, `"x"`, "", ""},
		{"WV: a JSONPath reference to an unknown variable fails",
			`{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"x.$":"$ghost"},"End":true}}}`,
			`{}`, "", "States.Runtime", "ghost"},
		{"WV size limits: a variable over 256 KiB is States.DataLimitExceeded",
			`{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Assign":{"big":"{% $join($map([1..70000], function($v){'abcd'})) %}"},"End":true}}}`,
			`{}`, "", "States.DataLimitExceeded", "big"},
	})
}

// TestMixedLanguages follows statemachine-structure.html (SM): JSONPath is the default, a state may
// choose JSONata, and a JSONata machine cannot have JSONPath states.
func TestMixedLanguages(t *testing.T) {
	runCases(t, []execCase{
		{"SM: a JSONata state in a JSONPath machine, and back",
			`{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"v.$":"$.v"},"Next":"B"},"B":{"Type":"Pass","QueryLanguage":"JSONata","Output":{"w":"{% $states.input.v * 2 %}"},"Next":"C"},"C":{"Type":"Pass","OutputPath":"$.w","End":true}}}`,
			`{"v":2}`, `4`, "", ""},
		{"SM: a JSONPath state explicitly in a JSONPath machine",
			`{"QueryLanguage":"JSONPath","StartAt":"A","States":{"A":{"Type":"Pass","QueryLanguage":"JSONPath","Result":1,"End":true}}}`,
			`{}`, `1`, "", ""},
	})
	for _, def := range []string{
		`{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","QueryLanguage":"JSONPath","End":true}}}`,
		`{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"QueryLanguage":"JSONPath","StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"End":true}}}`,
	} {
		if _, err := states.Parse([]byte(def)); err == nil || !strings.Contains(err.Error(), docSM) {
			t.Errorf("Parse(%s) = %v; want a refusal citing %s", def, err, docSM)
		}
	}
}

// TestRefusedAtLoad: what AWS rejects when the machine is created, and what the interpreter does not
// run, fails Parse naming the state, the field and the page to read.
func TestRefusedAtLoad(t *testing.T) {
	tests := []struct{ name, def, want string }{
		{"JSONPath field in a JSONata state", `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","InputPath":"$.a","End":true}}}`, "P: The QueryLanguage is set to 'JSONata', but field 'InputPath' is only supported for the 'JSONPath' QueryLanguage"},
		{"Parameters in a JSONata state", `{"StartAt":"P","States":{"P":{"Type":"Pass","QueryLanguage":"JSONata","Parameters":{},"End":true}}}`, "field 'Parameters' is only supported for the 'JSONPath' QueryLanguage"},
		{"JSONata field in a JSONPath state", `{"StartAt":"P","States":{"P":{"Type":"Pass","Output":"{% 1 %}","End":true}}}`, "P: The QueryLanguage is set to 'JSONPath', but field 'Output' is only supported for the 'JSONata' QueryLanguage"},
		{"Condition in a JSONPath Choice", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Condition":"{% true %}","Next":"C"}]}}}`, "Condition is a JSONata field"},
		{"Variable in a JSONata Choice", `{"QueryLanguage":"JSONata","StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a","IsPresent":true,"Next":"C"}]}}}`, "IsPresent is not valid in a JSONata Choice rule (use Condition"},
		{"ResultPath in a JSONata Catch", `{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task","Resource":"echo","Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.e","Next":"T"}],"End":true}}}`, "ResultPath is a JSONPath field"},
		{"JSONata syntax error", `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":"{% 1 + %}","End":true}}}`, "P: Output: JSONata expression"},
		{"a path with no context item", `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":{"v":"{% phone %}"},"End":true}}}`, "P: Output/v: Reference to 'phone' at the top level is not supported"},
		{"a path with no context item in a lambda", `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":"{% $map($states.input.a, function($x){ b }) %}","End":true}}}`, "Reference to 'b' at the top level"},
		{"$$ in JSONata", `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":"{% $$.Execution.Id %}","End":true}}}`, "Reference to '$$' is not supported"},
		{"$states.result in Arguments", `{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task","Resource":"echo","Arguments":"{% $states.result %}","End":true}}}`, "$states.result is only available"},
		{"$states.result in a Pass state", `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":"{% $states.result %}","End":true}}}`, "$states.result is only available"},
		{"a variable name that does not start with a letter", `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Assign":{"_x":1},"End":true}}}`, `"_x" is not valid`},
		{"assigning part of a variable", `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Assign":{"x.y":1},"End":true}}}`, `"x.y" is not valid`},
		{"$states.errorOutput outside a Catch", `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":"{% $states.errorOutput %}","End":true}}}`, "only available in a Catch"},
		{"QueryLanguage on a branch", `{"StartAt":"Par","States":{"Par":{"Type":"Parallel","Branches":[{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}],"End":true}}}`, "Field 'QueryLanguage' is not supported"},
		{"$eval is not provided", `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":"{% $eval('1') %}","End":true}}}`, "$eval is not available"},
		{"Arguments on a Pass state", `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Arguments":{},"End":true}}}`, "a Pass state has no Arguments"},
		{"Assign on a Succeed state", `{"QueryLanguage":"JSONata","StartAt":"S","States":{"S":{"Type":"Succeed","Assign":{"a":1}}}}`, "a Succeed state has no Assign"},
		{"reserved variable name", `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Assign":{"states":1},"End":true}}}`, `"states" is reserved`},
		{"invalid variable name", `{"StartAt":"P","States":{"P":{"Type":"Pass","Assign":{"1x.$":"$"},"End":true}}}`, `"1x" is not valid`},
		{"inner scope assigns an outer variable", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"x":1},"Next":"M"},"M":{"Type":"Map","Items":[1],"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","Assign":{"x":2},"End":true}}},"End":true}}}`, `variable "x" is assigned in an outer scope`},
		{"positional binding # (jsonata-go lacks it; ADR 0024)", `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":{"a":"{% $states.input.items#$i[$i>0] %}"},"End":true}}}`, "P: Output/a: JSONata expression \"$states.input.items#$i[$i>0]\": the positional variable binding # (JSONata 1.6) is not supported by the local runtime's JSONata library"},
		{"parent operator % (jsonata-go lacks it; ADR 0024)", `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":"{% $states.input.a.%.b %}","End":true}}}`, "the parent operator % (JSONata 1.7) is not supported"},
		{"bad QueryLanguage", `{"QueryLanguage":"XPath","StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`, "QueryLanguage must be JSONPath or JSONata"},
		{"distributed Map", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}},"End":true}}}`, "M: distributed Map"},
		{"ItemReader", `{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map","ItemReader":{"Resource":"arn:aws:states:::s3:getObject"},"ItemProcessor":{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}},"End":true}}}`, "M: ItemReader is not supported locally (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html)"},
		{"ResultWriter", `{"StartAt":"M","States":{"M":{"Type":"Map","ResultWriter":{},"ItemProcessor":{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}},"End":true}}}`, "M: ResultWriter is not supported locally (https://"},
		{"ItemBatcher", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemBatcher":{},"ItemProcessor":{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}},"End":true}}}`, "M: ItemBatcher is not supported locally (https://"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := states.Parse([]byte(tt.def))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse = %v; want an error containing %q", err, tt.want)
			}
		})
	}
}

// lambdaInvoke answers arn:aws:states:::lambda:invoke as infra/engine/stack's tasks do: the
// Arguments' FunctionName and Payload in, the integration's envelope out.
type lambdaInvoke struct{ calls []any }

func (l *lambdaInvoke) Run(_ context.Context, resource string, input any) (any, error) {
	m, _ := input.(map[string]any)
	if resource != "arn:aws:states:::lambda:invoke" || m["FunctionName"] == nil {
		return nil, &states.Failure{Name: "States.Runtime", Cause: "unexpected task " + resource}
	}
	l.calls = append(l.calls, m["Payload"])
	order, _ := m["Payload"].(map[string]any)["order"].(string)
	if order == "bad" {
		return nil, &states.Failure{Name: "Payment.Declined", Cause: "card"}
	}
	return map[string]any{"ExecutedVersion": "$LATEST", "StatusCode": 200.0,
		"Payload": map[string]any{"amount": 150.0, "lines": []any{"a", "b"}}}, nil
}

// The sample a user would write from the AWS console (testdata/jsonata-order.asl.json, also accepted
// by make lint's asl-validator 4.0.0): Lambda through lambda:invoke with Arguments, Assign from
// $states.result, a Choice on a variable, Wait, Map with Items and ItemSelector, Catch with Output and
// Assign, Fail with an Error expression.
func TestJSONataLambdaMachine(t *testing.T) {
	def, err := os.ReadFile("testdata/jsonata-order.asl.json")
	if err != nil {
		t.Fatal(err)
	}
	m, err := states.Parse(def)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ input, want, wantErr string }{
		{`{"orderId":"o-1"}`, `{"paid":150}`, ""},
		{`{"orderId":"bad"}`, "", "Payment.Declined"},
	} {
		in, _ := states.Decode([]byte(tt.input))
		l := &lambdaInvoke{}
		e := &states.Execution{Resources: l, Sleep: func(context.Context, time.Duration) error { return nil }}
		out, err := e.Run(context.Background(), m, in)
		if tt.wantErr != "" {
			var f *states.Failure
			if !errors.As(err, &f) || f.Name != tt.wantErr {
				t.Fatalf("%s: err = %v; want %s", tt.input, err, tt.wantErr)
			}
			continue
		}
		if err != nil || js(out) != tt.want {
			t.Fatalf("%s: output %s, err %v; want %s", tt.input, js(out), err, tt.want)
		}
		if js(l.calls) != `[{"order":"o-1"}]` {
			t.Fatalf("payloads %s", js(l.calls))
		}
	}
}

// BenchmarkJSONataExecution is BenchmarkExecution's machine written in JSONata (Output for
// Parameters/ResultPath, a Condition for the rule), for the cost of JSONata over JSONPath.
func BenchmarkJSONataExecution(b *testing.B) {
	m, err := states.Parse([]byte(`{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Output":"{% $merge([$states.input, {'r': {'x': $states.input.x}}]) %}","Next":"B"},"B":{"Type":"Choice","Choices":[{"Condition":"{% $states.input.x > 0 %}","Next":"C"}],"Default":"C"},"C":{"Type":"Succeed"}}}`))
	if err != nil {
		b.Fatal(err)
	}
	e := &states.Execution{Resources: &resources{}}
	in := map[string]any{"x": 1.0}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Run(context.Background(), m, in); err != nil {
			b.Fatal(err)
		}
	}
}

// A JSONata machine registered with the local Step Functions API runs, and $states.context carries the
// execution the service started (input-output-contextobject.html): DescribeExecution over HTTP, as the
// SDK calls it.
func TestServiceRunsJSONataMachines(t *testing.T) {
	svc := states.NewService(&resources{})
	svc.Sleep = func(context.Context, time.Duration) error { return nil }
	defer svc.Close()
	arn := "arn:aws:states:us-east-1:123456789012:stateMachine:j"
	if err := svc.Register(arn, "j", `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Assign":{"x":"{% $states.input.x %}"},"Next":"Q"},"Q":{"Type":"Pass","Output":{"name":"{% $states.context.Execution.Name %}","x":"{% $x %}","orig":"{% $states.context.Execution.Input.x %}"},"End":true}}}`); err != nil {
		t.Fatal(err)
	}
	ex, err := svc.Start(arn, "run-1", `{"x":3}`)
	if err != nil {
		t.Fatal(err)
	}
	if status, err := svc.Wait(context.Background(), ex); err != nil || status != "SUCCEEDED" {
		t.Fatalf("status %s %v", status, err)
	}
	req := httptest.NewRequest("POST", "/", strings.NewReader(`{"executionArn":"`+ex+`"}`))
	req.Header.Set("X-Amz-Target", "AWSStepFunctions.DescribeExecution")
	rec := httptest.NewRecorder()
	svc.ServeHTTP(rec, req)
	var d struct{ Output string }
	if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	if d.Output != `{"name":"run-1","orig":3,"x":3}` {
		t.Fatalf("output %s", d.Output)
	}
}

// Variables belong to one execution: running the same Execution again starts with none.
func TestVariablesDoNotOutliveTheirExecution(t *testing.T) {
	m, err := states.Parse([]byte(`{"QueryLanguage":"JSONata","StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Condition":"{% $exists($seen) %}","Next":"Again"}],"Default":"First","Assign":{"seen":true}},"First":{"Type":"Pass","Output":"first","End":true},"Again":{"Type":"Pass","Output":"again","End":true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	e := &states.Execution{Resources: &resources{}}
	for i := range 2 {
		out, err := e.Run(context.Background(), m, map[string]any{})
		if err != nil || out != "first" {
			t.Fatalf("run %d: %v %v; want first", i, out, err)
		}
	}
}
