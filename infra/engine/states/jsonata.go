package states

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"

	jsonata "github.com/blues/jsonata-go"
	"github.com/blues/jsonata-go/jlib"
	"github.com/blues/jsonata-go/jtypes"
)

// This file evaluates the JSONata expressions ("{% ... %}") of states whose QueryLanguage is JSONata,
// with the functions Step Functions adds and the differences from jsonata-go that ADR 0024 measured
// against jsonata-js 2.0.6, the version AWS implements
// (https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html).

const (
	jsonataLang = "JSONata"
	pathLang    = "JSONPath"
	// docsJSONata is where a refusal or an evaluation error points the user.
	docsJSONata = "https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html"
)

// errQuery is States.QueryEvaluationError, the error a JSONata expression that fails or returns nothing
// raises (transforming-data.html, "Handling errors"). Its cause gets the state's location prefix, as
// AWS's does: "An error occurred while executing the state 'State0' (entered at the event id #2). The
// JSONata expression '$doesNotExist' specified for the field 'Output' returned nothing (undefined)."
// (observed, LocalStack's assign/test_assign_reference_variables.snapshot.json).
func errQuery(format string, a ...any) *Failure {
	f := fail("States.QueryEvaluationError", format, a...)
	f.local = true
	return f
}

// jsonataSource returns the expression inside "{% ... %}"; AWS takes a string as an expression only
// when it starts with {% and ends with %} exactly (no surrounding spaces).
func jsonataSource(v any) (string, bool) {
	s, ok := v.(string)
	if !ok || len(s) < 4 || !strings.HasPrefix(s, "{%") || !strings.HasSuffix(s, "%}") {
		return "", false
	}
	return strings.TrimSpace(s[2 : len(s)-2]), true
}

// checkTemplate checks every expression in a JSONata field so what CreateStateMachine refuses (a
// syntax error, $eval, a reference with no context; checkExpression) is refused at load. Fields are
// named as AWS names them: "/" before an object key, [i] for an array index ("Output/a/b[0]").
func checkTemplate(v any, field string) error { return checkTemplateIn(v, field, false, false) }

// checkTemplateIn is checkTemplate where $states.errorOutput (a catcher) or $states.result (a Task,
// Parallel or Map state's Output and Assign) is available.
func checkTemplateIn(v any, field string, inCatch, hasResult bool) error {
	switch t := v.(type) {
	case string:
		if src, ok := jsonataSource(t); ok {
			if src == "" {
				return fmt.Errorf("%s: empty JSONata expression", field)
			}
			if strings.Contains(src, "$eval(") {
				// AWS does not provide $eval: "use $parse instead" (transforming-data.html).
				return fmt.Errorf("%s: $eval is not available in Step Functions; use $parse", field)
			}
			return checkExpression(src, field, inCatch, hasResult)
		}
	case map[string]any:
		for k, x := range t {
			if err := checkTemplateIn(x, field+"/"+k, inCatch, hasResult); err != nil {
				return err
			}
		}
	case []any:
		for i, x := range t {
			if err := checkTemplateIn(x, fmt.Sprintf("%s[%d]", field, i), inCatch, hasResult); err != nil {
				return err
			}
		}
	}
	return nil
}

// evalTemplate evaluates a JSONata field: a string "{% expr %}" is evaluated, objects and arrays are
// walked, and every other value is taken as is (transforming-data.html: expressions may sit at any depth).
func evalTemplate(v any, field string, bind map[string]any) (any, error) {
	switch t := v.(type) {
	case string:
		if src, ok := jsonataSource(t); ok {
			return evalJSONata(src, field, bind)
		}
		return t, nil
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			r, err := evalTemplate(x, field+"/"+k, bind)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			r, err := evalTemplate(x, fmt.Sprintf("%s[%d]", field, i), bind)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	}
	return v, nil
}

// evalJSONata evaluates one expression with bind's names as variables ($states and the workflow's
// variables).
func evalJSONata(src, field string, bind map[string]any) (any, error) {
	if err := registerFunctions(); err != nil {
		return nil, err
	}
	pool := exprPool(src, bind)
	e, _ := pool.Get().(*jsonata.Expr)
	if e == nil {
		var err error
		if e, err = jsonata.Compile(src); err != nil {
			return nil, errQuery("The JSONata expression '%s' specified for the field '%s' is invalid: %v", src, field, err)
		}
	}
	defer pool.Put(e)
	vars := make(map[string]any, len(bind))
	for k, v := range bind {
		vars[k] = toJSONata(v)
	}
	if err := e.RegisterVars(vars); err != nil {
		return nil, fmt.Errorf("states: JSONata variables: %w", err)
	}
	evalMu.Lock()
	v, err := e.Eval(nil)
	evalMu.Unlock()
	if errors.Is(err, jsonata.ErrUndefined) {
		return nil, errQuery("The JSONata expression '%s' specified for the field '%s' returned nothing (undefined).", src, field)
	}
	if err != nil {
		var f *Failure
		if errors.As(err, &f) {
			return nil, f
		}
		return nil, errQuery("The JSONata expression '%s' specified for the field '%s' threw an error during evaluation. %s", src, field, jsonataError(err))
	}
	out, err := fromJSONata(v)
	if err != nil || holdsFunction(v) {
		// AWS's words for a function (observed, LocalStack's AWS-validated Map snapshots).
		return nil, errQuery("The JSONata expression '%s' specified for the field '%s' returned an unsupported result type.", src, field)
	}
	return out, nil
}

