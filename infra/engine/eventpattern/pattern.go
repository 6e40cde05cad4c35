// Package eventpattern matches JSON events against Amazon EventBridge event patterns, and applies the
// input transformations of EventBridge targets and Pipes, as AWS documents them:
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html and
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html.
//
// Patterns compile once and match many events. Following EventBridge, arrays in the event are
// flattened: each leaf of a pattern is tested against every value found at its path, through arrays at
// any level, and matches when any of them does.
package eventpattern

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// ErrInvalidPattern is wrapped by every compile error.
var ErrInvalidPattern = errors.New("eventpattern: invalid pattern")

// Pattern is a compiled event pattern.
type Pattern struct {
	root *node
}

// node is one object level of a pattern: fields that must all match, and $or alternatives (each a
// node at the same level) of which one must match.
type node struct {
	fields []field
	ors    [][]*node
}

type field struct {
	key    string
	child  *node     // nested object pattern
	leaf   []matcher // array of value matchers
	isLeaf bool
}

// Compile parses and validates a pattern.
func Compile(pattern []byte) (*Pattern, error) {
	d := json.NewDecoder(bytes.NewReader(pattern))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: not JSON: %v", ErrInvalidPattern, err)
	}
	if d.More() {
		return nil, fmt.Errorf("%w: trailing data", ErrInvalidPattern)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: a pattern must be a JSON object", ErrInvalidPattern)
	}
	n, err := compileObject(obj, "")
	if err != nil {
		return nil, err
	}
	return &Pattern{root: n}, nil
}

func compileObject(obj map[string]any, path string) (*node, error) {
	n := &node{}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys) // deterministic errors and evaluation
	for _, k := range keys {
		v := obj[k]
		p := join(path, k)
		if k == "$or" {
			alts, ok := v.([]any)
			if !ok || len(alts) < 2 {
				return nil, fmt.Errorf("%w: %s must be an array of at least two patterns", ErrInvalidPattern, p)
			}
			var group []*node
			for i, a := range alts {
				ao, ok := a.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("%w: %s[%d] must be an object", ErrInvalidPattern, p, i)
				}
				c, err := compileObject(ao, path)
				if err != nil {
					return nil, err
				}
				group = append(group, c)
			}
			n.ors = append(n.ors, group)
			continue
		}
		switch x := v.(type) {
		case map[string]any:
			c, err := compileObject(x, p)
			if err != nil {
				return nil, err
			}
			n.fields = append(n.fields, field{key: k, child: c})
		case []any:
			ms := make([]matcher, 0, len(x))
			for i, item := range x {
				m, err := compileMatcher(item, fmt.Sprintf("%s[%d]", p, i))
				if err != nil {
					return nil, err
				}
				ms = append(ms, m)
			}
			n.fields = append(n.fields, field{key: k, leaf: ms, isLeaf: true})
		default:
			return nil, fmt.Errorf("%w: %s must be an object or an array of match values, not %s", ErrInvalidPattern, p, jsonText(v))
		}
	}
	if len(n.fields) == 0 && len(n.ors) == 0 && path != "" {
		return nil, fmt.Errorf("%w: %s is an empty object", ErrInvalidPattern, path)
	}
	return n, nil
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// MatchValue tests a decoded event (numbers as json.Number or float64).
func (p *Pattern) MatchValue(event any) bool {
	return p.root.match([]any{event})
}

// Match tests a JSON event.
func (p *Pattern) Match(event []byte) (bool, error) {
	d := json.NewDecoder(bytes.NewReader(event))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return false, fmt.Errorf("eventpattern: event is not JSON: %w", err)
	}
	return p.MatchValue(v), nil
}

// match tests a node against the values found at its level (several when an array was flattened).
func (n *node) match(values []any) bool {
	for _, f := range n.fields {
		found := collect(values, f.key)
		if f.isLeaf {
			if !matchLeaf(f.leaf, found) {
				return false
			}
			continue
		}
		if !f.child.match(found) {
			return false
		}
	}
	for _, group := range n.ors {
		matched := false
		for _, alt := range group {
			if alt.match(values) {
				matched = true
				break
			}
		}
		if !matched {
			return false
		}
	}
	return true
}

// collect returns the values at key in each object of values, flattening arrays.
func collect(values []any, key string) []any {
	var out []any
	for _, v := range values {
		switch x := v.(type) {
		case map[string]any:
			if c, ok := x[key]; ok {
				out = appendFlat(out, c)
			}
		case []any:
			out = append(out, collect(x, key)...)
		}
	}
	return out
}

func appendFlat(out []any, v any) []any {
	if arr, ok := v.([]any); ok {
		for _, e := range arr {
			out = appendFlat(out, e)
		}
		return out
	}
	return append(out, v)
}

func matchLeaf(ms []matcher, found []any) bool {
	for _, m := range ms {
		if m.kind == kExists {
			if m.exists == (len(found) > 0) {
				return true
			}
			continue
		}
		for _, v := range found {
			if m.match(v) {
				return true
			}
		}
	}
	return false
}

type kind int

