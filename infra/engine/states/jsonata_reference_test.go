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
// error, "!undefined" no value (States.QueryEvaluationError in a state). A case with a known difference
// (ADR 0024's table) must still differ: when the library catches up the case fails, and the ADR and the
// case are updated. Results that depend on object key order ($keys, $each, $spread) are left out: Go
// maps have none, so they would agree or differ by chance (ADR 0024).
func TestJSONataAgainstReference(t *testing.T) {
	tests := []struct{ expr, input, want, knownDifference string }{
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
		{`$match('abc', /b/)`, `{}`, `{"groups":[],"index":1,"match":"b"}`, "$match with one match: jsonata-go returns a one-item array, jsonata-js the object"},
		{`$substring('hello', 1, 3)`, `{}`, `"ell"`, ""},
		{`$pad('a', 3, '#')`, `{}`, `"a##"`, ""},
		{`$trim('  a  b ')`, `{}`, `"a b"`, ""},
		{`$formatNumber(1234.5, '#,##0.00')`, `{}`, `"1,234.50"`, ""},
		{`$formatBase(255, 16)`, `{}`, `"ff"`, ""},
		{`$formatInteger(12, 'w')`, `{}`, `"twelve"`, "$formatInteger/$parseInteger (jsonata-js 1.6) are not in jsonata-go"},
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
		{`$states.input.items#$i[$i>0].name`, `{"items":[{"name":"x"},{"name":"y"}]}`, `"y"`, "positional binding # (jsonata-js 1.6) is not in jsonata-go"},
		{`$states.input.a.b.%.c`, `{"a":{"b":1,"c":2}}`, `2`, "parent operator % (jsonata-js 1.7) is not in jsonata-go"},
		{`$states.input@$v.$v.n`, `[{"n":1}]`, `1`, "context binding @ (jsonata-js 1.6) is not in jsonata-go"},
		{`$assert(true, 'x')`, `{}`, `!undefined`, ""},
		{`$parseInteger('12', '0')`, `{}`, `12`, "$formatInteger/$parseInteger (jsonata-js 1.6) are not in jsonata-go"},
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
			if tt.knownDifference != "" {
				if got == tt.want {
					t.Fatalf("now agrees with jsonata-js (%s): update ADR 0024's table and this case", tt.knownDifference)
				}
				return
			}
			if got != tt.want {
				t.Fatalf("got %s; jsonata-js 2.0.6 gives %s (err %v)", got, tt.want, err)
			}
		})
	}
}
