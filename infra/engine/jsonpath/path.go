// Package jsonpath is the one JSONPath implementation of the engine, for Step Functions (the JSONPath
// flavour of the Amazon States Language) and EventBridge (InputPath, input transformers, Pipes
// templates). It evaluates decoded JSON (map[string]any, []any and scalars).
//
// Two grammars, as AWS has them:
//   - reference paths (Parse, Get): $, .key, ['quoted key'] and [index], one node at most; both
//     services use them to read a value, Step Functions also to place one (ResultPath). Step
//     Functions' $$ (the context object) is a reference path too; EventBridge refuses it.
//   - queries (Query): a reference path plus wildcards ([*], .*), slices ([a:b]), index lists ([0,2])
//     and filters ([?(@.x > 1)], [?(@.x)]), which select a list. Step Functions allows them in
//     Parameters, ResultSelector and ItemSelector values only.
//
// https://states-language.net/#path, https://docs.aws.amazon.com/step-functions/latest/dg/amazon-states-language-paths.html
// and https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html.
package jsonpath

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrSyntax is a path that is not one of the grammar asked for. Errors wrap it; their text is the
// path and what is wrong with it, for the caller to prefix with its own words.
var ErrSyntax = errors.New("jsonpath: invalid path")

type syntaxError struct{ msg string }

func (e *syntaxError) Error() string        { return e.msg }
func (e *syntaxError) Is(target error) bool { return target == ErrSyntax }

func errorf(format string, args ...any) error { return &syntaxError{fmt.Sprintf(format, args...)} }

// Step is one step of a reference path: a key, or an index when IsIndex.
type Step struct {
	Key     string
	Index   int
	IsIndex bool
}

// Path is a parsed reference path. Context is true for $$ (Step Functions' context object).
type Path struct {
	Context bool
	Steps   []Step
}

// Parse parses a reference path: $ or $$, then .key, ['key'] (or ["key"]) and [index] steps.
func Parse(p string) (Path, error) {
	if !strings.HasPrefix(p, "$") {
		return Path{}, errorf("%q must start with $", p)
	}
	var path Path
	rest := p[1:]
	if strings.HasPrefix(rest, "$") {
		path.Context, rest = true, rest[1:]
	}
	for rest != "" {
		switch rest[0] {
		case '.':
			rest = rest[1:]
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			if end == 0 {
				return Path{}, errorf("%q has an empty key", p)
			}
			path.Steps = append(path.Steps, Step{Key: rest[:end]})
			rest = rest[end:]
		case '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return Path{}, errorf("%q has an unclosed [", p)
			}
			inner := rest[1:end]
			rest = rest[end+1:]
			if len(inner) >= 2 && (inner[0] == '\'' || inner[0] == '"') && inner[len(inner)-1] == inner[0] {
				path.Steps = append(path.Steps, Step{Key: inner[1 : len(inner)-1]})
				continue
			}
			i, err := strconv.Atoi(inner)
			if err != nil || i < 0 {
				return Path{}, errorf("%q: [%s] is not a key or an index (filters, slices and wildcards are not reference paths)", p, inner)
			}
			path.Steps = append(path.Steps, Step{Index: i, IsIndex: true})
		default:
			return Path{}, errorf("%q", p)
		}
	}
	return path, nil
}

// Lookup reads the path's value in doc; found is false when it does not exist there.
func (p Path) Lookup(doc any) (v any, found bool) {
	cur := doc
	for _, s := range p.Steps {
		if s.IsIndex {
			arr, ok := cur.([]any)
			if !ok || s.Index >= len(arr) {
				return nil, false
			}
			cur = arr[s.Index]
			continue
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[s.Key]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// Get parses the reference path p and reads it in doc (a $$ path too: the caller picks the document).
func Get(doc any, p string) (v any, found bool, err error) {
	path, err := Parse(p)
	if err != nil {
		return nil, false, err
	}
	v, found = path.Lookup(doc)
	return v, found, nil
}