const (
	kExact kind = iota
	kNull
	kPrefix
	kSuffix
	kEqualsIgnoreCase
	kWildcard
	kNumeric
	kExists
	kAnythingBut
	kCIDR
)

type matcher struct {
	kind       kind
	str        string
	num        *float64
	boolean    *bool
	ignoreCase bool
	exists     bool
	ranges     []bound
	prefix     netip.Prefix
	not        []matcher // anything-but alternatives
}

type bound struct {
	op  string
	val float64
}

func compileMatcher(v any, path string) (matcher, error) {
	switch x := v.(type) {
	case string:
		return matcher{kind: kExact, str: x}, nil
	case json.Number:
		f, err := number(x)
		if err != nil {
			return matcher{}, fmt.Errorf("%w: %s: %v", ErrInvalidPattern, path, err)
		}
		return matcher{kind: kExact, num: &f}, nil
	case bool:
		return matcher{kind: kExact, boolean: &x}, nil
	case nil:
		return matcher{kind: kNull}, nil
	case map[string]any:
		if len(x) != 1 {
			return matcher{}, fmt.Errorf("%w: %s: a match object must hold exactly one operator", ErrInvalidPattern, path)
		}
		for op, arg := range x {
			return compileOperator(op, arg, path)
		}
	}
	return matcher{}, fmt.Errorf("%w: %s: %s cannot be matched", ErrInvalidPattern, path, jsonText(v))
}

func compileOperator(op string, arg any, path string) (matcher, error) {
	bad := func(format string, a ...any) (matcher, error) {
		return matcher{}, fmt.Errorf("%w: %s.%s: %s", ErrInvalidPattern, path, op, fmt.Sprintf(format, a...))
	}
	switch op {
	case "prefix", "suffix":
		k := kPrefix
		if op == "suffix" {
			k = kSuffix
		}
		switch a := arg.(type) {
		case string:
			return matcher{kind: k, str: a}, nil
		case map[string]any:
			s, ok := a["equals-ignore-case"].(string)
			if len(a) != 1 || !ok {
				return bad("takes a string or {\"equals-ignore-case\": string}")
			}
			return matcher{kind: k, str: strings.ToLower(s), ignoreCase: true}, nil
		}
		return bad("takes a string")
	case "equals-ignore-case":
		s, ok := arg.(string)
		if !ok {
			return bad("takes a string")
		}
		return matcher{kind: kEqualsIgnoreCase, str: strings.ToLower(s)}, nil
	case "wildcard":
		s, ok := arg.(string)
		if !ok {
			return bad("takes a string")
		}
		if err := validWildcard(s); err != nil {
			return bad("%v", err)
		}
		return matcher{kind: kWildcard, str: s}, nil
	case "exists":
		b, ok := arg.(bool)
		if !ok {
			return bad("takes true or false")
		}
		return matcher{kind: kExists, exists: b}, nil
	case "cidr":
		s, ok := arg.(string)
		if !ok {
			return bad("takes a CIDR string")
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return bad("%q is not a CIDR block", s)
		}
		return matcher{kind: kCIDR, prefix: p.Masked()}, nil
	case "numeric":
		return compileNumeric(arg, path)
	case "anything-but":
		return compileAnythingBut(arg, path)
	}
	return bad("unknown operator")
}

func compileNumeric(arg any, path string) (matcher, error) {
	list, ok := arg.([]any)
	if !ok || len(list) == 0 || len(list)%2 != 0 || len(list) > 4 {
		return matcher{}, fmt.Errorf("%w: %s.numeric: takes [op, number] or [op, number, op, number]", ErrInvalidPattern, path)
	}
	m := matcher{kind: kNumeric}
	for i := 0; i < len(list); i += 2 {
		op, ok := list[i].(string)
		if !ok || (op != "<" && op != "<=" && op != "=" && op != ">" && op != ">=") {
			return matcher{}, fmt.Errorf("%w: %s.numeric: %s is not <, <=, =, > or >=", ErrInvalidPattern, path, jsonText(list[i]))
		}
		n, ok := list[i+1].(json.Number)
		if !ok {
			return matcher{}, fmt.Errorf("%w: %s.numeric: %s is not a number", ErrInvalidPattern, path, jsonText(list[i+1]))
		}
		f, err := number(n)
		if err != nil {
			return matcher{}, fmt.Errorf("%w: %s.numeric: %v", ErrInvalidPattern, path, err)
		}
		m.ranges = append(m.ranges, bound{op: op, val: f})
	}
	if len(m.ranges) == 2 {
		lo, hi := m.ranges[0], m.ranges[1]
		if !(lo.op == ">" || lo.op == ">=") || !(hi.op == "<" || hi.op == "<=") || lo.val >= hi.val {
			return matcher{}, fmt.Errorf("%w: %s.numeric: a range is [\">\"|\">=\", low, \"<\"|\"<=\", high] with low < high", ErrInvalidPattern, path)
		}
	}
	return m, nil
}

