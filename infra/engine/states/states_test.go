package states_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orion-oss/orion/infra/engine/states"
)

// resources is a fake of our own Resources port: Task resources named in the cases.
type resources struct {
	calls  atomic.Int32
	tokens chan string
}

func (r *resources) Run(ctx context.Context, resource string, input any) (any, error) {
	n := r.calls.Add(1)
	if m, ok := input.(map[string]any); ok && r.tokens != nil {
		if tok, ok := m["token"].(string); ok {
			r.tokens <- tok
		}
	}
	switch resource {
	case "echo":
		return input, nil
	case "double":
		return input.(map[string]any)["n"].(float64) * 2, nil
	case "flaky": // fails twice, then succeeds
		if n <= 2 {
			return nil, &states.Failure{Name: "Payment.Unavailable", Cause: "try again"}
		}
		return map[string]any{"ok": true}, nil
	case "third-attempt": // succeeds only when told it is the third attempt
		if a, _ := input.(map[string]any)["attempt"].(float64); a < 2 {
			return nil, &states.Failure{Name: "Not.Yet", Cause: fmt.Sprint("attempt ", a)}
		}
		return map[string]any{"ok": true}, nil
	case "boom":
		return nil, &states.Failure{Name: "Custom.Error", Cause: "it broke"}
	case "plain-error":
		return nil, errors.New("connection reset")
	case "slow":
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return nil, fmt.Errorf("unknown resource %s", resource)
}

func run(t *testing.T, def, input string) (any, error) {
	t.Helper()
	m, err := states.Parse([]byte(def))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	in, err := states.Decode([]byte(input))
	if err != nil {
		t.Fatal(err)
	}
	e := &states.Execution{Resources: &resources{}, Sleep: func(context.Context, time.Duration) error { return nil },
		Context: map[string]any{"Execution": map[string]any{"Name": "exec-1"},
			"StateMachine": map[string]any{"Id": "arn:aws:states:us-east-1:123456789012:stateMachine:m", "Name": "m"}}}
	return e.Run(context.Background(), m, in)
}

func js(v any) string { b, _ := json.Marshal(v); return string(b) }

// Each case is a definition, an input and the output or error AWS documents (section of the Step
// Functions developer guide or the States Language specification in the name).
func TestConformance(t *testing.T) {
	tests := []struct {
		name, def, input, want, wantErr string
	}{
		{"Pass Result with ResultPath (Pass state)",
			`{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"x":1},"ResultPath":"$.r","End":true}}}`,
			`{"a":1}`, `{"a":1,"r":{"x":1}}`, ""},
		{"InputPath, Parameters with .$ and $$, OutputPath (input and output processing)",
			`{"StartAt":"P","States":{"P":{"Type":"Pass","InputPath":"$.in","Parameters":{"v.$":"$.v","exec.$":"$$.Execution.Name","k":"lit"},"OutputPath":"$","End":true}}}`,
			`{"in":{"v":5}}`, `{"exec":"exec-1","k":"lit","v":5}`, ""},
		{"ResultPath null keeps the input (ResultPath)",
			`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"echo","Parameters":{"z":1},"ResultPath":null,"End":true}}}`,
			`{"a":1}`, `{"a":1}`, ""},
		{"ResultSelector before ResultPath (ResultSelector)",
			`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"echo","ResultSelector":{"got.$":"$.a"},"ResultPath":"$.res","End":true}}}`,
			`{"a":7}`, `{"a":7,"res":{"got":7}}`, ""},
		{"Choice with And/Not and numeric and string rules (Choice)",
			`{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"And":[{"Variable":"$.n","NumericGreaterThan":1},{"Not":{"Variable":"$.s","StringEquals":"x"}}],"Next":"Yes"}],"Default":"No"},"Yes":{"Type":"Pass","Result":"yes","End":true},"No":{"Type":"Pass","Result":"no","End":true}}}`,
			`{"n":2,"s":"y"}`, `"yes"`, ""},
		{"Choice IsPresent, StringMatches, NumericEqualsPath (Choice rules)",
			`{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.missing","IsPresent":true,"Next":"A"},{"Variable":"$.s","StringMatches":"log-*.txt","Next":"B"}],"Default":"A"},"A":{"Type":"Succeed"},"B":{"Type":"Pass","Result":"matched","End":true}}}`,
			`{"s":"log-2026.txt"}`, `"matched"`, ""},
		{"Choice without match or Default fails (States.NoChoiceMatched)",
			`{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericEquals":1,"Next":"A"}]},"A":{"Type":"Succeed"}}}`,
			`{"n":2}`, "", "States.NoChoiceMatched"},
		{"Retry absorbs transient failures (Retry)",
			`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"flaky","Retry":[{"ErrorEquals":["Payment.Unavailable"],"MaxAttempts":2}],"End":true}}}`,
			`{}`, `{"ok":true}`, ""},
		{"Parameters see $$.State.RetryCount on each attempt (context object)",
			`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"third-attempt","Parameters":{"attempt.$":"$$.State.RetryCount"},"Retry":[{"ErrorEquals":["States.ALL"],"MaxAttempts":3}],"ResultSelector":{"ok.$":"$.ok"},"End":true}}}`,
			`{}`, `{"ok":true}`, ""},
		{"Retry exhausted then Catch with ResultPath (Catch)",
			`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"boom","Retry":[{"ErrorEquals":["States.ALL"],"MaxAttempts":1}],"Catch":[{"ErrorEquals":["Custom.Error"],"ResultPath":"$.err","Next":"F"}],"End":true},"F":{"Type":"Pass","End":true}}}`,
			`{"a":1}`, `{"a":1,"err":{"Cause":"it broke","Error":"Custom.Error"}}`, ""},
		{"States.TaskFailed catches a plain task error (error names)",
			`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"plain-error","Catch":[{"ErrorEquals":["States.TaskFailed"],"Next":"F"}],"End":true},"F":{"Type":"Pass","Result":"caught","End":true}}}`,
			`{}`, `"caught"`, ""},
		{"Task timeout is States.Timeout (TimeoutSeconds)",
			`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"slow","TimeoutSeconds":1,"End":true}}}`,
			`{}`, "", "States.Timeout"},
		{"Fail with ErrorPath/CausePath (Fail state)",
			`{"StartAt":"F","States":{"F":{"Type":"Fail","ErrorPath":"$.e","CausePath":"$.c"}}}`,
			`{"e":"Order.Rejected","c":"out of stock"}`, "", "Order.Rejected"},
		{"Parallel returns an array in branch order (Parallel)",
			`{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"A","States":{"A":{"Type":"Pass","Result":1,"End":true}}},{"StartAt":"B","States":{"B":{"Type":"Pass","Result":2,"End":true}}}],"End":true}}}`,
			`{}`, `[1,2]`, ""},
		{"Parallel fails when a branch fails (Parallel errors)",
			`{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"boom","End":true}}},{"StartAt":"B","States":{"B":{"Type":"Pass","End":true}}}],"End":true}}}`,
			`{}`, "", "Custom.Error"},
		{"Map with ItemsPath, ItemSelector and $$.Map.Item (Map)",
			`{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.xs","MaxConcurrency":2,"ItemSelector":{"n.$":"$$.Map.Item.Value","i.$":"$$.Map.Item.Index"},"ItemProcessor":{"StartAt":"D","States":{"D":{"Type":"Task","Resource":"double","End":true}}},"End":true}}}`,
			`{"xs":[1,2,3]}`, `[2,4,6]`, ""},
		{"Map tolerated failures (ToleratedFailureCount)",
			`{"StartAt":"M","States":{"M":{"Type":"Map","ToleratedFailureCount":0,"ItemProcessor":{"StartAt":"D","States":{"D":{"Type":"Task","Resource":"boom","End":true}}},"End":true}}}`,
			`[1]`, "", "States.ExceedToleratedFailureThreshold"},
		{"Wait until a past Timestamp goes on at once (Wait)",
			`{"StartAt":"W","States":{"W":{"Type":"Wait","TimestampPath":"$.at","Next":"S"},"S":{"Type":"Succeed"}}}`,
			`{"at":"2020-01-01T00:00:00Z"}`, `{"at":"2020-01-01T00:00:00Z"}`, ""},
		{"Wait with a malformed Timestamp is States.Runtime (Wait)",
			`{"StartAt":"W","States":{"W":{"Type":"Wait","TimestampPath":"$.at","Next":"S"},"S":{"Type":"Succeed"}}}`,
			`{"at":"tomorrow"}`, "", "States.Runtime"},
		{"Wait then Succeed (Wait)",
			`{"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.s","Next":"S"},"S":{"Type":"Succeed"}}}`,
			`{"s":3}`, `{"s":3}`, ""},
		{"Intrinsics (intrinsic functions)",
			`{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"f.$":"States.Format('order {} is {}', $.id, $.status)","len.$":"States.ArrayLength($.xs)","sum.$":"States.MathAdd($.n, 3)","json.$":"States.JsonToString($.o)","obj.$":"States.StringToJson('{\"a\":1}')","has.$":"States.ArrayContains($.xs, 2)","hash.$":"States.Hash('abc', 'SHA-256')","range.$":"States.ArrayRange(1, 5, 2)","part.$":"States.ArrayPartition($.xs, 2)","b64.$":"States.Base64Encode('hi')","split.$":"States.StringSplit('a,b', ',')","uniq.$":"States.ArrayUnique(States.Array(1, 1, 2))"},"End":true}}}`,
			`{"id":"o1","status":"PENDING","xs":[1,2,3],"n":4,"o":{"k":"v"}}`,
			`{"b64":"aGk=","f":"order o1 is PENDING","has":true,"hash":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad","json":"{\"k\":\"v\"}","len":3,"obj":{"a":1},"part":[[1,2],[3]],"range":[1,3,5],"split":["a","b"],"sum":7,"uniq":[1,2]}`, ""},
		{"JSONPath wildcards, slices, index lists and filters in Parameters (paths)",
			`{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"skus.$":"$.lines[*].sku","first2.$":"$.lines[0:2].sku","pick.$":"$.lines[0,2].qty","big.$":"$.lines[?(@.qty > 1)].sku","named.$":"$.lines[?(@.sku == 'B')].qty","has.$":"$.lines[?(@.gift)].sku","last.$":"$.lines[-1].sku"},"End":true}}}`,
			`{"lines":[{"sku":"A","qty":1},{"sku":"B","qty":3,"gift":true},{"sku":"C","qty":2}]}`,
			`{"big":["B","C"],"first2":["A","B"],"has":["B"],"last":"C","named":[3],"pick":[1,2],"skus":["A","B","C"]}`, ""},
		{"Reference paths refuse filters (InputPath)",
			`{"StartAt":"P","States":{"P":{"Type":"Pass","InputPath":"$.a[?(@.x)]","End":true}}}`,
			`{"a":[]}`, "", "States.Runtime"},
		{"Choice on timestamps, booleans and null (Choice rules)",
			`{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"And":[{"Variable":"$.t","TimestampLessThan":"2026-12-01T00:00:00Z"},{"Variable":"$.b","BooleanEquals":true},{"Variable":"$.n","IsNull":true},{"Variable":"$.s","IsString":true},{"Variable":"$.t","IsTimestamp":true}],"Next":"Y"}],"Default":"N"},"Y":{"Type":"Pass","Result":"y","End":true},"N":{"Type":"Pass","Result":"n","End":true}}}`,
			`{"t":"2026-11-24T10:00:00Z","b":true,"n":null,"s":"x"}`, `"y"`, ""},
		{"Map tolerates failures up to the percentage (ToleratedFailurePercentage)",
			`{"StartAt":"M","States":{"M":{"Type":"Map","ToleratedFailurePercentage":50,"ItemProcessor":{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$","NumericEquals":2,"Next":"Bad"}],"Default":"Ok"},"Bad":{"Type":"Fail","Error":"Item.Bad","Cause":"two"},"Ok":{"Type":"Succeed"}}},"End":true}}}`,
			`[1,2]`, `[1,{"Cause":"two","Error":"Item.Bad"}]`, ""},
		{"A failed Parallel branch is caught by the state's Catch (Parallel errors)",
			`{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"boom","End":true}}}],"Catch":[{"ErrorEquals":["States.ALL"],"Next":"R"}],"End":true},"R":{"Type":"Pass","Result":"recovered","End":true}}}`,
			`{}`, `"recovered"`, ""},
		{"More than 256 KB between states is States.DataLimitExceeded (quotas)",
			`{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"a.$":"States.ArrayRange(1, 1000, 1)","b.$":"States.ArrayRange(1, 1000, 1)"},"ResultPath":"$.r","Next":"Q"},"Q":{"Type":"Pass","Parameters":{"x.$":"States.JsonToString($)","y.$":"States.JsonToString($)","z.$":"States.JsonToString($)"},"ResultPath":"$.q","Next":"R"},"R":{"Type":"Pass","Parameters":{"x.$":"States.JsonToString($)","y.$":"States.JsonToString($)","z.$":"States.JsonToString($)","w.$":"States.JsonToString($)"},"ResultPath":"$.q2","Next":"S"},"S":{"Type":"Pass","Parameters":{"x.$":"States.JsonToString($)","y.$":"States.JsonToString($)","z.$":"States.JsonToString($)","w.$":"States.JsonToString($)"},"ResultPath":"$.q3","End":true}}}`,
			`{}`, "", "States.DataLimitExceeded"},
		{"An endless loop ends at the history limit (quotas)",
			`{"StartAt":"L","States":{"L":{"Type":"Pass","Next":"L"}}}`,
			`{}`, "", "States.Runtime"},
		{"More intrinsics (intrinsic functions)",
			`{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"item.$":"States.ArrayGetItem($.xs, 1)","dec.$":"States.Base64Decode('aGk=')","merged.$":"States.JsonMerge($.a, $.b, false)","rnd.$":"States.MathRandom(5, 6)","neg.$":"States.MathAdd(-2, 1)"},"End":true}}}`,
			`{"xs":["a","b"],"a":{"k":1,"x":1},"b":{"k":2}}`, `{"dec":"hi","item":"b","merged":{"k":2,"x":1},"neg":-1,"rnd":5}`, ""},
		{"An intrinsic misused is States.IntrinsicFailure (intrinsic functions)",
			`{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"x.$":"States.ArrayGetItem($.xs, 5)"},"End":true}}}`,
			`{"xs":[1]}`, "", "States.IntrinsicFailure"},
		{"The first matching retrier decides; Catch order matters (Retry and Catch precedence)",
			`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"boom","Retry":[{"ErrorEquals":["Custom.Error"],"MaxAttempts":0},{"ErrorEquals":["States.ALL"],"MaxAttempts":5}],"Catch":[{"ErrorEquals":["Other.Error"],"Next":"Wrong"},{"ErrorEquals":["Custom.Error"],"Next":"Right"},{"ErrorEquals":["States.ALL"],"Next":"Wrong"}],"End":true},"Wrong":{"Type":"Pass","Result":"wrong","End":true},"Right":{"Type":"Pass","Result":"right","End":true}}}`,
			`{}`, `"right"`, ""},
		{"A missing path is States.Runtime (paths)",
			`{"StartAt":"P","States":{"P":{"Type":"Pass","InputPath":"$.nope","End":true}}}`,
			`{}`, "", "States.Runtime"},
		{"States.ALL does not catch States.Runtime (error names)",
			`{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"x.$":"$.nope"},"End":true}}}`,
			`{}`, "", "States.Runtime"},
	}
	cases := make([]execCase, len(tests))
	for i, tt := range tests {
		cases[i] = execCase{name: tt.name, def: tt.def, input: tt.input, want: tt.want, wantErr: tt.wantErr}
	}
	runCases(t, cases)
}

func TestParseRefusesWhatItCannotRun(t *testing.T) {
	for _, def := range []string{
		`{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","InputPath":"$.a","End":true}}}`,
		`{"StartAt":"P","States":{"P":{"Type":"Pass","Output":"{% 1 %}","End":true}}}`,
		`{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}},"End":true}}}`,
		`{"StartAt":"X","States":{"P":{"Type":"Pass","End":true}}}`,
		`{"StartAt":"P","States":{"P":{"Type":"Pass","Next":"Nowhere"}}}`,
		`{"StartAt":"P","States":{"P":{"Type":"Teleport","End":true}}}`,
		`{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a","StringFuzzy":"x","Next":"C"}]}}}`,
		`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"echo","Retry":[{"ErrorEquals":["States.ALL"]},{"ErrorEquals":["X"]}],"End":true}}}`,
		`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"echo","Catch":[{"ErrorEquals":["States.ALL","X"],"Next":"T"}],"End":true}}}`,
	} {
		if _, err := states.Parse([]byte(def)); err == nil {
			t.Errorf("accepted %s", def)
		}
	}
}

// BenchmarkExecution is the interpreter's cost of a short execution (Pass, Choice, Succeed);
// BenchmarkTransition divides a 100-state chain to give the cost of one transition.
func BenchmarkTransition(b *testing.B) {
	states100 := ""
	for i := range 100 {
		next := fmt.Sprintf(`"Next":"S%d"`, i+1)
		if i == 99 {
			next = `"End":true`
		}
		states100 += fmt.Sprintf(`"S%d":{"Type":"Pass","Result":{"ok":true},"ResultPath":"$.r",%s},`, i, next)
	}
	m, err := states.Parse([]byte(`{"StartAt":"S0","States":{` + strings.TrimSuffix(states100, ",") + `}}`))
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
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100, "ns/transition")
}

