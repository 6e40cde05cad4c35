package e2e

import (
	"bytes"
	"encoding/json"
	"mime"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

// The contract is docs/openapi.yaml (OpenAPI 3.1, whose schemas are JSON Schema 2020-12): every response
// a test receives must be documented for its route and status, and its body must match the schema.
var contract struct {
	once     sync.Once
	err      error
	doc      map[string]any
	compiler *jsonschema.Compiler
	compile  sync.Mutex // the compiler is not safe for concurrent use (parallel tests)
	schemas  sync.Map   // pointer -> *jsonschema.Schema
}

const contractURL = "https://orion-oss.github.io/openapi.json"

func loadContract() error {
	contract.once.Do(func() {
		b, err := os.ReadFile("../docs/openapi.yaml")
		if err != nil {
			contract.err = err
			return
		}
		var doc map[string]any
		if err := yaml.Unmarshal(b, &doc); err != nil {
			contract.err = err
			return
		}
		j, _ := json.Marshal(doc)
		parsed, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
		if err != nil {
			contract.err = err
			return
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		if err := c.AddResource(contractURL, parsed); err != nil {
			contract.err = err
			return
		}
		contract.doc, contract.compiler = doc, c
	})
	return contract.err
}

func pointer(parts ...string) string {
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(p, "~", "~0"), "/", "~1")
	}
	return "#/" + strings.Join(parts, "/")
}

// route finds the documented path template for a concrete path.
func route(path string) (string, bool) {
	paths, _ := contract.doc["paths"].(map[string]any)
	segs := strings.Split(strings.Trim(path, "/"), "/")
	best, bestLiterals := "", -1
	for tmpl := range paths {
		ts := strings.Split(strings.Trim(tmpl, "/"), "/")
		if len(ts) != len(segs) {
			continue
		}
		literals, ok := 0, true
		for i, s := range ts {
			switch {
			case strings.HasPrefix(s, "{"):
			case s == segs[i]:
				literals++
			default:
				ok = false
			}
		}
		if ok && literals > bestLiterals {
			best, bestLiterals = tmpl, literals
		}
	}
	return best, bestLiterals >= 0
}

// conform fails the test when a response is not what the contract documents.
func conform(t *testing.T, method, path string, r reply) {
	t.Helper()
	if err := loadContract(); err != nil {
		t.Fatalf("contract: %v", err)
	}
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	tmpl, ok := route(path)
	if !ok {
		t.Errorf("contract: %s %s is not a documented path", method, path)
		return
	}
	op, _ := contract.doc["paths"].(map[string]any)[tmpl].(map[string]any)[strings.ToLower(method)].(map[string]any)
	if op == nil {
		t.Errorf("contract: %s %s is not a documented operation", method, tmpl)
		return
	}
	status := strconv.Itoa(r.status)
	resp, _ := op["responses"].(map[string]any)[status].(map[string]any)
	if resp == nil {
		t.Errorf("contract: %s %s answered %s, which is not documented (%s)", method, tmpl, status, r.body)
		return
	}
	base := []string{"paths", tmpl, strings.ToLower(method), "responses", status}
	if ref, _ := resp["$ref"].(string); ref != "" {
		name := strings.TrimPrefix(ref, "#/components/responses/")
		resp = contract.doc["components"].(map[string]any)["responses"].(map[string]any)[name].(map[string]any)
		base = []string{"components", "responses", name}
	}
	content, _ := resp["content"].(map[string]any)
	if len(content) == 0 {
		if len(bytes.TrimSpace(r.body)) > 0 {
			t.Errorf("contract: %s %s %s documents no body but got %s", method, tmpl, status, r.body)
		}
		return
	}
	ct, _, _ := mime.ParseMediaType(r.header.Get("Content-Type"))
	if _, ok := content[ct]; !ok {
		t.Errorf("contract: %s %s %s: content type %q is not documented", method, tmpl, status, ct)
		return
	}
	ptr := contractURL + pointer(append(base, "content", ct, "schema")...)
	s, ok := contract.schemas.Load(ptr)
	if !ok {
		contract.compile.Lock()
		compiled, err := contract.compiler.Compile(ptr)
		contract.compile.Unlock()
		if err != nil {
			t.Fatalf("contract: compile %s: %v", ptr, err)
		}
		s, _ = contract.schemas.LoadOrStore(ptr, compiled)
	}
	body, err := jsonschema.UnmarshalJSON(bytes.NewReader(r.body))
	if err != nil {
		t.Errorf("contract: %s %s %s: body is not JSON: %s", method, tmpl, status, r.body)
		return
	}
	if err := s.(*jsonschema.Schema).Validate(body); err != nil {
		t.Errorf("contract: %s %s %s: %v\nbody: %s", method, tmpl, status, err, r.body)
	}
}

func TestContractIsComplete(t *testing.T) {
	inProcessOnly(t, "compares the runtime's routes (Stack.Routes) with the contract")
	if err := loadContract(); err != nil {
		t.Fatal(err)
	}
	// Every route of the template is documented, and nothing else is.
	documented := map[string]bool{}
	for p, ops := range contract.doc["paths"].(map[string]any) {
		for m := range ops.(map[string]any) {
			documented[strings.ToUpper(m)+" "+p] = true
		}
	}
	routes := map[string]bool{}
	for _, r := range sys.stack.Routes() {
		key, _, _ := strings.Cut(r, " -> ")
		routes[key] = true
		if !documented[key] {
			t.Errorf("route %s is not in docs/openapi.yaml", key)
		}
	}
	for d := range documented {
		if !routes[d] {
			t.Errorf("docs/openapi.yaml documents %s, which the template does not route", d)
		}
	}
}
