package states

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/blues/jsonata-go/jparse"
)

// checkExpression applies the checks CreateStateMachine makes on a JSONata expression beyond its
// syntax: an expression runs with no context item, so a path that starts from neither $states nor a
// variable ("phone" instead of "$states.input.phone") is refused, and so are $$ and, outside a
// catcher's Output and Assign, $states.errorOutput (UNSUPPORTED_JSONATA_EXPRESSION; measured on AWS's
// ValidateStateMachineDefinition by other emulators, ADR 0024).
func checkExpression(src, field string, inCatch, hasResult bool) error {
	if strings.Contains(src, "$$") {
		return fmt.Errorf("%s: Reference to '$$' is not supported", field)
	}
	// "Attempting to access $states.result or $states.errorOutput in fields and states where they are
	// not accessible will be caught at creation" (workflow-variables.html).
	if !inCatch && strings.Contains(src, "$states.errorOutput") {
		return fmt.Errorf("%s: $states.errorOutput is only available in a Catch's Output and Assign", field)
	}
	if !hasResult && strings.Contains(src, "$states.result") {
		return fmt.Errorf("%s: $states.result is only available in the Output and Assign of a Task, Parallel or Map state", field)
	}
	node, err := jparse.Parse(src)
	if err != nil {
		if strings.Contains(err.Error(), "'%'") {
			// jsonata-go reads % only as modulo; JSONata 1.7's parent operator is a syntax error.
			return fmt.Errorf("%s: JSONata expression %q: %s", field, src, refusal("the parent operator % (JSONata 1.7)"))
		}
		return fmt.Errorf("%s: JSONata expression %q: %v", field, src, err)
	}
	if feature := unsupportedJSONata(reflect.ValueOf(node)); feature != "" {
		return fmt.Errorf("%s: JSONata expression %q: %s", field, src, refusal(feature))
	}
	if name := topLevelName(reflect.ValueOf(node), false); name != "" {
		return fmt.Errorf("%s: Reference to '%s' at the top level is not supported (read the input as $states.input.%s, a variable as $%s)", field, name, name, name)
	}
	return nil
}

// topLevelName finds a field name read where there is no context item: the first step of a path at
// the top, outside predicates, sort terms, groupings and later path steps (which have a context).
func topLevelName(v reflect.Value, ctx bool) string {
	for v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return ""
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return ""
	}
	switch v.Type().Name() {
	case "NameNode":
		if !ctx {
			return v.FieldByName("Value").String()
		}
		return ""
	case "PathNode":
		steps := v.FieldByName("Steps")
		for i := 0; i < steps.Len(); i++ {
			if n := topLevelName(steps.Index(i), ctx || i > 0); n != "" {
				return n
			}
		}
		return ""
	case "dotNode", "predicateNode":
		if n := topLevelName(v.FieldByName("lhs"), ctx); n != "" {
			return n
		}
		return topLevelName(v.FieldByName("rhs"), true)
	case "PredicateNode":
		if n := topLevelName(v.FieldByName("Expr"), ctx); n != "" {
			return n
		}
		return walkFields(v, true, "Expr")
	case "SortNode", "GroupNode":
		if n := topLevelName(v.FieldByName("Expr"), ctx); n != "" {
			return n
		}
		return walkFields(v, true, "Expr")
	}
	return walkFields(v, ctx, "")
}

// walkFields walks the node-valued fields of a node struct (Node, []Node, [][2]Node, []SortTerm,
// embedded nodes), skipping the field named skip.
func walkFields(v reflect.Value, ctx bool, skip string) string {
	for i := 0; i < v.NumField(); i++ {
		if v.Type().Field(i).Name == skip {
			continue
		}
		f := v.Field(i)
		switch f.Kind() {
		case reflect.Interface, reflect.Pointer, reflect.Struct:
			if n := topLevelName(f, ctx); n != "" {
				return n
			}
		case reflect.Slice, reflect.Array:
			for j := 0; j < f.Len(); j++ {
				if n := topLevelName(f.Index(j), ctx); n != "" {
					return n
				}
				if e := f.Index(j); e.Kind() == reflect.Array {
					for k := 0; k < e.Len(); k++ {
						if n := topLevelName(e.Index(k), ctx); n != "" {
							return n
						}
					}
				}
			}
		}
	}
	return ""
}

// jparsePkg is the package of the syntax tree's nodes.
var jparsePkg = reflect.TypeOf(jparse.NameNode{}).PkgPath()

// refusal says that a JSONata feature Step Functions has (jsonata-js 2.0.6) is missing from the
// local runtime's library, jsonata-go, rather than let the expression give another result.
func refusal(feature string) string {
	return feature + " is not supported by the local runtime's JSONata library (jsonata-go, which implements JSONata 1.5; AWS runs 2.0.6): rewrite the expression without it (docs/adr/0024-jsonata-and-variables-in-local-step-functions.md)"
}

// unsupportedJSONata names a JSONata feature jsonata-go parses as something else and would evaluate
// silently wrong (ADR 0024's table): the positional binding "#$i" and the context binding "@$v" of
// JSONata 1.6, which its lexer reads as part of a field or variable name ("items#$i", undefined). A
// field name written in backticks may hold either character.
func unsupportedJSONata(v reflect.Value) string {
	for v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return ""
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Struct:
		if v.Type().PkgPath() != jparsePkg {
			return "" // a regexp or another value a node holds, not a node
		}
		var name string
		switch v.Type().Name() {
		case "NameNode":
			if !v.FieldByName("escaped").Bool() {
				name = v.FieldByName("Value").String()
			}
		case "VariableNode":
			name = v.FieldByName("Name").String()
		}
		switch {
		case strings.Contains(name, "#"):
			return "the positional variable binding # (JSONata 1.6)"
		case strings.Contains(name, "@"):
			return "the context variable binding @ (JSONata 1.6)"
		}
		for i := 0; i < v.NumField(); i++ {
			if f := unsupportedJSONata(v.Field(i)); f != "" {
				return f
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if f := unsupportedJSONata(v.Index(i)); f != "" {
				return f
			}
		}
	}
	return ""
}
