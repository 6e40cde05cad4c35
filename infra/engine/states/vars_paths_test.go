package states_test

import (
	"strings"
	"testing"

	"github.com/orion-oss/orion/infra/engine/states"
)

// withVars is a machine whose first state assigns vars (a JSON object) and whose second state is
// the one under test (named "S", ending the machine unless it says otherwise).
func withVars(vars, s string) string {
	return `{"StartAt":"A","States":{"A":{"Type":"Pass","Assign":` + vars + `,"Next":"S"},"S":` + s + `,"Done":{"Type":"Pass","Result":"done","End":true},"Other":{"Type":"Pass","Result":"other","End":true}}}`
}

// TestVariablesWhereverAPathIs: in a JSONPath state, "you can reference a variable in any field that
// accepts a JSONPath expression ... with the exception of ResultPath"
// (https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html, "Using variables in
// JSONPath states"): Choice Variable and ...Path comparisons, InputPath, OutputPath, ItemsPath, the
// .$ values of Parameters, ResultSelector and ItemSelector, intrinsic arguments, Wait SecondsPath /
// TimestampPath, Fail ErrorPath / CausePath, MaxConcurrencyPath, TimeoutSecondsPath and
// HeartbeatSecondsPath.
func TestVariablesWhereverAPathIs(t *testing.T) {
	mapOf := func(field string) string {
		return `{"Type":"Map",` + field + `,"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}`
	}
	runFidelity(t, []fidelityCase{
		{name: "Choice Variable $n",
			def:   withVars(`{"n":5}`, `{"Type":"Choice","Choices":[{"Variable":"$n","NumericGreaterThan":3,"Next":"Done"}],"Default":"Other"}`),
			input: `{}`, want: `"done"`},
		{name: "Choice Variable $cfg.limit",
			def:   withVars(`{"cfg":{"limit":2}}`, `{"Type":"Choice","Choices":[{"Variable":"$cfg.limit","NumericEquals":2,"Next":"Done"}],"Default":"Other"}`),
			input: `{}`, want: `"done"`},
		{name: "Choice NumericGreaterThanPath $limit compares with a variable",
			def:   withVars(`{"limit":10}`, `{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThanPath":"$limit","Next":"Done"}],"Default":"Other"}`),
			input: `{"n":11}`, want: `"done"`},
		{name: "Choice IsPresent on a missing field of a variable is false",
			def:   withVars(`{"cfg":{}}`, `{"Type":"Choice","Choices":[{"Variable":"$cfg.nope","IsPresent":true,"Next":"Done"}],"Default":"Other"}`),
			input: `{}`, want: `"other"`},
		{name: "Choice And/Not over variables",
			def:   withVars(`{"a":"x","b":true}`, `{"Type":"Choice","Choices":[{"And":[{"Variable":"$a","StringEquals":"x"},{"Not":{"Variable":"$b","BooleanEquals":false}}],"Next":"Done"}],"Default":"Other"}`),
			input: `{}`, want: `"done"`},
		{name: "ItemsPath $items",
			def:   withVars(`{"items":[1,2]}`, mapOf(`"ItemsPath":"$items"`)),
			input: `{}`, want: `[1,2]`},
		{name: "ItemSelector .$ reads a variable beside $$.Map.Item",
			def:   withVars(`{"k":"K"}`, `{"Type":"Map","ItemsPath":"$.xs","ItemSelector":{"k.$":"$k","v.$":"$$.Map.Item.Value"},"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}`),
			input: `{"xs":[1]}`, want: `[{"k":"K","v":1}]`},
		{name: "ResultSelector .$ reads a variable",
			def:   withVars(`{"k":"K"}`, `{"Type":"Task","Resource":"echo","ResultSelector":{"k.$":"$k","id.$":"$.id"},"End":true}`),
			input: `{"id":1}`, want: `{"id":1,"k":"K"}`},
		{name: "intrinsic argument $name",
			def:   withVars(`{"name":"Ana"}`, `{"Type":"Pass","Parameters":{"g.$":"States.Format('Hello {}', $name)"},"End":true}`),
			input: `{}`, want: `{"g":"Hello Ana"}`},
		{name: "intrinsic argument $cfg.list, nested in another call",
			def:   withVars(`{"cfg":{"list":[1,2,3]}}`, `{"Type":"Pass","Parameters":{"n.$":"States.MathAdd(States.ArrayLength($cfg.list), 1)"},"End":true}`),
			input: `{}`, want: `{"n":4}`},
		{name: "Wait SecondsPath $secs",
			def:   withVars(`{"secs":1}`, `{"Type":"Wait","SecondsPath":"$secs","End":true}`),
			input: `{"x":1}`, want: `{"x":1}`},
		{name: "Wait SecondsPath $secs keeps AWS's cause for a bad value",
			def:   withVars(`{"secs":1.5}`, `{"Type":"Wait","SecondsPath":"$secs","End":true}`),
			input: `{}`, wantErr: "States.Runtime", wantCause: `^.*The SecondsPath parameter cannot be parsed as a long value: \$secs == 1\.5$`},
		{name: "Wait TimestampPath $ts",
			def:   withVars(`{"ts":"2016-12-05T21:29:29Z"}`, `{"Type":"Wait","TimestampPath":"$ts","End":true}`),
			input: `{}`, want: `{}`},
		{name: "Fail ErrorPath $err and CausePath with an intrinsic over $why",
			def:   withVars(`{"err":"Order.Rejected","why":"no stock"}`, `{"Type":"Fail","ErrorPath":"$err","CausePath":"States.Format('rejected: {}', $why)"}`),
			input: `{}`, wantErr: "Order.Rejected", wantCause: "rejected: no stock"},
		{name: "MaxConcurrencyPath $mc",
			def:   withVars(`{"mc":1}`, mapOf(`"ItemsPath":"$.xs","MaxConcurrencyPath":"$mc"`)),
			input: `{"xs":["a"]}`, want: `["a"]`},
		{name: "MaxConcurrencyPath $mc keeps AWS's cause for a bad value",
			def:   withVars(`{"mc":"NoNumber"}`, mapOf(`"ItemsPath":"$.xs","MaxConcurrencyPath":"$mc"`)),
			input: `{"xs":["a"]}`, wantErr: "States.Runtime", wantCause: `^.*The MaxConcurrencyPath field refers to value "NoNumber" which is not a valid integer: \$mc$`},
		{name: "TimeoutSecondsPath and HeartbeatSecondsPath $t",
			def:   withVars(`{"t":30,"hb":10}`, `{"Type":"Task","Resource":"echo","TimeoutSecondsPath":"$t","HeartbeatSecondsPath":"$hb","End":true}`),
			input: `{"x":1}`, want: `{"x":1}`},
		{name: "OutputPath $cfg.name",
			def:   withVars(`{"cfg":{"name":"x"}}`, `{"Type":"Pass","OutputPath":"$cfg.name","End":true}`),
			input: `{}`, want: `"x"`},
		// The variable is the state's: an undefined one fails as a missing path does (States.Runtime,
		// located), in every kind of field.
		{name: "Choice Variable naming an undefined variable fails",
			def:   withVars(`{"n":1}`, `{"Type":"Choice","Choices":[{"Variable":"$ghost","NumericEquals":1,"Next":"Done"}],"Default":"Other"}`),
			input: `{}`, wantErr: "States.Runtime", wantCause: `^An error occurred while executing the state 'S' \(entered at the event id #4\)\. .*'\$ghost'`},
		{name: "ItemsPath naming an undefined variable fails",
			def:   withVars(`{"n":1}`, mapOf(`"ItemsPath":"$ghost"`)),
			input: `{}`, wantErr: "States.Runtime", wantCause: `^An error occurred while executing the state 'S' .*'\$ghost'`},
		{name: "an intrinsic argument naming an undefined variable fails",
			def:   withVars(`{"n":1}`, `{"Type":"Pass","Parameters":{"g.$":"States.Format('{}', $ghost)"},"End":true}`),
			input: `{}`, wantErr: "States.Runtime", wantCause: `^An error occurred while executing the state 'S' .*'\$ghost'`},
		{name: "a malformed path into a variable fails in AWS's words, not Go's",
			def:   withVars(`{"v":{"a":1}}`, `{"Type":"Pass","Parameters":{"x.$":"$v.a["},"End":true}`),
			input: `{}`, wantErr: "States.Runtime", wantCause: `^An error occurred while executing the state 'S' \(entered at the event id #4\)\. Invalid path '\$v\.a\[' : [^:]*$`},
		{name: "a path into a variable that does not hold it fails",
			def:   withVars(`{"v":{"a":1}}`, `{"Type":"Pass","Parameters":{"x.$":"$v.b"},"End":true}`),
			input: `{}`, wantErr: "States.Runtime", wantCause: `^An error occurred while executing the state 'S' .*'\$v\.b'`},
	})
}

