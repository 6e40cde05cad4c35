package states

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrPath is a JSONPath that does not apply to the data (States.Runtime in AWS's terms).
var ErrPath = errors.New("states: path")

// step is one step of a reference path: a key or an index.
type step struct {
	key   string
	index int
	isIdx bool
}

// parsePath parses the reference-path subset ASL allows for InputPath, OutputPath, ResultPath and
// *Path fields: $, $.a.b, $['a b'], $.a[0]. The context object is addressed with $$.
func parsePath(p string) ([]step, error) {
	if !strings.HasPrefix(p, "$") {
		return nil, fmt.Errorf("%w: %q must start with $", ErrPath, p)
	}
	rest := strings.TrimPrefix(strings.TrimPrefix(p, "$"), "$")
	var steps []step
	for rest != "" {
		switch rest[0] {
		case '.':
			rest = rest[1:]
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			if end == 0 {
				return nil, fmt.Errorf("%w: %q has an empty key", ErrPath, p)
			}
			steps = append(steps, step{key: rest[:end]})
			rest = rest[end:]
		case '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, fmt.Errorf("%w: %q has an unclosed [", ErrPath, p)
			}
			inner := rest[1:end]
			rest = rest[end+1:]
			if len(inner) >= 2 && (inner[0] == '\'' || inner[0] == '"') && inner[len(inner)-1] == inner[0] {
				steps = append(steps, step{key: inner[1 : len(inner)-1]})
				continue
			}
			i, err := strconv.Atoi(inner)
			if err != nil || i < 0 {
				return nil, fmt.Errorf("%w: %q: [%s] is not supported (filters and slices are not reference paths)", ErrPath, p, inner)
			}
			steps = append(steps, step{index: i, isIdx: true})
		default:
			return nil, fmt.Errorf("%w: %q", ErrPath, p)
		}
	}
	return steps, nil
}

// get reads a path; found is false when it does not exist.
func get(doc any, p string) (any, bool, error) {
	steps, err := parsePath(p)
	if err != nil {
		return nil, false, err
	}
	cur := doc
	for _, s := range steps {
		if s.isIdx {
			arr, ok := cur.([]any)
			if !ok || s.index >= len(arr) {
				return nil, false, nil
			}
			cur = arr[s.index]
			continue
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false, nil
		}
		if cur, ok = m[s.key]; !ok {
			return nil, false, nil
		}
	}
	return cur, true, nil
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
	steps, err := parsePath(p)
	if err != nil {
		return nil, err
	}
	for _, s := range steps {
		if s.isIdx {
			return nil, fmt.Errorf("%w: ResultPath %q cannot index an array", ErrPath, p)
		}
	}
	return setSteps(doc, steps, value, p)
}

func setSteps(doc any, steps []step, value any, p string) (any, error) {
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
	child, err := setSteps(out[steps[0].key], steps[1:], value, p)
	if err != nil {
		return nil, err
	}
	out[steps[0].key] = child
	return out, nil
}
