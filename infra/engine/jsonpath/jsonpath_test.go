package jsonpath_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/orion-oss/orion/infra/engine/jsonpath"
)

func doc(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

const order = `{"id":"o-1","a b":{"c":1},"lines":[{"sku":"A","qty":2,"price":5},{"sku":"B","qty":1,"price":20},{"sku":"C","qty":3}],"empty":null}`

func TestReferencePaths(t *testing.T) {
	d := doc(t, order)
	for _, c := range []struct {
		path  string
		want  string
		found bool
	}{
		{"$", order, true},
		{"$.id", `"o-1"`, true},
		{"$['a b'].c", `1`, true},
		{`$["a b"]['c']`, `1`, true},
		{"$.lines[1].sku", `"B"`, true},
		{"$.lines[3]", ``, false},
		{"$.id.x", ``, false},
		{"$.lines.x", ``, false},
		{"$.missing", ``, false},
		{"$.empty", `null`, true},
	} {
		v, found, err := jsonpath.Get(d, c.path)
		if err != nil || found != c.found {
			t.Errorf("Get %s: found %v, %v; want %v", c.path, found, err, c.found)
			continue
		}
		if found && !reflect.DeepEqual(v, doc(t, c.want)) {
			t.Errorf("Get %s = %v; want %s", c.path, v, c.want)
		}
	}
	p, err := jsonpath.Parse("$$.Execution.Id")
	if err != nil || !p.Context || !reflect.DeepEqual(p.Steps, []jsonpath.Step{{Key: "Execution"}, {Key: "Id"}}) {
		t.Errorf("Parse $$.Execution.Id = %+v, %v", p, err)
	}
	if p, err := jsonpath.Parse("$.a[2]"); err != nil || p.Context || !reflect.DeepEqual(p.Steps, []jsonpath.Step{{Key: "a"}, {Index: 2, IsIndex: true}}) {
		t.Errorf("Parse $.a[2] = %+v, %v", p, err)
	}
}

func TestInvalidPaths(t *testing.T) {
	for _, p := range []string{"", "id", "$.", "$..a", "$.a[", "$[*]", "$.a[-1]", "$.a[0:1]", "$[?(@.x)]", "$a", "$$$"} {
		if _, err := jsonpath.Parse(p); !errors.Is(err, jsonpath.ErrSyntax) {
			t.Errorf("Parse(%q) = %v; want ErrSyntax", p, err)
		}
	}
	for _, p := range []string{"id", "$.a[", "$.a[x]", "$.lines[?(@.qty == )]"} {
		if _, _, err := jsonpath.Query(doc(t, order), p); !errors.Is(err, jsonpath.ErrSyntax) {
			t.Errorf("Query(%q) = %v; want ErrSyntax", p, err)
		}
	}
}

func TestQueries(t *testing.T) {
	d := doc(t, order)
	for _, c := range []struct{ path, want string }{
		{"$.id", `"o-1"`},
		{"$.lines[*].sku", `["A","B","C"]`},
		{"$.lines[-1].sku", `"C"`},
		{"$.lines[0:2].sku", `["A","B"]`},
		{"$.lines[-2:].sku", `["B","C"]`},
		{"$.lines[0,2].sku", `["A","C"]`},
		{"$.lines[?(@.qty > 1)].sku", `["A","C"]`},
		{"$.lines[?(@.qty <= 1)].sku", `["B"]`},
		{"$.lines[?(@.sku == 'B')].qty", `[1]`},
		{"$.lines[?(@.sku != 'B')].qty", `[2,3]`},
		{"$.lines[?(@.sku >= 'B')].sku", `["B","C"]`},
		{"$.lines[?(@.price)].sku", `["A","B"]`},
		{"$['a b'].*", `[1]`},
		{"$.lines[?(@.qty > 9)]", `[]`},
	} {
		v, found, err := jsonpath.Query(d, c.path)
		if err != nil || !found || !reflect.DeepEqual(v, doc(t, c.want)) {
			t.Errorf("Query %s = %v, %v, %v; want %s", c.path, v, found, err, c.want)
		}
	}
	if _, found, err := jsonpath.Query(d, "$.nope"); found || err != nil {
		t.Errorf("Query $.nope: found %v, %v", found, err)
	}
}