// evalMu serializes evaluations. jsonata-go's functions are package-level values that every call
// mutates (evalFunctionCall sets the callable's name and evaluation context, eval.go), so two
// evaluations at once race, and a function that reads its context ("$states.input.names.$uppercase()")
// could read the other evaluation's. Parallel branches and Map iterations evaluate concurrently;
// an evaluation is CPU work of microseconds (BenchmarkJSONataExecution) against a task's I/O, so
// the lock costs them little. TestJSONataConcurrentEvaluations finds the race with -race without it.
var evalMu sync.Mutex

// exprPools keeps compiled expressions for reuse, saving the parse of every evaluation
// (BenchmarkJSONataExecution; ADR 0024). jsonata-go binds variables on the compiled expression
// (RegisterVars writes its registry), so one compiled expression serves one evaluation at a time: a
// sync.Pool hands each evaluation its own, and Parallel branches and Map iterations evaluating the
// same expression concurrently get different ones. A registry cannot forget a name, and a name bound
// to nothing would hide a function of that name, so the pools are per expression and per set of
// bound names: a reused expression has exactly the names the evaluation binds, each overwritten, and
// no variable of an earlier evaluation stays visible (TestJSONataConcurrentEvaluations: keyed by the
// expression alone, 400 of its 800 evaluations see another's $x).
var exprPools sync.Map // string -> *sync.Pool

func exprPool(src string, bind map[string]any) *sync.Pool {
	names := make([]string, 0, len(bind))
	for k := range bind {
		names = append(names, k)
	}
	sort.Strings(names)
	key := src + "\x00" + strings.Join(names, "\x00")
	if p, ok := exprPools.Load(key); ok {
		return p.(*sync.Pool)
	}
	p, _ := exprPools.LoadOrStore(key, new(sync.Pool))
	return p.(*sync.Pool)
}

// jsonataError words an evaluation error as jsonata-js 2.0.6, whose words AWS's cause quotes with
// their code ("... threw an error during evaluation. T1006: Attempted to invoke a non-function",
// observed, LocalStack's AWS-validated snapshots), where jsonata-go's error has a jsonata-js
// counterpart (checked in TestJSONataErrorsAsJSONataJS); otherwise jsonata-go's own message.
func jsonataError(err error) string {
	var ee *jsonata.EvalError
	if !errors.As(err, &ee) {
		return err.Error()
	}
	switch ee.Type {
	case jsonata.ErrNonCallable:
		return "T1006: Attempted to invoke a non-function"
	case jsonata.ErrNonNumberLHS:
		return fmt.Sprintf("T2001: The left side of the %q operator must evaluate to a number", ee.Value)
	case jsonata.ErrNonNumberRHS:
		return fmt.Sprintf("T2002: The right side of the %q operator must evaluate to a number", ee.Value)
	case jsonata.ErrNonIntegerLHS:
		return "T2003: The left side of the range operator (..) must evaluate to an integer"
	case jsonata.ErrNonIntegerRHS:
		return "T2004: The right side of the range operator (..) must evaluate to an integer"
	case jsonata.ErrNonComparableLHS, jsonata.ErrNonComparableRHS:
		return fmt.Sprintf("T2010: The expressions either side of operator %q must evaluate to numeric or string values", ee.Value)
	case jsonata.ErrNonCallableApply:
		return "T2006: The right side of the function application operator ~> must be a function"
	case jsonata.ErrDuplicateKey:
		return fmt.Sprintf("D1009: Multiple key definitions evaluate to same key: %q", ee.Value)
	}
	return err.Error()
}

// holdsFunction says whether a result is or holds a function, which JSON cannot carry (json.Marshal
// would write it as "").
func holdsFunction(v any) bool {
	switch t := v.(type) {
	case jtypes.Callable:
		return true
	case map[string]any:
		for _, x := range t {
			if holdsFunction(x) {
				return true
			}
		}
	case []any:
		for _, x := range t {
			if holdsFunction(x) {
				return true
			}
		}
	}
	return false
}

