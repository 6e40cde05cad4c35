package sam

import (
	"fmt"
	"strconv"
)

// Accessors for resolved property maps, which hold what YAML and intrinsics produce: strings, int64,
// float64, bool, maps and lists. CloudFormation lets templates write numbers and booleans as strings,
// so the readers accept both.

// String returns m[key] as a string ("" when absent).
func String(m map[string]any, key string) string {
	switch v := m[key].(type) {
	case string:
		return v
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}

// Map returns m[key] when it is a map.
func Map(m map[string]any, key string) map[string]any {
	o, _ := m[key].(map[string]any)
	return o
}

// List returns m[key] when it is a list.
func List(m map[string]any, key string) []any {
	l, _ := m[key].([]any)
	return l
}

// Strings returns a list's items as strings.
func Strings(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

// Int returns m[key] as an integer, and whether it was one.
func Int(m map[string]any, key string) (int64, bool) {
	switch v := m[key].(type) {
	case int64:
		return v, true
	case int:
		return int64(v), true
	case float64:
		return int64(v), v == float64(int64(v))
	case string:
		n, err := strconv.ParseInt(v, 10, 64)
		return n, err == nil
	}
	return 0, false
}

// IntOr returns m[key] as an int, or def.
func IntOr(m map[string]any, key string, def int) int {
	if n, ok := Int(m, key); ok {
		return int(n)
	}
	return def
}

// Bool returns m[key] as a boolean (true or "true").
func Bool(m map[string]any, key string) bool {
	switch v := m[key].(type) {
	case bool:
		return v
	case string:
		b, _ := strconv.ParseBool(v)
		return b
	}
	return false
}