func TestVariablePathsAcceptedAtLoad(t *testing.T) {
	// Fail's ErrorPath and CausePath are checked at load (state-fail.html); a variable is a path there.
	for _, def := range []string{
		withVars(`{"e":"E"}`, `{"Type":"Fail","ErrorPath":"$e","CausePath":"$e"}`),
		withVars(`{"e":{"x":"E"}}`, `{"Type":"Fail","ErrorPath":"$e.x","Cause":"c"}`),
	} {
		if _, err := states.Parse([]byte(def)); err != nil {
			t.Errorf("Parse(%s) = %v", def, err)
		}
	}
	// ResultPath is the one field that takes no variable (workflow-variables.html).
	def := withVars(`{"e":"E"}`, `{"Type":"Pass","ResultPath":"$e","End":true}`)
	if _, err := states.Parse([]byte(def)); err == nil || !strings.Contains(err.Error(), "ResultPath") {
		t.Errorf("Parse(%s) = %v; want a refusal naming ResultPath", def, err)
	}
}

// TestTaskTimeoutPaths: TimeoutSecondsPath and HeartbeatSecondsPath "must select fields whose values
// are positive integers" (https://docs.aws.amazon.com/step-functions/latest/dg/state-task.html). AWS
// records no cause for a value that is not one; the failure is States.Runtime, located, in the words
// AWS uses for MaxConcurrencyPath (observed, test_base_scenarios.snapshot.json; ADR 0023).
func TestTaskTimeoutPaths(t *testing.T) {
	task := func(fields string) string {
		return `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"echo",` + fields + `,"End":true}}}`
	}
	const at = `^An error occurred while executing the state 'T' \(entered at the event id #2\)\. `
	runFidelity(t, []fidelityCase{
		{name: "TimeoutSecondsPath 2 runs", def: task(`"TimeoutSecondsPath":"$.t"`), input: `{"t":2}`, want: `{"t":2}`},
		{name: "TimeoutSecondsPath 0 is not positive", def: task(`"TimeoutSecondsPath":"$.t"`), input: `{"t":0}`,
			wantErr: "States.Runtime", wantCause: at + `The TimeoutSecondsPath field refers to value "0" which is not a positive integer: \$\.t$`},
		{name: "TimeoutSecondsPath -1 is not positive", def: task(`"TimeoutSecondsPath":"$.t"`), input: `{"t":-1}`,
			wantErr: "States.Runtime", wantCause: at + `The TimeoutSecondsPath field refers to value "-1" which is not a positive integer: \$\.t$`},
		{name: "TimeoutSecondsPath 1.5 is not an integer", def: task(`"TimeoutSecondsPath":"$.t"`), input: `{"t":1.5}`,
			wantErr: "States.Runtime", wantCause: at + `The TimeoutSecondsPath field refers to value "1.5" which is not a valid integer: \$\.t$`},
		{name: "TimeoutSecondsPath a string holding an integer runs (as MaxConcurrencyPath's \"1\", observed)", def: task(`"TimeoutSecondsPath":"$.t"`), input: `{"t":"10"}`, want: `{"t":"10"}`},
		{name: "TimeoutSecondsPath another string is not an integer", def: task(`"TimeoutSecondsPath":"$.t"`), input: `{"t":"ten"}`,
			wantErr: "States.Runtime", wantCause: at + `The TimeoutSecondsPath field refers to value "ten" which is not a valid integer: \$\.t$`},
		{name: "TimeoutSecondsPath an object is not an integer", def: task(`"TimeoutSecondsPath":"$.t"`), input: `{"t":{}}`,
			wantErr: "States.Runtime", wantCause: at + `The TimeoutSecondsPath field refers to value "\{\}" which is not a valid integer: \$\.t$`},
		{name: "TimeoutSecondsPath missing fails as a missing path does (observed form)", def: task(`"TimeoutSecondsPath":"$.t"`), input: `{}`,
			wantErr: "States.Runtime", wantCause: at + `Invalid path '\$\.t' : No results for path: \$\['t'\]$`},
		{name: "HeartbeatSecondsPath 0 fails before the resource runs, token or not", def: task(`"HeartbeatSecondsPath":"$.h"`), input: `{"h":0}`,
			wantErr: "States.Runtime", wantCause: at + `The HeartbeatSecondsPath field refers to value "0" which is not a positive integer: \$\.h$`},
		{name: "a bad TimeoutSecondsPath is not caught by States.ALL (States.Runtime)",
			def:   `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"echo","TimeoutSecondsPath":"$.t","Catch":[{"ErrorEquals":["States.ALL"],"Next":"C"}],"End":true},"C":{"Type":"Pass","End":true}}}`,
			input: `{"t":0}`, wantErr: "States.Runtime"},
		{name: "TimeoutSecondsPath bounds the attempt (States.Timeout)",
			def:   `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"slow","TimeoutSecondsPath":"$.t","End":true}}}`,
			input: `{"t":1}`, wantErr: "States.Timeout"},
	})
	for _, fields := range []string{`"TimeoutSeconds":1,"TimeoutSecondsPath":"$.t"`, `"HeartbeatSeconds":1,"HeartbeatSecondsPath":"$.h"`} {
		if _, err := states.Parse([]byte(task(fields))); err == nil || !strings.Contains(err.Error(), "state-task.html") {
			t.Errorf("Parse(%s) = %v; want a refusal citing state-task.html", fields, err)
		}
	}
}

