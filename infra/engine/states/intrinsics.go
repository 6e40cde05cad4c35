package states

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"math"
	mrand "math/rand/v2"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// intrinsic evaluates States.Fn(args...) as AWS documents the intrinsic functions
// (https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html); a bad call is
// States.IntrinsicFailure. field names the template key ("x.$", "ErrorPath") for a missing path's cause.
func intrinsic(expr, field string, input any, sctx map[string]any) (any, error) {
	p := &iparser{s: expr, field: field, input: input, ctx: sctx}
	v, err := p.call()
	if err != nil {
		return nil, err
	}
	if p.skip(); p.i != len(p.s) {
		return nil, ifail("unexpected '%s' after the call in %s", p.s[p.i:], expr)
	}
	return v, nil
}

// ifail is an intrinsic's failure; the cause is ours (AWS documents the error name, not the texts) and
// gets the state's location prefix like every evaluation failure (see locate).
func ifail(format string, a ...any) *Failure {
	f := fail("States.IntrinsicFailure", format, a...)
	f.local = true
	return f
}

type iparser struct {
	s, field string
	i        int
	input    any
	ctx      map[string]any
}

func (p *iparser) skip() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *iparser) call() (any, error) {
	p.skip()
	open := strings.IndexByte(p.s[p.i:], '(')
	if open < 0 {
		return nil, ifail("%s is not a function call", p.s)
	}
	name := p.s[p.i : p.i+open]
	p.i += open + 1
	var args []any
	for {
		p.skip()
		if p.i < len(p.s) && p.s[p.i] == ')' {
			p.i++
			break
		}
		a, err := p.arg()
		if err != nil {
			return nil, err
		}
		args = append(args, a)
		p.skip()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.s) && p.s[p.i] == ')' {
			p.i++
			break
		}
		return nil, ifail("malformed arguments in %s", p.s)
	}
	return apply(name, args)
}

