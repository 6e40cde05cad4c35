package states

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// rule is a Choice rule: a boolean combination or one comparison of Variable.
type rule struct {
	next     string
	and, or  []rule
	not      *rule
	variable string
	op       string
	value    any
	isPath   bool
}

var comparisons = map[string]bool{
	"StringEquals": true, "StringLessThan": true, "StringGreaterThan": true, "StringLessThanEquals": true, "StringGreaterThanEquals": true, "StringMatches": true,
	"NumericEquals": true, "NumericLessThan": true, "NumericGreaterThan": true, "NumericLessThanEquals": true, "NumericGreaterThanEquals": true,
	"BooleanEquals": true, "TimestampEquals": true, "TimestampLessThan": true, "TimestampGreaterThan": true, "TimestampLessThanEquals": true, "TimestampGreaterThanEquals": true,
	"IsNull": true, "IsPresent": true, "IsNumeric": true, "IsString": true, "IsBoolean": true, "IsTimestamp": true,
}

func parseRule(raw json.RawMessage, top bool) (rule, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return rule{}, err
	}
	var r rule
	if n, ok := m["Next"]; ok {
		json.Unmarshal(n, &r.next)
	}
	if top && r.next == "" {
		return rule{}, fmt.Errorf("a top-level rule needs Next")
	}
	for _, key := range []string{"And", "Or"} {
		if v, ok := m[key]; ok {
			var subs []json.RawMessage
			if err := json.Unmarshal(v, &subs); err != nil || len(subs) == 0 {
				return rule{}, fmt.Errorf("%s needs a list of rules", key)
			}
			for _, sub := range subs {
				sr, err := parseRule(sub, false)
				if err != nil {
					return rule{}, err
				}
				if key == "And" {
					r.and = append(r.and, sr)
				} else {
					r.or = append(r.or, sr)
				}
			}
			return r, nil
		}
	}
	if v, ok := m["Not"]; ok {
		sr, err := parseRule(v, false)
		if err != nil {
			return rule{}, err
		}
		r.not = &sr
		return r, nil
	}
	if err := json.Unmarshal(m["Variable"], &r.variable); err != nil || !strings.HasPrefix(r.variable, "$") {
		return rule{}, fmt.Errorf("Variable must be a path")
	}
	for k, v := range m {
		if k == "Variable" || k == "Next" || k == "Comment" {
			continue
		}
		op := strings.TrimSuffix(k, "Path")
		if !comparisons[op] || (strings.HasSuffix(k, "Path") && strings.HasPrefix(op, "Is")) {
			return rule{}, fmt.Errorf("unknown comparison %s", k)
		}
		r.op, r.isPath = op, strings.HasSuffix(k, "Path")
		json.Unmarshal(v, &r.value)
	}
	if r.op == "" {
		return rule{}, fmt.Errorf("no comparison")
	}
	return r, nil
}

func (r rule) eval(input, ctx any) (bool, error) {
	switch {
	case r.and != nil:
		for _, s := range r.and {
			if ok, err := s.eval(input, ctx); err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case r.or != nil:
		for _, s := range r.or {
			if ok, err := s.eval(input, ctx); err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case r.not != nil:
		ok, err := r.not.eval(input, ctx)
		return !ok, err
	}
	v, present, err := lookup(input, ctx, r.variable)
	if err != nil {
		return false, pathError(r.variable, err)
	}
	switch r.op {
	case "IsPresent":
		return present == r.value.(bool), nil
	case "IsNull":
		return (present && v == nil) == r.value.(bool), nil
	case "IsNumeric":
		_, isNum := v.(float64)
		return (present && isNum) == r.value.(bool), nil
	case "IsString":
		_, isStr := v.(string)
		return (present && isStr) == r.value.(bool), nil
	case "IsBoolean":
		_, isBool := v.(bool)
		return (present && isBool) == r.value.(bool), nil
	case "IsTimestamp":
		_, ok := timestamp(v)
		return (present && ok) == r.value.(bool), nil
	}
	if !present {
		// AWS: comparing a missing Variable is a runtime error, not false.
		return false, rtFail("Invalid path '%s': The choice state's condition path references an invalid value.", r.variable)
	}
	want := r.value
	if r.isPath {
		p, _ := r.value.(string)
		if want, err = mustLookup(input, ctx, p); err != nil {
			return false, err
		}
	}
	switch {
	case strings.HasPrefix(r.op, "String"):
		a, ok1 := v.(string)
		b, ok2 := want.(string)
		if !ok1 || !ok2 {
			return false, nil
		}
		if r.op == "StringMatches" {
			return wildcard(b, a), nil
		}
		return compare(r.op, strings.Compare(a, b)), nil
	case strings.HasPrefix(r.op, "Numeric"):
		a, ok1 := v.(float64)
		b, ok2 := want.(float64)
		if !ok1 || !ok2 {
			return false, nil
		}
		return compare(r.op, cmpFloat(a, b)), nil
	case r.op == "BooleanEquals":
		a, ok1 := v.(bool)
		b, ok2 := want.(bool)
		return ok1 && ok2 && a == b, nil
	case strings.HasPrefix(r.op, "Timestamp"):
		a, ok1 := timestamp(v)
		b, ok2 := timestamp(want)
		if !ok1 || !ok2 {
			return false, nil
		}
		return compare(r.op, a.Compare(b)), nil
	}
	return false, rtFail("unknown comparison %s", r.op)
}

func compare(op string, c int) bool {
	switch {
	case strings.HasSuffix(op, "LessThanEquals"):
		return c <= 0
	case strings.HasSuffix(op, "GreaterThanEquals"):
		return c >= 0
	case strings.HasSuffix(op, "LessThan"):
		return c < 0
	case strings.HasSuffix(op, "GreaterThan"):
		return c > 0
	}
	return c == 0
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func timestamp(v any) (time.Time, bool) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

// wildcard implements StringMatches: * matches any run, \* and \\ are literal.
func wildcard(p, s string) bool {
	if p == "" {
		return s == ""
	}
	if p[0] == '*' {
		for i := 0; i <= len(s); i++ {
			if wildcard(p[1:], s[i:]) {
				return true
			}
		}
		return false
	}
	c, rest := p[0], p[1:]
	if c == '\\' && len(rest) > 0 {
		c, rest = rest[0], rest[1:]
	}
	return len(s) > 0 && s[0] == c && wildcard(rest, s[1:])
}

// lookup reads $ paths from the input, $$ paths from the context object and $name paths from the
// workflow variables the context carries (vars.go); found is false when the path finds nothing. An
// undefined variable is an error (a *Failure).
func lookup(input, ctx any, p string) (any, bool, error) {
	if strings.HasPrefix(p, "$$") {
		if m, ok := ctx.(map[string]any); ok {
			ctx = contextObject(m)
		}
		return get(ctx, p)
	}
	if name, rest, ok := variableRef(p); ok {
		v, err := variableValue(ctx, p, name)
		if err != nil {
			return nil, false, err
		}
		return get(v, "$"+rest)
	}
	return get(input, p)
}
