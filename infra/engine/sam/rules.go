package sam

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrRule is wrapped by the error of a rule assertion that fails: CloudFormation refuses to create or
// update the stack with these parameter values.
var ErrRule = errors.New("sam: template rule refused the parameters")

// CheckRules evaluates the template's Rules against env's parameter values, as CloudFormation does
// before it creates or updates a stack: a rule whose RuleCondition holds (or that has none) must see
// every Assert true, else the stack operation fails with the assertion's AssertDescription. Only the
// rule-specific intrinsic functions are allowed there (docs.aws.amazon.com/AWSCloudFormation/latest/
// UserGuide/intrinsic-function-reference-rules.html); Fn::RefAll, Fn::ValueOf and Fn::ValueOfAll read
// AWS-specific parameter types and account state, and are refused as unsupported locally. Every failed
// assertion is reported, in rule order.
func (t *Template) CheckRules(env Env) error {
	names := make([]string, 0, len(t.Rules))
	for n := range t.Rules {
		names = append(names, n)
	}
	sort.Strings(names)
	var failed []string
	for _, name := range names {
		path := "Rules." + name
		rule, ok := t.Rules[name].(map[string]any)
		if !ok {
			return fmt.Errorf("%w: %s is not a mapping", ErrTemplate, path)
		}
		if c, ok := rule["RuleCondition"]; ok {
			applies, err := t.ruleBool(c, env, path+".RuleCondition")
			if err != nil {
				return err
			}
			if !applies {
				continue
			}
		}
		asserts, ok := rule["Assertions"].([]any)
		if !ok || len(asserts) == 0 {
			return fmt.Errorf("%w: %s has no Assertions", ErrTemplate, path)
		}
		for i, a := range asserts {
			ap := fmt.Sprintf("%s.Assertions[%d]", path, i)
			m, ok := a.(map[string]any)
			if !ok || m["Assert"] == nil {
				return fmt.Errorf("%w: %s has no Assert", ErrTemplate, ap)
			}
			holds, err := t.ruleBool(m["Assert"], env, ap+".Assert")
			if err != nil {
				return err
			}
			if !holds {
				desc, _ := m["AssertDescription"].(string)
				if desc == "" {
					desc = "assertion failed"
				}
				failed = append(failed, fmt.Sprintf("%s: %s", ap, desc))
			}
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%w: %s", ErrRule, strings.Join(failed, "; "))
	}
	return nil
}

func (t *Template) ruleBool(v any, env Env, path string) (bool, error) {
	r, err := t.ruleEval(v, env, path)
	if err != nil {
		return false, err
	}
	switch b := r.(type) {
	case bool:
		return b, nil
	case string:
		switch b {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	}
	return false, fmt.Errorf("%w: %s: %v is not a condition", ErrTemplate, path, r)
}

// ruleEval evaluates a value inside a rule: a rule function, a Ref to a parameter, or a literal.
func (t *Template) ruleEval(v any, env Env, path string) (any, error) {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, c := range x {
			r, err := t.ruleEval(c, env, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case map[string]any:
		if len(x) != 1 {
			return nil, fmt.Errorf("%w: %s: a mapping is not a value in a rule", ErrTemplate, path)
		}
		for op, arg := range x {
			return t.ruleFunc(op, arg, env, joinPath(path, op))
		}
	}
	return v, nil
}

func (t *Template) ruleFunc(op string, arg any, env Env, path string) (any, error) {
	args := func(n int) ([]any, error) {
		a, ok := arg.([]any)
		if !ok || (n > 0 && len(a) != n) {
			return nil, fmt.Errorf("%w: %s takes %d arguments", ErrTemplate, path, n)
		}
		out, err := t.ruleEval(a, env, path) // a list evaluates element by element
		if err != nil {
			return nil, err
		}
		return out.([]any), nil
	}
	strs := func(v any, what string) ([]string, error) {
		l, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("%w: %s: %s is not a list of strings", ErrTemplate, path, what)
		}
		out := make([]string, len(l))
		for i, s := range l {
			out[i] = scalarString(s)
		}
		return out, nil
	}
	switch op {
	case "Ref":
		// In rules a Ref names a parameter (or a pseudo parameter), never a resource.
		name, _ := arg.(string)
		if v, ok := env.pseudo(name); ok {
			return v, nil
		}
		v, ok := env.Parameters[name]
		if !ok {
			return nil, fmt.Errorf("%w: %s: %q is not a parameter", ErrTemplate, path, name)
		}
		return v, nil
	case "Fn::Equals":
		a, err := args(2)
		if err != nil {
			return nil, err
		}
		return scalarString(a[0]) == scalarString(a[1]), nil
	case "Fn::Not":
		a, err := args(1)
		if err != nil {
			return nil, err
		}
		b, err := t.ruleBool(a[0], env, path)
		return !b, err
	case "Fn::And", "Fn::Or":
		a, err := args(0)
		if err != nil {
			return nil, err
		}
		if len(a) < 2 || len(a) > 10 {
			return nil, fmt.Errorf("%w: %s takes 2 to 10 conditions", ErrTemplate, path)
		}
		all, some := true, false
		for _, c := range a {
			b, err := t.ruleBool(c, env, path)
			if err != nil {
				return nil, err
			}
			all, some = all && b, some || b
		}
		if op == "Fn::And" {
			return all, nil
		}
		return some, nil
	case "Fn::Contains", "Fn::EachMemberEquals":
		// [list of strings, string]: some member (Contains) or every member (EachMemberEquals) equals it.
		a, err := args(2)
		if err != nil {
			return nil, err
		}
		list, err := strs(a[0], "the first argument")
		if err != nil {
			return nil, err
		}
		s := scalarString(a[1])
		some, every := false, true
		for _, m := range list {
			some, every = some || m == s, every && m == s
		}
		if op == "Fn::Contains" {
			return some, nil
		}
		return every, nil
	case "Fn::EachMemberIn":
		// [strings to check, strings to match]: every member of the first is in the second.
		a, err := args(2)
		if err != nil {
			return nil, err
		}
		check, err := strs(a[0], "the first argument")
		if err != nil {
			return nil, err
		}
		match, err := strs(a[1], "the second argument")
		if err != nil {
			return nil, err
		}
		in := map[string]bool{}
		for _, m := range match {
			in[m] = true
		}
		for _, c := range check {
			if !in[c] {
				return false, nil
			}
		}
		return true, nil
	}
	return nil, fmt.Errorf("%w: %s: %s is not evaluated in rules by the local runtime", ErrUnsupported, path, op)
}
