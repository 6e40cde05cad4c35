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
		return fmt.Errorf("%s: JSONata expression %q: %v", field, src, err)
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