func BenchmarkExecution(b *testing.B) {
	m, _ := states.Parse([]byte(`{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x.$":"$.x"},"ResultPath":"$.r","Next":"B"},"B":{"Type":"Choice","Choices":[{"Variable":"$.x","NumericGreaterThan":0,"Next":"C"}],"Default":"C"},"C":{"Type":"Succeed"}}}`))
	e := &states.Execution{Resources: &resources{}}
	in := map[string]any{"x": 1.0}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Run(context.Background(), m, in); err != nil {
			b.Fatal(err)
		}
	}
}

// Retry intervals grow by BackoffRate and are capped by MaxDelaySeconds (Retry).
func TestRetryBackoff(t *testing.T) {
	m, err := states.Parse([]byte(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"boom","Retry":[{"ErrorEquals":["Custom.Error"],"IntervalSeconds":1,"BackoffRate":2,"MaxDelaySeconds":3,"MaxAttempts":4}],"End":true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	var waits []time.Duration
	res := &resources{}
	e := &states.Execution{Resources: res, Sleep: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }}
	_, err = e.Run(context.Background(), m, map[string]any{})
	var f *states.Failure
	if !errors.As(err, &f) || f.Name != "Custom.Error" {
		t.Fatalf("err = %v", err)
	}
	if fmt.Sprint(waits) != "[1s 2s 3s 3s]" || res.calls.Load() != 5 {
		t.Fatalf("waits %v after %d calls; want [1s 2s 3s 3s] and 5 calls", waits, res.calls.Load())
	}
}

// Shutting down stops running executions cleanly.
func TestCloseAbortsRunningExecutions(t *testing.T) {
	svc := states.NewService(&resources{})
	arn := "arn:aws:states:us-east-1:123456789012:stateMachine:long"
	svc.Register(arn, "long", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`)
	ex, err := svc.Start(arn, "", "{}")
	if err != nil {
		t.Fatal(err)
	}
	svc.Close()
	if status, _ := svc.Wait(context.Background(), ex); status != "ABORTED" {
		t.Fatalf("status after Close = %s", status)
	}
}

func FuzzDefinitionAndInput(f *testing.F) {
	f.Add(`{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"a.$":"$.x[?(@.y > 1)]","f.$":"States.Format('{}', $.z)"},"End":true}}}`, `{"x":[{"y":2}],"z":1}`)
	f.Add(`{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a","StringMatches":"*x\\*","Next":"D"}],"Default":"D"},"D":{"Type":"Succeed"}}}`, `{"a":"x*"}`)
	// Variables in JSONPath paths, and JSONata with the adapter's functions and refusals.
	f.Add(`{"StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"v":{"n":[1]}},"Next":"C"},"C":{"Type":"Choice","Choices":[{"Variable":"$v.n[0]","NumericEqualsPath":"$v.n[0]","Next":"W"}],"Default":"W"},"W":{"Type":"Wait","SecondsPath":"$v.n[0]","End":true}}}`, `{}`)
	f.Add(`{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":"{% $formatInteger($states.input.n, '#,##0;o') & $string($match('ab', /b/)) %}","End":true}}}`, `{"n":1234}`)
	f.Fuzz(func(t *testing.T, def, input string) {
		m, err := states.Parse([]byte(def))
		if err != nil {
			return
		}
		in, err := states.Decode([]byte(input))
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		e := &states.Execution{Resources: &resources{}, Sleep: func(context.Context, time.Duration) error { return nil }}
		_, err = e.Run(ctx, m, in)
		var f *states.Failure
		if err != nil && !errors.As(err, &f) {
			t.Fatalf("an execution error that is not a Failure: %v", err)
		}
	})
}