// jsonNull is the value jsonata-go gives the literal null; a Go nil is undefined to it, so JSON nulls
// in the data are turned into this before evaluation (ADR 0024: without it `$states.input.a = null`
// is false).
var jsonNull *interface{}

func toJSONata(v any) any {
	switch t := v.(type) {
	case nil:
		return jsonNull
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = toJSONata(x)
		}
		return m
	case []any:
		a := make([]any, len(t))
		for i, x := range t {
			a[i] = toJSONata(x)
		}
		return a
	}
	return v
}

// fromJSONata turns a result into the interpreter's JSON values (float64 numbers, nil nulls).
func fromJSONata(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// registerFunctions adds stepFunctionsExts to jsonata-go's package registry once: Compile copies it
// into each expression, where registering per expression validated every function by reflection on
// each evaluation (BenchmarkJSONataExecution). Nothing else in a binary that links this package uses
// jsonata-go (it is local-runtime only).
var registerFunctions = sync.OnceValue(func() error {
	for _, exts := range []map[string]jsonata.Extension{stepFunctionsExts, integerExts} {
		if err := jsonata.RegisterExts(exts); err != nil {
			return fmt.Errorf("states: JSONata functions: %w", err)
		}
	}
	return nil
})

// stepFunctionsExts are the functions Step Functions adds to JSONata ($partition, $range, $hash,
// $random with a seed, $uuid, $parse; transforming-data.html, "JSONata functions provided by Step
// Functions"), and overrides where jsonata-go departs from jsonata-js 2.0.6 (ADR 0024's table).
var stepFunctionsExts = map[string]jsonata.Extension{
	"partition": {Func: partition},
	"range":     {Func: rangeOf},
	"hash":      {Func: func(s, alg any) (any, error) { return viaIntrinsic("$hash", "States.Hash", s, alg) }},
	"parse": {Func: func(s string) (any, error) {
		var v any
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			return nil, errQuery("$parse: the argument is not a JSON string")
		}
		return toJSONata(v), nil
	}},
	"uuid": {Func: func() string {
		var b [16]byte
		rand.Read(b[:])
		b[6] = b[6]&0x0f | 0x40 // version 4
		b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
		return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
	}},
	// $random takes an optional seed in Step Functions: the same seed gives the same number.
	"random": {Func: func(seed jtypes.OptionalFloat64) float64 {
		if !seed.IsSet() {
			return mrand.Float64()
		}
		s := uint64(int64(seed.Float64))
		return mrand.New(mrand.NewPCG(s, s^0x9e3779b97f4a7c15)).Float64()
	}},
	// jsonata-js encodes as JavaScript's encodeURIComponent / encodeURI do (a space is %20, "!" stays);
	// jsonata-go uses Go's query escaping ("+" for a space).
	"encodeUrlComponent": {Func: func(s string) string { return encodeURI(s, "-_.!~*'()") },
		EvalContextHandler: jtypes.ArgCountEquals(0)},
	"encodeUrl": {Func: func(s string) string { return encodeURI(s, "-_.!~*'();,/?:@&=+$#") },
		EvalContextHandler: jtypes.ArgCountEquals(0)},
	// $assert is jsonata-js 1.8; jsonata-go lacks it.
	"assert": {Func: func(cond bool, msg jtypes.OptionalString) (any, error) {
		if cond {
			return nil, jsonata.ErrUndefined
		}
		if msg.IsSet() {
			return nil, errQuery("%s", msg.String)
		}
		return nil, errQuery("$assert() statement failed")
	}},
	// $match: jsonata-js returns a sequence, which JSONata gives as its only item when it has one and
	// as nothing when it is empty; jsonata-go always returns an array.
	"match": {Func: func(s string, pattern jtypes.Callable, limit jtypes.OptionalInt) (any, error) {
		ms, err := jlib.Match(s, pattern, limit)
		switch {
		case err != nil:
			return nil, err
		case len(ms) == 0:
			return nil, jsonata.ErrUndefined
		case len(ms) == 1:
			return ms[0], nil
		}
		return ms, nil
	}, UndefinedHandler: firstArgUndefined, EvalContextHandler: func(argv []reflect.Value) bool {
		// $match(/re/) and $match(/re/, n) match the context string, as jsonata-go's own.
		return len(argv) == 1 && jtypes.IsCallable(argv[0]) ||
			len(argv) == 2 && jtypes.IsCallable(argv[0]) && jtypes.IsNumber(argv[1])
	}},
	// $string of a number: jsonata-js rounds to 15 significant digits (0.1+0.2 gives "0.3").
	"string": {Func: func(v jtypes.OptionalInterface, prettify jtypes.OptionalBool) (any, error) {
		if !v.IsSet() {
			return nil, jsonata.ErrUndefined
		}
		return stringOf(v.Interface, prettify.IsSet() && prettify.Bool)
	}, EvalContextHandler: jtypes.ArgCountEquals(0)},
}

