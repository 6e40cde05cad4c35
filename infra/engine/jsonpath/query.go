package jsonpath

import (
	"cmp"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// Query evaluates the fuller JSONPath that Step Functions allows in Parameters, ResultSelector and
// ItemSelector values: wildcards ([*], .*), slices ([a:b]), index lists ([0,2]) and filters
// ([?(@.x > 1)], [?(@.x)]). A path with any of these selects a list (found is then always true);
// otherwise found is false when the path does not exist. $$ is not read here: the caller strips one $
// and passes the context object as doc.
func Query(doc any, p string) (any, bool, error) {
	if !strings.HasPrefix(p, "$") {
		return nil, false, errorf("%q must start with $", p)
	}
	nodes := []any{doc}
	multi := false
	rest := strings.TrimPrefix(p, "$")
	for rest != "" {
		switch {
		case strings.HasPrefix(rest, ".*") || strings.HasPrefix(rest, "[*]"):
			if rest[0] == '.' {
				rest = rest[2:]
			} else {
				rest = rest[3:]
			}
			multi = true
			var next []any
			for _, n := range nodes {
				switch v := n.(type) {
				case []any:
					next = append(next, v...)
				case map[string]any:
					for _, k := range sortedKeys(v) {
						next = append(next, v[k])
					}
				}
			}
			nodes = next
		case rest[0] == '.':
			rest = rest[1:]
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			nodes = field(nodes, rest[:end])
			rest = rest[end:]
		case rest[0] == '[':
			end := matching(rest)
			if end < 0 {
				return nil, false, errorf("%q has an unclosed [", p)
			}
			inner := rest[1:end]
			rest = rest[end+1:]
			sel, isMulti, err := selector(nodes, inner)
			if err != nil {
				return nil, false, errorf("%q: %v", p, err)
			}
			nodes, multi = sel, multi || isMulti
		default:
			return nil, false, errorf("%q", p)
		}
	}
	if multi {
		if nodes == nil {
			nodes = []any{}
		}
		return nodes, true, nil
	}
	if len(nodes) == 0 {
		return nil, false, nil
	}
	return nodes[0], true, nil
}

func matching(s string) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

func field(nodes []any, key string) []any {
	var out []any
	for _, n := range nodes {
		if m, ok := n.(map[string]any); ok {
			if v, ok := m[key]; ok {
				out = append(out, v)
			}
		}
	}
	return out
}

func selector(nodes []any, inner string) ([]any, bool, error) {
	inner = strings.TrimSpace(inner)
	switch {
	case len(inner) >= 2 && (inner[0] == '\'' || inner[0] == '"'):
		return field(nodes, inner[1:len(inner)-1]), false, nil
	case strings.HasPrefix(inner, "?(") && strings.HasSuffix(inner, ")"):
		var out []any
		for _, n := range nodes {
			arr, _ := n.([]any)
			for _, item := range arr {
				ok, err := filter(item, inner[2:len(inner)-1])
				if err != nil {
					return nil, false, err
				}
				if ok {
					out = append(out, item)
				}
			}
		}
		return out, true, nil
	case strings.Contains(inner, ":"):
		parts := strings.SplitN(inner, ":", 3)
		var out []any
		for _, n := range nodes {
			arr, _ := n.([]any)
			lo, hi := bound(parts[0], 0, len(arr)), bound(parts[1], len(arr), len(arr))
			if lo < hi {
				out = append(out, arr[lo:hi]...)
			}
		}
		return out, true, nil
	case strings.Contains(inner, ","):
		var out []any
		for _, n := range nodes {
			arr, _ := n.([]any)
			for _, s := range strings.Split(inner, ",") {
				i, err := strconv.Atoi(strings.TrimSpace(s))
				if err != nil {
					return nil, false, fmt.Errorf("[%s] is not an index list", inner)
				}
				if i >= 0 && i < len(arr) {
					out = append(out, arr[i])
				}
			}
		}
		return out, true, nil
	}
	i, err := strconv.Atoi(inner)
	if err != nil {
		return nil, false, fmt.Errorf("[%s] is not supported", inner)
	}
	var out []any
	for _, n := range nodes {
		arr, _ := n.([]any)
		if i < 0 {
			i += len(arr)
		}
		if i >= 0 && i < len(arr) {
			out = append(out, arr[i])
		}
	}
	return out, false, nil
}

func bound(s string, def, n int) int {
	s = strings.TrimSpace(s)
	if s == "" {
		return def
	}
	i, err := strconv.Atoi(s)
	if err != nil {
		return def
	}
	if i < 0 {
		i += n
	}
	return max(0, min(i, n))
}

// filter evaluates "@.path op literal" or "@.path" (existence) for one item.
func filter(item any, expr string) (bool, error) {
	for _, op := range []string{"==", "!=", "<=", ">=", "<", ">"} {
		if l, r, ok := strings.Cut(expr, op); ok {
			left, found, err := Query(item, "$"+strings.TrimPrefix(strings.TrimSpace(l), "@"))
			if err != nil || !found {
				return false, err
			}
			var right any
			lit := strings.TrimSpace(r)
			if strings.HasPrefix(lit, "'") {
				lit = `"` + strings.Trim(lit, "'") + `"`
			}
			if err := json.Unmarshal([]byte(lit), &right); err != nil {
				return false, fmt.Errorf("filter literal %s", r)
			}
			lf, lok := left.(float64)
			rf, rok := right.(float64)
			switch op {
			case "==":
				return reflect.DeepEqual(left, right), nil
			case "!=":
				return !reflect.DeepEqual(left, right), nil
			}
			if lok && rok {
				return compare(op, cmp.Compare(lf, rf)), nil
			}
			ls, lok := left.(string)
			rs, rok := right.(string)
			if lok && rok {
				return compare(op, strings.Compare(ls, rs)), nil
			}
			return false, nil
		}
	}
	_, found, err := Query(item, "$"+strings.TrimPrefix(strings.TrimSpace(expr), "@"))
	return found, err
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// compare applies one of <, <=, >, >= to the result of a three-way comparison.
func compare(op string, c int) bool {
	switch op {
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	}
	return c >= 0
}
