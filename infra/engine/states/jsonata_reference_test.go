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
		// $formatInteger / $parseInteger are the local runtime's (jsonata_integer.go): the pictures it
		// takes, and two it refuses as jsonata-js does.
		{`$formatInteger(12, 'w')`, `{}`, `"twelve"`, ""},
		{`$formatInteger(0, 'w')`, `{}`, `"zero"`, ""},
		{`$formatInteger(101, 'w')`, `{}`, `"one hundred and one"`, ""},
		{`$formatInteger(21, 'W')`, `{}`, `"TWENTY-ONE"`, ""},
		{`$formatInteger(1234567, 'Ww')`, `{}`, `"One Million, Two Hundred and Thirty-Four Thousand, Five Hundred and Sixty-Seven"`, ""},
		{`$formatInteger(1000000000000, 'w')`, `{}`, `"one trillion"`, ""},
		{`$formatInteger(-12, 'w')`, `{}`, `"-twelve"`, ""},
		{`$formatInteger(1, 'w;o')`, `{}`, `"first"`, ""},
		{`$formatInteger(20, 'w;o')`, `{}`, `"twentieth"`, ""},
		{`$formatInteger(112, 'w;o')`, `{}`, `"one hundred and twelfth"`, ""},
		{`$formatInteger(1000, 'w;o')`, `{}`, `"one thousandth"`, ""},
		{`$formatInteger(1005, 'w')`, `{}`, `"one thousand and five"`, ""},
		{`$formatInteger(90000, 'w')`, `{}`, `"ninety thousand"`, ""},
		{`$formatInteger(1234, '#,##0')`, `{}`, `"1,234"`, ""},
		{`$formatInteger(12345678, '#,###,##0')`, `{}`, `"12,345,678"`, ""},
		{`$formatInteger(7, '000')`, `{}`, `"007"`, ""},
		{`$formatInteger(-5, '0')`, `{}`, `"-5"`, ""},
		{`$formatInteger(1234, '0,0')`, `{}`, `"1,2,3,4"`, ""},
		{`$formatInteger(12.7, '0')`, `{}`, `"12"`, ""},
		{`$formatInteger(3, '1;o')`, `{}`, `"3rd"`, ""},
		{`$formatInteger(11, '0;o')`, `{}`, `"11th"`, ""},
		{`$formatInteger(22, '0;o')`, `{}`, `"22nd"`, ""},
		{`$formatInteger(1234567, '#.##0')`, `{}`, `"1.234.567"`, ""},
		{`$formatInteger(1234567, '#,##,##0')`, `{}`, `"12,34,567"`, ""},
		{`$formatInteger(1999, 'I')`, `{}`, `"MCMXCIX"`, ""},
		{`$formatInteger(4, 'i')`, `{}`, `"iv"`, ""},
		{`$formatInteger(0, 'I')`, `{}`, `""`, ""},
		{`$formatInteger(28, 'a')`, `{}`, `"ab"`, ""},
		{`$formatInteger(26, 'A')`, `{}`, `"Z"`, ""},
		{`$formatInteger(703, 'A')`, `{}`, `"AAA"`, ""},
		{`$formatInteger(12, 'wo')`, `{}`, `!error`, ""},
		{`$formatInteger(5, '#')`, `{}`, `!error`, ""},
		{`$parseInteger('twelve', 'w')`, `{}`, `12`, ""},
		{`$parseInteger('one hundred and one', 'w')`, `{}`, `101`, ""},
		{`$parseInteger('One Million, Two Hundred and Thirty-Four Thousand, Five Hundred and Sixty-Seven', 'Ww')`, `{}`, `1234567`, ""},
		{`$parseInteger('twentieth', 'w;o')`, `{}`, `20`, ""},
		{`$parseInteger('1,234', '#,##0')`, `{}`, `1234`, ""},
		{`$parseInteger('007', '000')`, `{}`, `7`, ""},
		{`$parseInteger('MCMXCIX', 'I')`, `{}`, `1999`, ""},
		{`$parseInteger('xiv', 'i')`, `{}`, `14`, ""},
		{`$parseInteger('ab', 'a')`, `{}`, `28`, ""},
		{`$parseInteger('3rd', '0;o')`, `{}`, `3`, ""},
		{`$parseInteger('-12', '0')`, `{}`, `-12`, ""},
		{`$parseInteger('abc', '0')`, `{}`, `null`, ""},
		{`$formatInteger($states.input.n, '#,##0')`, `{"n":1234567}`, `"1,234,567"`, ""},
		{`$formatInteger($states.input.none, '0')`, `{"n":1234567}`, `!undefined`, ""},
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

// TestJSONataErrorsAsJSONataJS: an expression that fails is States.QueryEvaluationError whose cause
// says, as AWS's does, "The JSONata expression '<expr>' specified for the field '<field>' threw an
// error during evaluation. <code>: <message>" (observed: "... T1006: Attempted to invoke a
// non-function"), with jsonata-js 2.0.6's code and message (recorded as the table above), where
// jsonata-go's error has a counterpart.
func TestJSONataErrorsAsJSONataJS(t *testing.T) {
	for _, tt := range []struct{ expr, want string }{
		{`$nope()`, `T1006: Attempted to invoke a non-function`},
		{`$states.input.a(1)`, `T1006: Attempted to invoke a non-function`},
		{`'a' + 1`, `T2001: The left side of the "+" operator must evaluate to a number`},
		{`1 + 'a'`, `T2002: The right side of the "+" operator must evaluate to a number`},
		{`['a'..2]`, `T2003: The left side of the range operator (..) must evaluate to an integer`},
		{`[1..'b']`, `T2004: The right side of the range operator (..) must evaluate to an integer`},
		{`{} < 1`, `T2010: The expressions either side of operator "<" must evaluate to numeric or string values`},
		{`1 ~> 2`, `T2006: The right side of the function application operator ~> must be a function`},
		{`{'a': 1, 'a': 2}`, `D1009: Multiple key definitions evaluate to same key: "a"`},
	} {
		_, err := evalJSONata(tt.expr, "Output", map[string]any{"states": map[string]any{"input": map[string]any{"a": 1.0}}})
		want := "The JSONata expression '" + tt.expr + "' specified for the field 'Output' threw an error during evaluation. " + tt.want
		var f *Failure
		if !errors.As(err, &f) || f.Name != "States.QueryEvaluationError" || f.Cause != want {
			t.Errorf("%s: %v\nwant %s", tt.expr, err, want)
		}
	}
}
