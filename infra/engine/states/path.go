package states

import (
	"errors"
	"fmt"
	"strings"

	"github.com/orion-oss/orion/infra/engine/jsonpath"
)

// ErrPath is a JSONPath that does not apply to the data (States.Runtime in AWS's terms).
var ErrPath = errors.New("states: path")

// get reads a reference path ($ for the input, $$ for the context object, whichever doc the caller
// passed); found is false when it does not exist.
func get(doc any, p string) (any, bool, error) {
	v, ok, err := jsonpath.Get(doc, p)
	if err != nil {
		return nil, false, fmt.Errorf("%w: %w", ErrPath, err)
	}
	return v, ok, nil
}

// query evaluates the fuller JSONPath of Parameters, ResultSelector and ItemSelector values.
func query(doc any, p string) (any, bool, error) {
	v, ok, err := jsonpath.Query(doc, p)
	if err != nil {
		return nil, false, fmt.Errorf("%w: %w", ErrPath, err)
	}
	return v, ok, nil
}

// mustGet is get for paths that must exist (InputPath, *Path fields): a missing one is States.Runtime.
func mustGet(doc any, p string) (any, error) {
	v, ok, err := get(doc, p)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: '%s' does not exist in the input", ErrPath, p)
	}
	return v, nil
}

// set returns doc with value placed at path (ResultPath), creating objects on the way; doc is copied
// along the path so the caller's data is not changed.
func set(doc any, p string, value any) (any, error) {
	path, err := jsonpath.Parse(p)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrPath, err)
	}
	steps := path.Steps
	for _, s := range steps {
		if s.IsIndex {
			return nil, fmt.Errorf("%w: ResultPath '%s' cannot index an array", ErrPath, p)
		}
	}
	return setSteps(doc, steps, value, p)
}

func setSteps(doc any, steps []jsonpath.Step, value any, p string) (any, error) {
	if len(steps) == 0 {
		return value, nil
	}
	m, ok := doc.(map[string]any)
	if !ok {
		if doc != nil {
			return nil, fmt.Errorf("%w: ResultPath '%s' goes through a value that is not an object", ErrPath, p)
		}
		m = map[string]any{}
	}
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	child, err := setSteps(out[steps[0].Key], steps[1:], value, p)
	if err != nil {
		return nil, err
	}
	out[steps[0].Key] = child
	return out, nil
}

// mustLookup reads a reference path that must exist (InputPath, OutputPath, ItemsPath, a Task's
// *SecondsPath, a Choice rule's ...Path): a miss is States.Runtime with the cause AWS gives, e.g.
// "Invalid path '$.NoSuchInputPath' : No results for path: $['NoSuchInputPath']" (observed on AWS,
// LocalStack's test_base_scenarios.snapshot.json).
func mustLookup(input, ctx any, p string) (any, error) {
	v, ok, err := lookup(input, ctx, p)
	if err != nil {
		return nil, pathError(p, err)
	}
	if !ok {
		return nil, rtFail("Invalid path '%s' : %s", p, missing(input, ctx, p))
	}
	return v, nil
}

// pathError is the States.Runtime of a path that cannot be evaluated: a failure already phrased
// (an undefined variable) as it is, a malformed path in the words of mustLookup.
func pathError(p string, err error) *Failure {
	var f *Failure
	if errors.As(err, &f) {
		return f
	}
	return rtFail("Invalid path '%s' : %s", p, pathProblem(err))
}

// missing says where a reference path stops matching, in the words of the JSONPath library AWS
// uses (Jayway): a missing last step is "No results for path: $['a']['b']", a missing step before it
// "Missing property in path $['a']" (both observed on AWS: InputPath '$.NoSuchInputPath', OutputPath
// '$.no.such.result.path').
func missing(input, ctx any, p string) string {
	doc := input
	if name, rest, ok := variableRef(p); ok {
		doc, _ = variableValue(ctx, p, name)
		p = "$" + rest
	}
	path, err := jsonpath.Parse(p)
	if err != nil {
		return "No results for path: " + p
	}
	if path.Context {
		doc = ctx
	}
	for i := range path.Steps {
		sub := jsonpath.Path{Steps: path.Steps[:i+1]}
		if _, ok := sub.Lookup(doc); !ok {
			if i < len(path.Steps)-1 && !path.Steps[i].IsIndex {
				return "Missing property in path " + bracketed(sub.Steps)
			}
			break
		}
	}
	return "No results for path: " + bracketed(path.Steps)
}

// templateLookup reads the path of a template field ("x.$" in Parameters, ResultSelector,
// ItemSelector, an intrinsic's argument there) or of a Fail state's ErrorPath / CausePath. A miss is
// AWS's "The JSONPath '$.x' specified for the field 'x.$' could not be found in the input '{...}'"
// (observed on AWS for Parameters and ErrorPath / CausePath; the input is the state's, even for $$).
func templateLookup(input any, sctx map[string]any, p, field string) (any, error) {
	doc, expr := input, p
	if strings.HasPrefix(p, "$$") {
		doc, expr = any(contextObject(sctx)), p[1:]
	}
	v, ok, err := query(doc, expr)
	if err != nil {
		return nil, rtFail("Invalid path '%s' : %s", p, pathProblem(err))
	}
	if !ok {
		return nil, rtFail("The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'", p, field, compactJSON(input))
	}
	return v, nil
}

// pathProblem is the jsonpath package's own words on a malformed path, without our package prefix.
func pathProblem(err error) string {
	return strings.TrimPrefix(err.Error(), ErrPath.Error()+": ")
}

// bracketed writes a reference path in the normalised notation of AWS's causes: $['a']['b'][0].
func bracketed(steps []jsonpath.Step) string {
	var b strings.Builder
	b.WriteString("$")
	for _, s := range steps {
		if s.IsIndex {
			fmt.Fprintf(&b, "[%d]", s.Index)
			continue
		}
		fmt.Fprintf(&b, "['%s']", s.Key)
	}
	return b.String()
}

// resultPathFailure is the documented States.ResultPathMatchFailure: "Step Functions failed to apply
// a state's ResultPath field to the input the state received"
// (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html); the cause's
// text is ours.
func resultPathFailure(p string, input any, err error) *Failure {
	f := fail("States.ResultPathMatchFailure", "Unable to apply ResultPath '%s' to the input '%s': %s", p, compactJSON(input), pathProblem(err))
	f.local = true
	return f
}
