package states

import (
	"strings"

	"github.com/orion-oss/orion/infra/engine/jsonpath"
)

// failState builds a Fail state's failure. ErrorPath and CausePath take a reference path or one of
// the intrinsics AWS lists for them, and must give a string.
// https://docs.aws.amazon.com/step-functions/latest/dg/state-fail.html
func failState(s *state, raw any, sctx map[string]any) *Failure {
	f := &Failure{Name: s.Error, Cause: s.Cause}
	for _, p := range []struct {
		field, expr string
		to          *string
	}{{"ErrorPath", s.ErrorPath, &f.Name}, {"CausePath", s.CausePath, &f.Cause}} {
		if p.expr == "" {
			continue
		}
		v, err := evaluate(p.expr, p.field, raw, sctx)
		if err != nil {
			ff, _ := err.(*Failure)
			if ff == nil {
				ff = rtFail("The %s could not be evaluated", p.field)
			}
			return ff
		}
		str, ok := v.(string)
		if !ok {
			// The docs require a string; AWS's text for another type is not recorded (ADR 0023).
			return rtFail("The %s '%s' must resolve to a string, but resolved to %s", p.field, p.expr, compactJSON(v))
		}
		*p.to = str
	}
	return f
}

// failPathIntrinsics are the intrinsics AWS allows in ErrorPath and CausePath (state-fail.html).
var failPathIntrinsics = []string{"States.Format", "States.JsonToString", "States.ArrayGetItem", "States.Base64Encode", "States.Base64Decode", "States.Hash", "States.UUID"}

// checkFailPath refuses, at load, an ErrorPath / CausePath that is neither a reference path nor one of
// the allowed intrinsics, as CreateStateMachine does.
func checkFailPath(field, expr string) error {
	if expr == "" {
		return nil
	}
	if strings.HasPrefix(expr, "States.") {
		for _, fn := range failPathIntrinsics {
			if strings.HasPrefix(expr, fn+"(") {
				return nil
			}
		}
		return &loadError{field + " may use only " + strings.Join(failPathIntrinsics, ", ")}
	}
	if _, _, isVar := variableRef(expr); isVar {
		return nil // a workflow variable, $name or $name.path (workflow-variables.html)
	}
	if _, err := jsonpath.Parse(expr); err != nil {
		return &loadError{field + " is not a reference path: " + expr}
	}
	return nil
}

type loadError struct{ msg string }

func (e *loadError) Error() string { return e.msg }