func TestUUIDIntrinsic(t *testing.T) {
	out, err := run(t, `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"a.$":"States.UUID()","b.$":"States.UUID()"},"End":true}}}`, `{}`)
	if err != nil {
		t.Fatal(err)
	}
	m := out.(map[string]any)
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	if !re.MatchString(m["a"].(string)) || m["a"] == m["b"] {
		t.Fatalf("UUIDs %v", m)
	}
}

// Every comparison operator of Choice rules, literal and *Path forms (Choice rules).
func TestEveryComparisonOperator(t *testing.T) {
	input := `{"s":"b","n":5,"t":"2026-11-24T10:00:00Z","f":true,"other":{"s":"b","n":5,"t":"2026-11-24T10:00:00Z","f":true}}`
	tests := []struct {
		op, variable, value string
		want                bool
	}{
		{"StringEquals", "$.s", `"b"`, true}, {"StringEquals", "$.s", `"c"`, false},
		{"StringLessThan", "$.s", `"c"`, true}, {"StringLessThan", "$.s", `"a"`, false},
		{"StringGreaterThan", "$.s", `"a"`, true}, {"StringGreaterThan", "$.s", `"b"`, false},
		{"StringLessThanEquals", "$.s", `"b"`, true}, {"StringLessThanEquals", "$.s", `"a"`, false},
		{"StringGreaterThanEquals", "$.s", `"b"`, true}, {"StringGreaterThanEquals", "$.s", `"c"`, false},
		{"StringMatches", "$.s", `"*"`, true}, {"StringMatches", "$.s", `"a*"`, false},
		{"NumericEquals", "$.n", `5`, true}, {"NumericEquals", "$.n", `5.5`, false},
		{"NumericLessThan", "$.n", `6`, true}, {"NumericLessThan", "$.n", `5`, false},
		{"NumericGreaterThan", "$.n", `4`, true}, {"NumericGreaterThan", "$.n", `5`, false},
		{"NumericLessThanEquals", "$.n", `5`, true}, {"NumericLessThanEquals", "$.n", `4`, false},
		{"NumericGreaterThanEquals", "$.n", `5`, true}, {"NumericGreaterThanEquals", "$.n", `6`, false},
		{"BooleanEquals", "$.f", `true`, true}, {"BooleanEquals", "$.f", `false`, false},
		{"TimestampEquals", "$.t", `"2026-11-24T10:00:00Z"`, true}, {"TimestampEquals", "$.t", `"2026-11-24T10:00:01Z"`, false},
		{"TimestampLessThan", "$.t", `"2026-11-25T00:00:00Z"`, true}, {"TimestampLessThan", "$.t", `"2026-11-24T10:00:00Z"`, false},
		{"TimestampGreaterThan", "$.t", `"2026-11-23T00:00:00Z"`, true}, {"TimestampGreaterThan", "$.t", `"2026-11-24T10:00:00Z"`, false},
		{"TimestampLessThanEquals", "$.t", `"2026-11-24T10:00:00Z"`, true}, {"TimestampLessThanEquals", "$.t", `"2026-11-23T00:00:00Z"`, false},
		{"TimestampGreaterThanEquals", "$.t", `"2026-11-24T10:00:00Z"`, true}, {"TimestampGreaterThanEquals", "$.t", `"2026-11-25T00:00:00Z"`, false},
		{"IsNumeric", "$.n", `true`, true}, {"IsNumeric", "$.s", `true`, false},
		{"IsString", "$.s", `true`, true}, {"IsBoolean", "$.f", `true`, true}, {"IsTimestamp", "$.s", `true`, false},
		{"IsNull", "$.s", `false`, true}, {"IsPresent", "$.nope", `false`, true},
		// The *Path forms compare with another value of the input.
		{"StringEqualsPath", "$.s", `"$.other.s"`, true}, {"NumericLessThanPath", "$.n", `"$.other.n"`, false},
		{"BooleanEqualsPath", "$.f", `"$.other.f"`, true}, {"TimestampGreaterThanEqualsPath", "$.t", `"$.other.t"`, true},
		{"NumericEquals", "$.s", `5`, false}, // a type mismatch is false, not an error
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %s %s", tt.variable, tt.op, tt.value), func(t *testing.T) {
			def := fmt.Sprintf(`{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":%q,%q:%s,"Next":"Y"}],"Default":"N"},"Y":{"Type":"Pass","Result":true,"End":true},"N":{"Type":"Pass","Result":false,"End":true}}}`, tt.variable, tt.op, tt.value)
			out, err := run(t, def, input)
			if err != nil {
				t.Fatal(err)
			}
			if out != tt.want {
				t.Fatalf("= %v; want %v", out, tt.want)
			}
		})
	}
}