func (p *iparser) arg() (any, error) {
	switch c := p.s[p.i]; {
	case c == '\'':
		var b strings.Builder
		for p.i++; p.i < len(p.s); p.i++ {
			switch p.s[p.i] {
			case '\\':
				// The reserved characters ' { } \ are escaped with a backslash; any other escape is
				// an error ("If an open escape backslash \ is found in the intrinsic invocation
				// string, the interpreter will throw a runtime error", intrinsic-functions.html).
				// Escaped braces stay apart from a template's {} (see literalOpen).
				if p.i+1 >= len(p.s) || !strings.ContainsRune(`'{}\`, rune(p.s[p.i+1])) {
					return nil, ifail("open escape backslash in %s", p.s)
				}
				p.i++
				switch p.s[p.i] {
				case '{':
					b.WriteRune(literalOpen)
				case '}':
					b.WriteRune(literalClose)
				default:
					b.WriteByte(p.s[p.i])
				}
			case '\'':
				p.i++
				return b.String(), nil
			default:
				b.WriteByte(p.s[p.i])
			}
		}
		return nil, ifail("unterminated string in %s", p.s)
	case c == '$':
		end := p.i
		depth := 0
		for end < len(p.s) && (depth > 0 || (p.s[end] != ',' && p.s[end] != ')')) {
			switch p.s[end] {
			case '[':
				depth++
			case ']':
				depth--
			}
			end++
		}
		path := strings.TrimSpace(p.s[p.i:end])
		p.i = end
		if v, ok, err := evalVariable(path, p.ctx); ok {
			return v, err // $name: a variable is an argument as a path is (workflow-variables.html)
		}
		return templateLookup(p.input, p.ctx, path, p.field)
	case strings.HasPrefix(p.s[p.i:], "States."):
		return p.call()
	default:
		end := p.i
		for end < len(p.s) && p.s[end] != ',' && p.s[end] != ')' {
			end++
		}
		lit := strings.TrimSpace(p.s[p.i:end])
		p.i = end
		switch lit {
		case "true":
			return true, nil
		case "false":
			return false, nil
		case "null":
			return nil, nil
		}
		f, err := strconv.ParseFloat(lit, 64)
		if err != nil {
			return nil, ifail("argument '%s' is not a string, number, boolean, null, path or call in %s", lit, p.s)
		}
		return f, nil
	}
}

func nargs(name string, args []any, n int) error {
	if len(args) != n {
		return ifail("%s takes %d arguments, got %d", name, n, len(args))
	}
	return nil
}

func str(v any) (string, bool) { s, ok := v.(string); return s, ok }

func integer(v any) (int, bool) {
	f, ok := v.(float64)
	return int(f), ok && f == math.Trunc(f)
}

// rounded is a number rounded as Java's Math.round does (half up, towards positive infinity), how
// Step Functions rounds the non-integer arguments of States.MathAdd and States.MathRandom: AWS's
// docs say it rounds them "to the nearest integer", and executions recorded on AWS show the half
// cases: 1.5 -> 2, 2.5 -> 3, -0.5 -> 0, -1.5 -> -1, -1.51 -> -2 (LocalStack's AWS-validated snapshot
// tests/aws/services/stepfunctions/v2/intrinsic_functions/test_math_operations.snapshot.json).
func rounded(v any) (int, bool) {
	f, ok := v.(float64)
	if !ok || math.IsInf(f, 0) || math.IsNaN(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int(math.Floor(f + 0.5)), true
}

// compactJSON is JSON as AWS writes it in outputs and causes: no spaces, and <, > and & as they are
// (Go's json.Marshal would escape them as \u003c..., which AWS does not).
func compactJSON(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// formatArg renders a States.Format argument as AWS does: strings as they are, other scalars as JSON,
// and objects and arrays in Java's notation ({a=1, b=[x, y]}): strings unquoted inside them too,
// ", " between members and "=" between a key and its value. Observed on AWS: {"Arg1": 1, "Arg2": []}
// renders as {Arg1=1, Arg2=[]}, and the context object's StateMachine as {Id=arn:..., Name=...}
// (test_generic.snapshot.json, LocalStack). AWS keeps the input's key order; decoded Go maps have none,
// so keys are sorted (ADR 0023).
func formatArg(b *strings.Builder, v any) {
	switch a := v.(type) {
	case string:
		b.WriteString(a)
	case []any:
		b.WriteByte('[')
		for i, x := range a {
			if i > 0 {
				b.WriteString(", ")
			}
			formatArg(b, x)
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(a))
		for k := range a {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(k)
			b.WriteByte('=')
			formatArg(b, a[k])
		}
		b.WriteByte('}')
	default:
		b.WriteString(compactJSON(a))
	}
}

// literalOpen and literalClose stand for an escaped \{ and \} in a string literal until the call
// uses it: States.Format must not take them for a {} placeholder.
const literalOpen, literalClose = '\uE000', '\uE001'

var unescapeBraces = strings.NewReplacer(string(literalOpen), "{", string(literalClose), "}")

func apply(name string, args []any) (any, error) {
	for i, a := range args {
		if s, ok := a.(string); ok && (name != "States.Format" || i > 0) {
			args[i] = unescapeBraces.Replace(s)
		}
	}
	switch name {
	case "States.Format":
		if len(args) == 0 {
			return nil, ifail("States.Format needs a template")
		}
		t, ok := str(args[0])
		if !ok {
			return nil, ifail("States.Format's template must be a string")
		}
		var b strings.Builder
		used := 1
		rs := []rune(t)
		for i := 0; i < len(rs); i++ {
			switch {
			case rs[i] == literalOpen: // an escaped \{ or \}: literal, never a placeholder
				b.WriteByte('{')
			case rs[i] == literalClose:
				b.WriteByte('}')
			case rs[i] == '{' && i+1 < len(rs) && rs[i+1] == '}':
				if used >= len(args) {
					return nil, ifail("States.Format has more {} than arguments")
				}
				formatArg(&b, args[used])
				used++
				i++
			default:
				b.WriteRune(rs[i])
			}
		}
		if used != len(args) {
			return nil, ifail("States.Format has more arguments than {}")
		}
		return b.String(), nil
	case "States.StringToJson":
		if err := nargs(name, args, 1); err != nil {
			return nil, err
		}
		s, ok := str(args[0])
		if !ok {
			return nil, ifail("States.StringToJson takes a string, got %s", compactJSON(args[0]))
		}
		// Observed on AWS: an empty or blank string is null, not an error (test_json_manipulation
		// snapshot, LocalStack).
		if strings.TrimSpace(s) == "" {
			return nil, nil
		}
		var v any
		if json.Unmarshal([]byte(s), &v) != nil {
			return nil, ifail("States.StringToJson: the string is not JSON: %s", s)
		}
		if v == 0.0 {
			v = 0.0 // "-0" is 0 on AWS (observed), not Go's -0
		}
		return v, nil
	case "States.JsonToString":
		if err := nargs(name, args, 1); err != nil {
			return nil, err
		}
		return compactJSON(args[0]), nil
	case "States.Array":
		return append([]any{}, args...), nil
	case "States.ArrayPartition":
		if err := nargs(name, args, 2); err != nil {
			return nil, err
		}
		arr, ok1 := args[0].([]any)
		n, ok2 := integer(args[1])
		if !ok1 || !ok2 || n < 1 {
			return nil, ifail("States.ArrayPartition takes an array and a positive chunk size")
		}
		out := []any{}
		for i := 0; i < len(arr); i += n {
			out = append(out, append([]any{}, arr[i:min(i+n, len(arr))]...))
		}
		return out, nil
	case "States.ArrayContains":
		if err := nargs(name, args, 2); err != nil {
			return nil, err
		}
		arr, ok := args[0].([]any)
		if !ok {
			return nil, ifail("States.ArrayContains takes an array")
		}
		for _, v := range arr {
			if reflect.DeepEqual(v, args[1]) {
				return true, nil
			}
		}
		return false, nil
	case "States.ArrayRange":
		if err := nargs(name, args, 3); err != nil {
			return nil, err
		}
		a, ok1 := integer(args[0])
		b, ok2 := integer(args[1])
		step, ok3 := integer(args[2])
		if !ok1 || !ok2 || !ok3 || step == 0 {
			return nil, ifail("States.ArrayRange takes integers start, end and a non-zero step, got %s, %s, %s", compactJSON(args[0]), compactJSON(args[1]), compactJSON(args[2]))
		}
		out := []any{}
		for i := a; (step > 0 && i <= b) || (step < 0 && i >= b); i += step {
			out = append(out, float64(i))
			if len(out) > 1000 {
				return nil, ifail("States.ArrayRange may not produce more than 1000 items")
			}
		}
		return out, nil
	case "States.ArrayGetItem":
		if err := nargs(name, args, 2); err != nil {
			return nil, err
		}
		arr, ok1 := args[0].([]any)
		i, ok2 := integer(args[1])
		if !ok1 || !ok2 {
			return nil, ifail("States.ArrayGetItem takes an array and an integer index")
		}
		if i < 0 || i >= len(arr) {
			return nil, ifail("States.ArrayGetItem: index %d is out of range for an array of %d items", i, len(arr))
		}
		return arr[i], nil
	case "States.ArrayLength":
		if err := nargs(name, args, 1); err != nil {
			return nil, err
		}
		arr, ok := args[0].([]any)
		if !ok {
			return nil, ifail("States.ArrayLength takes an array")
		}
		return float64(len(arr)), nil
	case "States.ArrayUnique":
		if err := nargs(name, args, 1); err != nil {
			return nil, err
		}
		arr, ok := args[0].([]any)
		if !ok {
			return nil, ifail("States.ArrayUnique takes an array")
		}
		out := []any{}
		for _, v := range arr {
			dup := false
			for _, w := range out {
				dup = dup || reflect.DeepEqual(v, w)
			}
			if !dup {
				out = append(out, v)
			}
		}
		return out, nil
	case "States.Base64Encode", "States.Base64Decode":
		if err := nargs(name, args, 1); err != nil {
			return nil, err
		}
		s, ok := str(args[0])
		if !ok {
			return nil, ifail("%s takes a string", name)
		}
		if name == "States.Base64Encode" {
			return base64.StdEncoding.EncodeToString([]byte(s)), nil
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, ifail("States.Base64Decode: the string is not Base64")
		}
		return string(b), nil
	case "States.Hash":
		if err := nargs(name, args, 2); err != nil {
			return nil, err
		}
		s, ok1 := str(args[0])
		alg, ok2 := str(args[1])
		hashes := map[string]func() hash.Hash{"MD5": md5.New, "SHA-1": sha1.New, "SHA-256": sha256.New, "SHA-384": sha512.New384, "SHA-512": sha512.New}
		h, ok3 := hashes[alg]
		if !ok1 || !ok2 || !ok3 {
			return nil, ifail("States.Hash takes a string and MD5, SHA-1, SHA-256, SHA-384 or SHA-512")
		}
		d := h()
		d.Write([]byte(s))
		return hex.EncodeToString(d.Sum(nil)), nil
	case "States.JsonMerge":
		if err := nargs(name, args, 3); err != nil {
			return nil, err
		}
		a, ok1 := args[0].(map[string]any)
		b, ok2 := args[1].(map[string]any)
		if deep, _ := args[2].(bool); deep || !ok1 || !ok2 {
			return nil, ifail("States.JsonMerge takes two objects and false (deep merge is not supported by AWS)")
		}
		out := copyMap(a)
		for k, v := range b {
			out[k] = v
		}
		return out, nil
	case "States.MathRandom":
		if len(args) < 2 || len(args) > 3 {
			return nil, ifail("States.MathRandom takes start, end and an optional seed")
		}
		// Non-integer bounds are accepted and rounded, as AWS documents and shows for (12.50, 44.51).
		a, ok1 := rounded(args[0])
		b, ok2 := rounded(args[1])
		if !ok1 || !ok2 || b <= a {
			return nil, ifail("States.MathRandom takes numbers start < end, got %s and %s", compactJSON(args[0]), compactJSON(args[1]))
		}
		r := mrand.IntN(b-a) + a
		if len(args) == 3 {
			seed, ok := rounded(args[2])
			if !ok {
				return nil, ifail("States.MathRandom's seed must be a number, got %s", compactJSON(args[2]))
			}
			r = mrand.New(mrand.NewPCG(uint64(seed), 0)).IntN(b-a) + a
		}
		return float64(r), nil
	case "States.MathAdd":
		if err := nargs(name, args, 2); err != nil {
			return nil, err
		}
		// Each argument is rounded before the sum: 1.49 + 1.5 = 1 + 2 = 3 on AWS, not round(2.99).
		a, ok1 := rounded(args[0])
		b, ok2 := rounded(args[1])
		if !ok1 || !ok2 {
			return nil, ifail("States.MathAdd takes two numbers, got %s and %s", compactJSON(args[0]), compactJSON(args[1]))
		}
		return float64(a + b), nil
	case "States.StringSplit":
		if err := nargs(name, args, 2); err != nil {
			return nil, err
		}
		s, ok1 := str(args[0])
		sep, ok2 := str(args[1])
		if !ok1 || !ok2 {
			return nil, ifail("States.StringSplit takes two strings")
		}
		out := []any{}
		for _, part := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(sep, r) }) {
			out = append(out, part)
		}
		return out, nil
	case "States.UUID":
		var b [16]byte
		rand.Read(b[:])
		b[6] = b[6]&0x0f | 0x40
		b[8] = b[8]&0x3f | 0x80
		return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:]), nil
	}
	return nil, ifail("%s is not an intrinsic function", name)
}
