package states

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// TestJSONataAgainstReference pins the JSONata the interpreter evaluates against jsonata-js 2.0.6, the
// version Step Functions implements (https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html,
// "Supported JSONata version"). want is what jsonata-js 2.0.6 returned for each case (recorded with
// `npm install jsonata@2.0.6` and `jsonata(expr).evaluate({}, {states: {input}})`); "!error" is an
// error, "!undefined" no value (States.QueryEvaluationError in a state). Where jsonata-go cannot give
// jsonata-js's answer (ADR 0024's table), the expression is refused when the definition is loaded,
// naming the feature (refused holds a part of the refusal): agreement or a clear refusal, never a
// silently different value. Results that depend on object key order ($keys, $each, $spread) are left
// out: Go maps have none, so they would agree or differ by chance (ADR 0024).
func TestJSONataAgainstReference(t *testing.T) {
	tests := []struct{ expr, input, want, refused string }{
		{`$states.input.a + 1`, `{"a":1}`, `2`, ""},
		{`$sum($states.input.items.price)`, `{"items":[{"price":1.5},{"price":2}]}`, `3.5`, ""},
		{`$states.input.items[price > 1]`, `{"items":[{"name":"x","price":1.5},{"name":"y","price":0.5}]}`, `{"name":"x","price":1.5}`, ""},
		{`'Hello ' & $states.input.name`, `{"name":"Ana"}`, `"Hello Ana"`, ""},
		{`($x := 2; $y := $x * 3; $y)`, `{}`, `6`, ""},
		{`$count([1,2,3])`, `{}`, `3`, ""},
		{`$string({'a':1})`, `{}`, `"{\"a\":1}"`, ""},
		{`$string(1e21)`, `{}`, `"1e+21"`, ""},
		{`$string(0.1 + 0.2)`, `{}`, `"0.3"`, ""},
		{`$string(1e-7)`, `{}`, `"1e-7"`, ""},
		{`0.1 + 0.2`, `{}`, `0.30000000000000004`, ""},
		{`1/3`, `{}`, `0.3333333333333333`, ""},
		{`$number('12')`, `{}`, `12`, ""},
		{`$round(2.5)`, `{}`, `2`, ""},
		{`$distinct([1,2,2,3])`, `{}`, `[1,2,3]`, ""},
		{`$type([1])`, `{}`, `"array"`, ""},
		{`$map([1,2,3], function($v){$v*2})`, `{}`, `[2,4,6]`, ""},
		{`$filter([1,2,3], function($v){$v>1})`, `{}`, `[2,3]`, ""},
		{`$reduce([1,2,3], function($a,$b){$a+$b})`, `{}`, `6`, ""},
		{`$sort($states.input, function($l,$r){$l.n > $r.n}).n`, `[{"n":3},{"n":1}]`, `[1,3]`, ""},
		{`$merge([{'a':1},{'b':2}])`, `{}`, `{"a":1,"b":2}`, ""},
		{`$split('a,b,c', ',')`, `{}`, `["a","b","c"]`, ""},
		{`$join(['a','b'], '-')`, `{}`, `"a-b"`, ""},
		{`$replace('abc', 'b', 'x')`, `{}`, `"axc"`, ""},
		{`$contains('abc', /b/)`, `{}`, `true`, ""},
		{`$match('abc', /b/)`, `{}`, `{"groups":[],"index":1,"match":"b"}`, ""},
		{`$match('abc', /z/)`, `{}`, `!undefined`, ""},
		{`$match('abab', /b/)`, `{}`, `[{"groups":[],"index":1,"match":"b"},{"groups":[],"index":3,"match":"b"}]`, ""},
		{`$match('abab', /(a)(b)/, 1)`, `{}`, `{"groups":["a","b"],"index":0,"match":"ab"}`, ""},
		{`$states.input.s ~> $match(/b/)`, `{"s":"abc"}`, `{"groups":[],"index":1,"match":"b"}`, ""},
		{`$substring('hello', 1, 3)`, `{}`, `"ell"`, ""},
		{`$pad('a', 3, '#')`, `{}`, `"a##"`, ""},
		{`$trim('  a  b ')`, `{}`, `"a b"`, ""},
		{`$formatNumber(1234.5, '#,##0.00')`, `{}`, `"1,234.50"`, ""},
		{`$formatBase(255, 16)`, `{}`, `"ff"`, ""},
		{`$formatInteger(12, 'w')`, `{}`, `"twelve"`, "$formatInteger"},
		{`$toMillis('2024-01-01T00:00:00.000Z')`, `{}`, `1704067200000`, ""},
		{`$fromMillis(1704067200000)`, `{}`, `"2024-01-01T00:00:00.000Z"`, ""},
		{`$fromMillis(1704067200000, '[Y0001]-[M01]-[D01]')`, `{}`, `"2024-01-01"`, ""},
		{`$base64encode('hi')`, `{}`, `"aGk="`, ""},
		{`$encodeUrlComponent('a b&c')`, `{}`, `"a%20b%26c"`, ""},
		{`$encodeUrl('https://x.org/a b?q=1')`, `{}`, `"https://x.org/a%20b?q=1"`, ""},
		{`$exists($states.input.nope)`, `{}`, `false`, ""},
		{`$boolean([])`, `{}`, `false`, ""},
		{`'a' in ['a','b']`, `{}`, `true`, ""},
		{`$states.input.a ? 'y' : 'n'`, `{"a":true}`, `"y"`, ""},
		{`[1..5]`, `{}`, `[1,2,3,4,5]`, ""},
		{`$zip([1,2],[3,4])`, `{}`, `[[1,3],[2,4]]`, ""},
		{`$sift({'a':1,'b':2}, function($v){$v>1})`, `{}`, `{"b":2}`, ""},
		{`$states.input ~> |$|{'b':2}|`, `{"a":1}`, `{"a":1,"b":2}`, ""},
		{`$states.input.a.b`, `{"a":[{"b":1},{"b":2}]}`, `[1,2]`, ""},
		{`$states.input.a[-1]`, `{"a":[1,2]}`, `2`, ""},
		{`$states.input.a.b[]`, `{"a":[{"b":1}]}`, `[1]`, ""},
		{`$states.input^(>n).n`, `[{"n":1},{"n":3}]`, `[3,1]`, ""},
		{`$states.input{n: v}`, `[{"n":"a","v":1},{"n":"b","v":2}]`, `{"a":1,"b":2}`, ""},
		{`$states.input.a = null`, `{"a":null}`, `true`, ""},
		{`$type($states.input.a)`, `{"a":null}`, `"null"`, ""},
		{`$states.input.b[1]`, `{"b":[1,null]}`, `null`, ""},
		{`$states.input.items#$i[$i>0].name`, `{"items":[{"name":"x"},{"name":"y"}]}`, `"y"`, "positional variable binding #"},
		{`$states.input.a.b.%.c`, `{"a":{"b":1,"c":2}}`, `2`, "parent operator %"},
		{`$states.input@$v.$v.n`, `[{"n":1}]`, `1`, "context variable binding @"},
		{"$states.input.`a#b` + $states.input.`c@d`", `{"a#b":1,"c@d":2}`, `3`, ""},
		{`$states.input.a % 3`, `{"a":7}`, `1`, ""},
		{`$assert(true, 'x')`, `{}`, `!undefined`, ""},
		{`$parseInteger('12', '0')`, `{}`, `12`, "$parseInteger"},
		{`$error('boom')`, `{}`, `!error`, ""},
		{`'a' + 1`, `{}`, `!error`, ""},
		{`$lowercase($states.input.s)`, `{"s":"AB"}`, `"ab"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			in, err := Decode([]byte(tt.input))
			if err != nil {
				t.Fatal(err)
			}
			if err := checkExpression(tt.expr, "Output", false, false); err != nil || tt.refused != "" {
				if tt.refused == "" || err == nil || !strings.Contains(err.Error(), tt.refused) || !strings.Contains(err.Error(), "0024") {
					t.Fatalf("load check: %v; want a refusal naming %q and ADR 0024 only where jsonata-go differs", err, tt.refused)
				}
				return
			}
			v, err := evalJSONata(tt.expr, "Output", map[string]any{"states": map[string]any{"input": in}})
			got := "!error"
			var f *Failure
			switch {
			case err == nil:
				b, _ := json.Marshal(v)
				got = string(b)
			case errors.As(err, &f) && strings.Contains(f.Cause, "returned nothing (undefined)"):
				got = "!undefined"
			}
			if got != tt.want {
				t.Fatalf("got %s; jsonata-js 2.0.6 gives %s (err %v)", got, tt.want, err)
			}
		})
	}
}