// TestVariableReferencesObservedOnAWS: executions recorded on AWS that read variables in JSONPath
// fields, and the causes of JSONata expressions that give nothing (LocalStack's AWS-validated
// assign/test_assign_reference_variables.snapshot.json; the machines here are shaped like the ones
// recorded, the outputs and causes are AWS's).
func TestVariableReferencesObservedOnAWS(t *testing.T) {
	runFidelity(t, []fidelityCase{
		{name: "Choice Variable $guess against StringEqualsPath $answer, reassigned in a loop (observed)",
			def:   `{"StartAt":"Setup","States":{"Setup":{"Type":"Pass","Assign":{"guess":"the_guess","answer":"the_answer"},"Next":"Check"},"Check":{"Type":"Choice","Choices":[{"Variable":"$guess","StringEqualsPath":"$answer","Next":"Correct"}],"Default":"Wrong"},"Correct":{"Type":"Pass","Result":{"state":"CORRECT"},"End":true},"Wrong":{"Type":"Pass","Assign":{"guess.$":"$answer"},"Result":{"state":"WRONG"},"Next":"Check"}}}`,
			input: `{}`, want: `{"state":"CORRECT"}`},
		{name: "Fail ErrorPath $errorVar, CausePath $causeVar (observed)",
			def:   `{"StartAt":"Pass","States":{"Pass":{"Type":"Pass","Assign":{"errorVar":"Exception","causeVar":"An Exception was encountered"},"Next":"Fail"},"Fail":{"Type":"Fail","CausePath":"$causeVar","ErrorPath":"$errorVar"}}}`,
			input: `{}`, wantErr: "Exception", wantCause: "An Exception was encountered"},
		{name: "Wait SecondsPath $waitTime 0, TimestampPath $startAt in the past (observed)",
			def:   `{"StartAt":"Start","States":{"Start":{"Type":"Pass","Assign":{"waitTime":0,"startAt":"2024-11-06T09:42:03Z"},"Next":"W1"},"W1":{"Type":"Wait","SecondsPath":"$waitTime","Next":"W2"},"W2":{"Type":"Wait","TimestampPath":"$startAt","End":true}}}`,
			input: `{}`, want: `{}`},
		{name: "ItemsPath $PokemonList, an outer variable in the iteration's Parameters (observed)",
			def:   `{"StartAt":"Start","States":{"Start":{"Type":"Pass","Assign":{"Question":"Who's that Pokemon?","PokemonList":["Charizard","Pikachu","Squirtle"]},"Result":{"AnswerTemplate":"It's {}!"},"Next":"M"},"M":{"Type":"Map","MaxConcurrency":1,"ItemsPath":"$PokemonList","ItemSelector":{"AnnouncePokemon.$":"States.Format($.AnswerTemplate, $$.Map.Item.Value)"},"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"Question.$":"$Question","Answer.$":"$.AnnouncePokemon"},"End":true}}},"End":true}}}`,
			input: `{}`, want: `[{"Answer":"It's Charizard!","Question":"Who's that Pokemon?"},{"Answer":"It's Pikachu!","Question":"Who's that Pokemon?"},{"Answer":"It's Squirtle!","Question":"Who's that Pokemon?"}]`},
		{name: "MaxConcurrencyPath $maxConcurrency holding the string \"1\" runs (observed)",
			def:   `{"StartAt":"Start","States":{"Start":{"Type":"Pass","Assign":{"maxConcurrency":"1"},"Result":{"Values":[1,2,3]},"Next":"M"},"M":{"Type":"Map","ItemsPath":"$.Values","MaxConcurrencyPath":"$maxConcurrency","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}}}`,
			input: `{}`, want: `[1,2,3]`},
		{name: "intrinsics over variables (observed)",
			def:   `{"StartAt":"S0","States":{"S0":{"Type":"Pass","Assign":{"rawString":"Hello World","encodedString":"SGVsbG8gV29ybGQ=","inputString":"Hash this string","json1":{"a":1,"b":2},"json2":{"c":3,"d":4},"jsonString":"{\"key\":\"value\"}","jsonObject":{"test":"object"},"value1":5,"value2":3},"Next":"S1"},"S1":{"Type":"Pass","Parameters":{"encoded.$":"States.Base64Encode($rawString)","decoded.$":"States.Base64Decode($encodedString)","hashValue.$":"States.Hash($inputString, 'SHA-256')","mergedJson.$":"States.JsonMerge($json1, $json2, false)","parsedJson.$":"States.StringToJson($jsonString)","stringifiedJson.$":"States.JsonToString($jsonObject)","sum.$":"States.MathAdd($value1, $value2)"},"End":true}}}`,
			input: `{}`, want: `{"decoded":"Hello World","encoded":"SGVsbG8gV29ybGQ=","hashValue":"1cac63f39fd68d8c531f27b807610fb3d50f0fc3f186995767fb6316e7200a3e","mergedJson":{"a":1,"b":2,"c":3,"d":4},"parsedJson":{"key":"value"},"stringifiedJson":"{\"test\":\"object\"}","sum":8}`},
		{name: "a JSONata Output that gives nothing: located cause (observed)",
			def:   `{"QueryLanguage":"JSONata","StartAt":"State0","States":{"State0":{"Type":"Pass","Output":"{% $doesNotExist %}","End":true}}}`,
			input: `{}`, wantErr: "States.QueryEvaluationError",
			wantCause: "An error occurred while executing the state 'State0' (entered at the event id #2). The JSONata expression '$doesNotExist' specified for the field 'Output' returned nothing (undefined)."},
		{name: "a JSONata Assign field that gives nothing, in a later state (observed form)",
			def:   `{"QueryLanguage":"JSONata","StartAt":"State0","States":{"State0":{"Type":"Pass","Next":"State1"},"State1":{"Type":"Pass","Next":"State2"},"State2":{"Type":"Pass","Assign":{"result":"{% $doesNotExist %}"},"End":true}}}`,
			input: `{}`, wantErr: "States.QueryEvaluationError",
			wantCause: "An error occurred while executing the state 'State2' (entered at the event id #6). The JSONata expression '$doesNotExist' specified for the field 'Assign/result' returned nothing (undefined)."},
		{name: "a JSONata Arguments field that gives nothing (observed)",
			def:   `{"QueryLanguage":"JSONata","StartAt":"State0","States":{"State0":{"Type":"Task","Resource":"echo","Arguments":{"FunctionName":"{% $doesNotExist %}"},"End":true}}}`,
			input: `{}`, wantErr: "States.QueryEvaluationError",
			wantCause: "An error occurred while executing the state 'State0' (entered at the event id #2). The JSONata expression '$doesNotExist' specified for the field 'Arguments/FunctionName' returned nothing (undefined)."},
	})
}

// TestContextObjectHidesVariables: the variables ride in a JSONPath state's context for its paths,
// but $$ shows only the context object's fields
// (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html), in every
// kind of field that reads it.
func TestContextObjectHidesVariables(t *testing.T) {
	for _, s := range []string{
		`{"Type":"Pass","InputPath":"$$","End":true}`,
		`{"Type":"Pass","Parameters":{"c.$":"$$"},"End":true}`,
		`{"Type":"Pass","Parameters":{"c.$":"States.JsonToString($$)"},"End":true}`,
		`{"Type":"Pass","Parameters":{"c.$":"$"},"OutputPath":"$$","End":true}`,
	} {
		out, err := run(t, withVars(`{"secret":"s3cr3t"}`, s), `{}`)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if got := js(out); strings.Contains(got, "s3cr3t") || !strings.Contains(got, "StateMachine") {
			t.Errorf("%s: $$ gave %s; want the context object without the variables", s, got)
		}
	}
}