// firstArgUndefined makes a function give nothing when its first argument is undefined, as
// jsonata-go's own string functions do.
func firstArgUndefined(argv []reflect.Value) bool { return len(argv) > 0 && !argv[0].IsValid() }

// viaIntrinsic runs the JSONata function through the intrinsic it replaces, so both query languages
// share one implementation; its failure becomes States.QueryEvaluationError.
func viaIntrinsic(fn, intrinsicName string, args ...any) (any, error) {
	plain := make([]any, len(args))
	for i, a := range args {
		v, err := fromJSONata(a)
		if err != nil {
			return nil, errQuery("%s: argument %d is not JSON", fn, i+1)
		}
		plain[i] = v
	}
	v, err := apply(intrinsicName, plain)
	if err != nil {
		var f *Failure
		if errors.As(err, &f) {
			return nil, errQuery("%s: %s", fn, strings.ReplaceAll(f.Cause, intrinsicName, fn))
		}
		return nil, errQuery("%s: %v", fn, err)
	}
	return toJSONata(v), nil
}

// stringOf is jsonata-js's $string: strings as they are, numbers to 15 significant digits, other
// values as JSON with their numbers so rounded.
func stringOf(v any, pretty bool) (any, error) {
	if s, ok := v.(string); ok {
		return s, nil
	}
	plain, err := fromJSONata(v)
	if err != nil {
		return "", nil // a function: jsonata-js gives ""
	}
	if f, ok := plain.(float64); ok {
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, errQuery("$string: attempting to serialize a non-finite number")
		}
		return js15(f), nil
	}
	var b []byte
	if pretty {
		b, _ = json.MarshalIndent(round15(plain), "", "  ")
	} else {
		b, _ = json.Marshal(round15(plain))
	}
	return string(b), nil
}

// js15 formats as JavaScript's Number(x.toPrecision(15)).toString().
func js15(f float64) string {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'g', 15, 64), 64)
	if r == math.Trunc(r) && math.Abs(r) < 1e21 {
		return strconv.FormatFloat(r, 'f', -1, 64)
	}
	s := strconv.FormatFloat(r, 'g', -1, 64)
	return strings.NewReplacer("e+0", "e+", "e-0", "e-").Replace(s)
}

func round15(v any) any {
	switch t := v.(type) {
	case float64:
		r, _ := strconv.ParseFloat(strconv.FormatFloat(t, 'g', 15, 64), 64)
		return r
	case map[string]any:
		for k, x := range t {
			t[k] = round15(x)
		}
	case []any:
		for i, x := range t {
			t[i] = round15(x)
		}
	}
	return v
}

// encodeURI percent-encodes the UTF-8 bytes of s except ASCII letters, digits and keep.
func encodeURI(s, keep string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(keep, c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// partition is $partition(array, size): chunks of size (rounded towards zero), the last holding the
// rest; an empty array or a size below 1 gives no value, which fails the field (AWS's behaviour as
// measured by other emulators; ADR 0024).
func partition(arr []any, size float64) (any, error) {
	n := int(size)
	if len(arr) == 0 || n < 1 {
		return nil, jsonata.ErrUndefined
	}
	out := []any{}
	for i := 0; i < len(arr); i += n {
		out = append(out, append([]any{}, arr[i:min(i+n, len(arr))]...))
	}
	return out, nil
}

// rangeOf is $range(start, end, step): from start to end inclusive by step, arguments rounded towards
// zero; no step, a zero step or one pointing away from end gives no value; at most 1000 items, as
// States.ArrayRange.
func rangeOf(start, end float64, step jtypes.OptionalFloat64) (any, error) {
	a, b := int(start), int(end)
	if !step.IsSet() {
		return nil, jsonata.ErrUndefined
	}
	st := int(step.Float64)
	if st == 0 || (b-a)*st < 0 {
		return nil, jsonata.ErrUndefined
	}
	out := []any{}
	for i := a; (st > 0 && i <= b) || (st < 0 && i >= b); i += st {
		out = append(out, float64(i))
		if len(out) > 1000 {
			return nil, errQuery("$range: the range may not have more than 1000 items")
		}
	}
	if len(out) == 1 {
		return out[0], nil // a one-item sequence is its item in JSONata
	}
	return out, nil
}
