package states

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
)

// stepJSONata runs one state whose QueryLanguage is JSONata
// (https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html): Arguments give the
// task or branches their input, Output the state's output (by default its result, or its input where
// it has none), Assign the variables. $states.input is the state's input throughout, $states.result
// the result in Output and Assign, $states.errorOutput the error in a Catch, $states.context the
// context object. Assign and Output read the same variables, those of the state's entry.
func (e *Execution) stepJSONata(ctx context.Context, name string, s *state, raw any, sctx map[string]any) (any, string, error) {
	x := s.ext
	vars := e.scope().snapshot()
	bind := func(extra map[string]any) map[string]any {
		st := map[string]any{"input": raw, "context": sctx}
		for k, v := range extra {
			st[k] = v
		}
		b := make(map[string]any, len(vars)+1)
		for k, v := range vars {
			b[k] = v
		}
		b[reservedVariable] = st
		return b
	}
	next := s.Next
	if s.End {
		next = ""
	}
	switch s.Type {
	case "Succeed":
		out, err := e.finishJSONata(nil, x.output, x.hasOutput, raw, bind(nil), "")
		return out, "", err
	case "Fail":
		f := &Failure{Name: s.Error, Cause: s.Cause}
		b := bind(nil)
		for _, fld := range []struct {
			key string
			dst *string
		}{{"Error", &f.Name}, {"Cause", &f.Cause}} {
			src, ok := jsonataSource(x.exprFields[fld.key])
			if !ok {
				continue
			}
			v, err := evalJSONata(src, fld.key, b)
			if err != nil {
				return nil, "", err
			}
			str, ok := v.(string)
			if !ok {
				return nil, "", unexpectedType(src, fld.key, "string", v)
			}
			*fld.dst = str
		}
		return nil, "", f
	case "Choice":
		b := bind(nil)
		for i, r := range x.rules {
			src, _ := jsonataSource(r.condition)
			v, err := evalJSONata(src, fmt.Sprintf("Choices[%d]/Condition", i), b)
			if err != nil {
				return nil, "", err
			}
			ok, isBool := v.(bool)
			if !isBool {
				return nil, "", unexpectedType(src, fmt.Sprintf("Choices[%d]/Condition", i), "boolean", v)
			}
			if ok {
				assign, output, hasOutput := r.assign, r.output, r.hasOutput
				if assign == nil {
					assign = x.assign
				}
				if !hasOutput {
					output, hasOutput = x.output, x.hasOutput
				}
				out, err := e.finishJSONata(assign, output, hasOutput, raw, b, fmt.Sprintf("Choices[%d]/", i))
				return out, r.next, err
			}
		}
		if s.Default == "" {
			return nil, "", fail("States.NoChoiceMatched", "No Choice rule matched and no Default is set in state %s", name)
		}
		out, err := e.finishJSONata(x.assign, x.output, x.hasOutput, raw, b, "")
		return out, s.Default, err
	case "Wait":
		b := bind(nil)
		w := *s
		if src, ok := jsonataSource(x.exprFields["Seconds"]); ok {
			n, err := integerField(src, "Seconds", b)
			if err != nil {
				return nil, "", err
			}
			f := float64(n)
			w.Seconds = &f
		}
		if src, ok := jsonataSource(x.exprFields["Timestamp"]); ok {
			v, err := evalJSONata(src, "Timestamp", b)
			if err != nil {
				return nil, "", err
			}
			ts, ok := v.(string)
			if !ok {
				return nil, "", unexpectedType(src, "Timestamp", "string", v)
			}
			if _, valid := waitTimestamp(ts); !valid {
				// Observed on AWS for "2016-12-05 21:29:29Z", no zone, month 13, hour 25 and day
				// first (LocalStack's test_base_scenarios.snapshot.json, test_wait_timestamp_jsonata).
				return nil, "", errQuery("The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: %s", ts)
			}
			w.Timestamp = ts
		}
		d, err := waitFor(&w, raw, sctx)
		if err != nil {
			return nil, "", err
		}
		if err := e.sleep(ctx, d); err != nil {
			return nil, "", fail("States.Timeout", "The execution timed out")
		}
		out, err := e.finishJSONata(x.assign, x.output, x.hasOutput, raw, b, "")
		return out, next, err
	case "Pass":
		out, err := e.finishJSONata(x.assign, x.output, x.hasOutput, raw, bind(nil), "")
		return out, next, err
	}
	// Task, Parallel, Map.
	if s.Type == "Task" && strings.HasSuffix(s.Resource, ".waitForTaskToken") {
		sctx["Task"] = map[string]any{"Token": newID()}
	}
	// Arguments are evaluated on every attempt, as Parameters are.
	result, err := e.withRetry(ctx, name, s, sctx, func(ctx context.Context) (any, error) {
		b := bind(nil)
		args := raw
		if x.hasArgs {
			var err error
			if args, err = evalTemplate(x.arguments, "Arguments", b); err != nil {
				return nil, err
			}
		}
		switch s.Type {
		case "Task":
			t := *s
			for _, fld := range []struct {
				key string
				dst *int
			}{{"TimeoutSeconds", &t.TimeoutSeconds}, {"HeartbeatSeconds", &t.HeartbeatSeconds}} {
				if src, ok := jsonataSource(x.exprFields[fld.key]); ok {
					n, err := integerField(src, fld.key, b)
					if err != nil {
						return nil, err
					}
					if n <= 0 {
						return nil, errQuery("The JSONata expression '%s' specified for the field '%s' returned %d; a positive integer is required", src, fld.key, n)
					}
					*fld.dst = n
				}
			}
			return e.work(ctx, &t, args, sctx)
		case "Map":
			return e.mapJSONata(ctx, s, args, sctx, b)
		}
		return e.work(ctx, s, args, sctx)
	})
	if err == nil {
		// Output and Assign are part of the state: their failure is caught like the task's
		// (a Catch on States.QueryEvaluationError fires), but not retried.
		var out any
		if out, err = e.finishJSONata(x.assign, x.output, x.hasOutput, result, bind(map[string]any{"result": result}), ""); err == nil {
			return out, next, nil
		}
	}
	var f *Failure
	if !errors.As(err, &f) {
		f = rtFail("The state could not be run") // as Run words a failure that is not AWS's
	}
	f = e.locate(name, f) // a caught failure keeps AWS's cause too
	// A caught state's own Assign is not applied; the catcher's is (workflow-variables.html).
	e.setPending(nil)
	for i, c := range s.Catch {
		if !f.matchedBy(c.ErrorEquals) {
			continue
		}
		errorOutput := map[string]any{"Error": f.Name, "Cause": f.Cause}
		var ec extCatch
		if i < len(x.catch) {
			ec = x.catch[i]
		}
		out, err := e.finishJSONata(ec.assign, ec.output, ec.hasOutput, errorOutput, bind(map[string]any{"errorOutput": errorOutput}), fmt.Sprintf("Catch[%d]/", i))
		return out, c.Next, err
	}
	return nil, "", f
}