func compileAnythingBut(arg any, path string) (matcher, error) {
	m := matcher{kind: kAnythingBut}
	p := path + ".anything-but"
	add := func(v any) error {
		switch v.(type) {
		case string, json.Number, bool, nil:
			inner, err := compileMatcher(v, p)
			if err != nil {
				return err
			}
			m.not = append(m.not, inner)
			return nil
		}
		return fmt.Errorf("%w: %s: %s cannot be excluded", ErrInvalidPattern, p, jsonText(v))
	}
	switch a := arg.(type) {
	case []any:
		if len(a) == 0 {
			return matcher{}, fmt.Errorf("%w: %s: the list is empty", ErrInvalidPattern, p)
		}
		for _, v := range a {
			if err := add(v); err != nil {
				return matcher{}, err
			}
		}
	case map[string]any:
		if len(a) != 1 {
			return matcher{}, fmt.Errorf("%w: %s: takes one operator", ErrInvalidPattern, p)
		}
		for op, v := range a {
			switch op {
			case "prefix", "suffix", "wildcard", "equals-ignore-case":
				// wildcard and equals-ignore-case also take a list of values to exclude.
				vals := []any{v}
				if list, ok := v.([]any); ok && (op == "wildcard" || op == "equals-ignore-case") {
					vals = list
				}
				for _, x := range vals {
					inner, err := compileOperator(op, x, p)
					if err != nil {
						return matcher{}, err
					}
					m.not = append(m.not, inner)
				}
			default:
				return matcher{}, fmt.Errorf("%w: %s: %s is not allowed in anything-but", ErrInvalidPattern, p, op)
			}
		}
	default:
		if err := add(a); err != nil {
			return matcher{}, err
		}
	}
	return m, nil
}

func validWildcard(s string) error {
	if strings.Contains(s, "**") {
		return errors.New("consecutive wildcard characters are not allowed")
	}
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			if i+1 >= len(s) || (s[i+1] != '*' && s[i+1] != '\\') {
				return errors.New(`a backslash must escape * or \`)
			}
			i++
		}
	}
	return nil
}

func (m matcher) match(v any) bool {
	switch m.kind {
	case kExact:
		switch {
		case m.num != nil:
			f, ok := numeric(v)
			return ok && f == *m.num
		case m.boolean != nil:
			b, ok := v.(bool)
			return ok && b == *m.boolean
		default:
			s, ok := v.(string)
			return ok && s == m.str
		}
	case kNull:
		return v == nil
	case kPrefix, kSuffix:
		s, ok := v.(string)
		if !ok {
			return false
		}
		if m.ignoreCase {
			s = strings.ToLower(s)
		}
		if m.kind == kPrefix {
			return strings.HasPrefix(s, m.str)
		}
		return strings.HasSuffix(s, m.str)
	case kEqualsIgnoreCase:
		s, ok := v.(string)
		return ok && strings.EqualFold(s, m.str)
	case kWildcard:
		s, ok := v.(string)
		return ok && wildcardMatch(m.str, s)
	case kNumeric:
		f, ok := numeric(v)
		if !ok {
			return false
		}
		for _, b := range m.ranges {
			if !compare(f, b) {
				return false
			}
		}
		return true
	case kCIDR:
		s, ok := v.(string)
		if !ok {
			return false
		}
		a, err := netip.ParseAddr(s)
		return err == nil && m.prefix.Contains(a)
	case kAnythingBut:
		// A value of another type than the excluded ones counts as "anything but" them, except that
		// anything-but prefix/suffix/wildcard/equals-ignore-case only consider strings.
		for _, n := range m.not {
			if n.match(v) {
				return false
			}
			if n.kind != kExact && n.kind != kNull {
				if _, ok := v.(string); !ok {
					return false
				}
			}
		}
		return true
	}
	return false
}

func compare(f float64, b bound) bool {
	switch b.op {
	case "<":
		return f < b.val
	case "<=":
		return f <= b.val
	case "=":
		return f == b.val
	case ">":
		return f > b.val
	default:
		return f >= b.val
	}
}

// wildcardMatch matches s against a pattern where * is any run of characters and \* a literal star.
func wildcardMatch(p, s string) bool {
	// Iterative glob matching with backtracking to the last star: linear in practice.
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(s) {
		if pi < len(p) {
			c, width := p[pi], 1
			literal := false
			if c == '\\' && pi+1 < len(p) {
				c, width, literal = p[pi+1], 2, true
			}
			if c == '*' && !literal {
				star, mark = pi, si
				pi++
				continue
			}
			if c == s[si] {
				pi += width
				si++
				continue
			}
		}
		if star < 0 {
			return false
		}
		pi = star + 1
		mark++
		si = mark
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// EventBridge compares numbers as IEEE doubles within its documented range (-5e9 to 5e9 with 15 digits
// of precision); values outside that range are refused in patterns.
const numericLimit = 5e9

func number(n json.Number) (float64, error) {
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fmt.Errorf("%s is not a number", n)
	}
	if math.Abs(f) > numericLimit {
		return 0, fmt.Errorf("%s is outside EventBridge's numeric range of ±5e9", n)
	}
	return f, nil
}

func numeric(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		return f, err == nil
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	}
	return 0, false
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
