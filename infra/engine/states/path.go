package states

import (
	"errors"
	"fmt"

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
		return nil, fmt.Errorf("%w: %s does not exist in the input", ErrPath, p)
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
			return nil, fmt.Errorf("%w: ResultPath %q cannot index an array", ErrPath, p)
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
			return nil, fmt.Errorf("%w: ResultPath %q goes through a value that is not an object", ErrPath, p)
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