// finishJSONata evaluates Assign and Output with the same bindings (they are evaluated "at the same
// time": Output does not see what Assign sets) and records the assignments; without Output the state's
// output is def.
// prefix names the rule or catcher the fields belong to ("Choices[1]/", "Catch[0]/").
func (e *Execution) finishJSONata(assign map[string]any, output any, hasOutput bool, def any, b map[string]any, prefix string) (any, error) {
	if assign != nil {
		v, err := evalTemplate(assign, prefix+"Assign", b)
		if err != nil {
			return nil, err
		}
		vals, _ := v.(map[string]any)
		e.setPending(vals)
	}
	if !hasOutput {
		return def, nil
	}
	return evalTemplate(output, prefix+"Output", b)
}

// mapJSONata runs a JSONata Map state: Items (default: the state's input) must give an array;
// ItemSelector is evaluated per item with $states.context.Map.Item; MaxConcurrency and the tolerated
// failures may be expressions. The iterations then run as runMap runs them.
func (e *Execution) mapJSONata(ctx context.Context, s *state, in any, sctx map[string]any, b map[string]any) (any, error) {
	x := s.ext
	items := in
	if x.hasItems {
		var err error
		if items, err = evalTemplate(x.items, "Items", b); err != nil {
			return nil, err
		}
	}
	list, ok := items.([]any)
	if !ok {
		if src, isExpr := jsonataSource(x.items); x.hasItems && isExpr {
			return nil, unexpectedType(src, "Items", "array", items)
		}
		// Observed on AWS for a JSONata Map without Items whose input is not an array.
		return nil, errQuery("Map state input must be an array but was: %s", compactJSON(items))
	}
	if x.hasSel {
		selected := make([]any, len(list))
		for i, item := range list {
			ictx := copyMap(sctx)
			ictx["Map"] = map[string]any{"Item": map[string]any{"Index": float64(i), "Value": item}}
			st, _ := b[reservedVariable].(map[string]any)
			st = copyMap(st)
			st["context"] = ictx
			ib := copyMap(b)
			ib[reservedVariable] = st
			v, err := evalTemplate(x.selector, "ItemSelector", ib)
			if err != nil {
				return nil, err
			}
			selected[i] = v
		}
		list = selected
	}
	m := *s
	m.ItemsPath, m.ItemSelector, m.Parameters = "$", nil, nil
	if src, ok := jsonataSource(x.exprFields["MaxConcurrency"]); ok {
		n, err := integerField(src, "MaxConcurrency", b)
		if err != nil {
			return nil, err
		}
		if n < 0 {
			return nil, errQuery("The JSONata expression '%s' specified for the field 'MaxConcurrency' returned %d; a non-negative integer is required", src, n)
		}
		m.MaxConcurrency = n
	}
	if src, ok := jsonataSource(x.exprFields["ToleratedFailureCount"]); ok {
		n, err := integerField(src, "ToleratedFailureCount", b)
		if err != nil {
			return nil, err
		}
		m.ToleratedFailureCount = &n
	}
	if src, ok := jsonataSource(x.exprFields["ToleratedFailurePercentage"]); ok {
		v, err := evalJSONata(src, "ToleratedFailurePercentage", b)
		if err != nil {
			return nil, err
		}
		p, ok := v.(float64)
		if !ok || p < 0 || p > 100 {
			return nil, errQuery("The JSONata expression '%s' specified for the field 'ToleratedFailurePercentage' returned %s; a number from 0 to 100 is required", src, compactJSON(v))
		}
		m.ToleratedFailurePercentage = &p
	}
	return e.runMap(ctx, &m, list, sctx)
}

// integerField evaluates an expression that must give an integer (TimeoutSeconds, Seconds...).
func integerField(src, field string, b map[string]any) (int, error) {
	v, err := evalJSONata(src, field, b)
	if err != nil {
		return 0, err
	}
	f, ok := v.(float64)
	if !ok || f != math.Trunc(f) || math.Abs(f) > math.MaxInt32*1e3 {
		return 0, errQuery("The JSONata expression '%s' specified for the field '%s' returned %s; an integer is required", src, field, compactJSON(v))
	}
	return int(f), nil
}

// unexpectedType is AWS's cause for a JSONata field whose value has the wrong type, observed for a
// Map's Items ("The JSONata expression '1' specified for the field 'Items' returned an unexpected
// result type. Expected 'array', but was 'number' for value: 1"; LocalStack's AWS-validated Map
// snapshots) and used in the same words for Condition (boolean) and a Fail state's Error and Cause
// (string).
func unexpectedType(src, field, want string, v any) *Failure {
	return errQuery("The JSONata expression '%s' specified for the field '%s' returned an unexpected result type. Expected '%s', but was '%s' for value: %s", src, field, want, jsonTypeName(v), compactJSON(v))
}

// jsonTypeName is a value's JSON type.
func jsonTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	}
	return "object"
}
