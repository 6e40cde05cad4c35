package contract_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orion-oss/orion/internal/event/contract"
)

const (
	eventID  = "https://example.test/events/Thing/v1"
	commonID = "https://example.test/events/common/v1"
)

// common is the shared document the table's schemas refer to, shaped like internal/event/schemas'.
const common = `{"$id": "` + commonID + `", "$defs": {
  "Sku": {"type": "string", "pattern": "^[A-Z0-9-]{1,64}$"},
  "Line": {"type": "object", "required": ["sku", "quantity"], "additionalProperties": false,
           "properties": {"sku": {"$ref": "#/$defs/Sku"}, "quantity": {"type": "integer", "minimum": 1, "maximum": 1000}}},
  "Ref": {"type": "object", "required": ["orderId", "status"],
          "properties": {"orderId": {"type": "string"}, "status": {"enum": ["PENDING", "CONFIRMED", "CANCELLED"]}}}
}}`

// thing is the old event schema every case of the table starts from.
const thing = `{"$id": "` + eventID + `", "type": "object",
  "allOf": [{"$ref": "` + commonID + `#/$defs/Ref"}],
  "required": ["lines", "total"],
  "properties": {
    "lines": {"type": "array", "minItems": 1, "items": {"$ref": "` + commonID + `#/$defs/Line"}},
    "total": {"type": "integer", "minimum": 0},
    "note": {"type": "string", "maxLength": 200},
    "status": {"const": "CONFIRMED"}
  },
  "unevaluatedProperties": false}`

func decode(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%v in %s", err, s)
	}
	return v
}

// edit changes the decoded schema at a dotted path of object keys: set a value, or delete it (nil).
func edit(t *testing.T, doc any, path string, value any) {
	t.Helper()
	keys := strings.Split(path, ".")
	m := doc.(map[string]any)
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			t.Fatalf("edit: no object at %s in %s", k, path)
		}
		m = next
	}
	last := keys[len(keys)-1]
	if value == nil {
		delete(m, last)
		return
	}
	m[last] = value
}

type editOp struct {
	doc   string // "event" or "common"
	path  string
	value string // JSON; "" deletes
}

func TestCompareFindsEveryBreakingChange(t *testing.T) {
	tests := []struct {
		name string
		ops  []editOp // edits of the new schemas
		want []string // "path: kind", sorted; none for a compatible change
	}{
		{"unchanged", nil, nil},
		{"new optional property", []editOp{{"event", "properties.carrier", `{"type": "string"}`}}, nil},
		{"description only", []editOp{{"event", "properties.total.description", `"the total"`}}, nil},
		{"new required property", []editOp{
			{"event", "properties.carrier", `{"type": "string"}`},
			{"event", "required", `["lines", "total", "carrier"]`}}, []string{": added required property"}},
		{"removed property", []editOp{{"event", "properties.note", ""}}, []string{"note: removed property"}},
		{"required becomes optional", []editOp{{"event", "required", `["lines"]`}}, []string{": property no longer required"}},
		{"type changed", []editOp{{"event", "properties.total.type", `"string"`}}, []string{"total: changed type"}},
		{"integer widened to number", []editOp{{"event", "properties.total.type", `"number"`}}, nil},
		{"number narrowed to integer", []editOp{{"event", "properties.total.type", `"integer"`}}, []string{"total: changed type"}},
		{"type given where any was allowed", []editOp{{"common", "$defs.Ref.properties.extra", `{"type": "string"}`}},
			[]string{"extra: changed type"}},
		// The values the enum allowed were all strings already.
		{"type given that every enum value has", []editOp{{"common", "$defs.Ref.properties.status.type", `"string"`}}, nil},
		{"shared enum widened (a new status)", []editOp{{"common", "$defs.Ref.properties.status.enum", `["PENDING", "CONFIRMED", "CANCELLED", "SHIPPED"]`}}, nil},
		{"const widened to an enum", []editOp{{"event", "properties.status", `{"enum": ["CONFIRMED", "SHIPPED"]}`}}, nil},
		// The event's const already held status to CONFIRMED: dropping another value from the shared
		// enum takes nothing from this event.
		{"shared enum narrowed outside the event's const", []editOp{{"common", "$defs.Ref.properties.status.enum", `["CONFIRMED"]`}}, nil},
		{"const changed", []editOp{{"event", "properties.status", `{"const": "CANCELLED"}`}}, []string{"status: narrowed enum"}},
		{"enum added where any value was allowed", []editOp{{"event", "properties.note.enum", `["a", "b"]`}}, []string{"note: narrowed enum"}},
		{"minimum raised", []editOp{{"event", "properties.total.minimum", `1`}}, []string{"total: tightened bound"}},
		{"minimum lowered", []editOp{{"event", "properties.total.minimum", `-5`}}, nil},
		{"minimum made exclusive", []editOp{{"event", "properties.total.minimum", ""}, {"event", "properties.total.exclusiveMinimum", `0`}},
			[]string{"total: tightened bound"}},
		{"exclusive minimum made inclusive", []editOp{{"event", "properties.total.exclusiveMinimum", ""}, {"event", "properties.total.minimum", `0`}}, nil},
		{"maximum added", []editOp{{"event", "properties.total.maximum", `100000`}}, []string{"total: tightened bound"}},
		{"maxLength lowered", []editOp{{"event", "properties.note.maxLength", `100`}}, []string{"note: tightened bound"}},
		{"maxLength raised", []editOp{{"event", "properties.note.maxLength", `500`}}, nil},
		{"minItems raised", []editOp{{"event", "properties.lines.minItems", `2`}}, []string{"lines: tightened bound"}},
		{"bound tightened in a shared definition, inside array items", []editOp{{"common", "$defs.Line.properties.quantity.maximum", `50`}},
			[]string{"lines[].quantity: tightened bound"}},
		{"property removed from a shared definition", []editOp{{"common", "$defs.Line.properties.quantity", ""},
			{"common", "$defs.Line.required", `["sku"]`}}, []string{"lines[]: property no longer required", "lines[].quantity: removed property"}},
		{"items retyped", []editOp{{"event", "properties.lines.items", `{"type": "string"}`}},
			[]string{"lines[]: changed type", "lines[]: property no longer required", "lines[]: property no longer required",
				"lines[].quantity: removed property", "lines[].sku: removed property"}},
		{"pattern changed", []editOp{{"common", "$defs.Sku.pattern", `"^[A-Z]{1,8}$"`}}, []string{"lines[].sku: changed pattern"}},
		{"pattern dropped", []editOp{{"common", "$defs.Sku.pattern", ""}}, nil},
		{"format added", []editOp{{"event", "properties.note.format", `"date-time"`}}, []string{"note: changed format"}},
		{"object closed", []editOp{{"common", "$defs.Ref.additionalProperties", `false`}}, []string{": closed object"}},
		{"object opened", []editOp{{"event", "unevaluatedProperties", ""}}, nil},
		// Moving a constraint into a shared definition is no change: views are compared, not text.
		{"constraint moved into a $ref", []editOp{
			{"common", "$defs.Total", `{"type": "integer", "minimum": 0}`},
			{"event", "properties.total", `{"$ref": "` + commonID + `#/$defs/Total"}`}}, nil},
		{"a keyword the checker does not model changed", []editOp{{"event", "properties.note.oneOf", `[{"minLength": 2}]`}},
			[]string{"note: changed keyword the checker does not compare"}},
		{"nothing accepted any more", []editOp{{"event", "properties.note", `false`}}, []string{"note: tightened bound"}},
	}
	// Cases that start from another old schema than thing's.
	startsFrom := map[string][]editOp{
		"number narrowed to integer":       {{"event", "properties.total.type", `"number"`}},
		"type given where any was allowed": {{"common", "$defs.Ref.properties.extra", `{}`}},
		"exclusive minimum made inclusive": {{"event", "properties.total.minimum", ""}, {"event", "properties.total.exclusiveMinimum", `0`}},
		"object closed":                    {{"event", "unevaluatedProperties", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := contract.Docs{eventID: decode(t, thing), commonID: decode(t, common)}
			new := contract.Docs{eventID: decode(t, thing), commonID: decode(t, common)}
			apply(t, old, startsFrom[tt.name])
			apply(t, new, startsFrom[tt.name])
			apply(t, new, tt.ops)
			changes, err := contract.Compare(old, new, eventID)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range changes {
				got = append(got, c.Path+": "+string(c.Kind))
			}
			slices.Sort(got)
			slices.Sort(tt.want)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("changes = %q; want %q\n%v", got, tt.want, changes)
			}
		})
	}
}

func apply(t *testing.T, docs contract.Docs, ops []editOp) {
	t.Helper()
	for _, op := range ops {
		doc := docs[eventID]
		if op.doc == "common" {
			doc = docs[commonID]
		}
		var v any
		if op.value != "" {
			v = decode(t, op.value)
		}
		edit(t, doc, op.path, v)
	}
}

func TestCompareDocumentChecksSharedDefinitions(t *testing.T) {
	old := contract.Docs{commonID: decode(t, common)}
	new := contract.Docs{commonID: decode(t, common)}
	edit(t, new[commonID], "$defs.Sku", nil)
	edit(t, new[commonID], "$defs.Line.properties.sku", map[string]any{"type": "string"})
	edit(t, new[commonID], "$defs.Ref.properties.orderId.minLength", 26.0)
	changes, err := contract.CompareDocument(old, new, commonID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range changes {
		got = append(got, c.Path+": "+string(c.Kind))
	}
	slices.Sort(got)
	want := []string{"$defs/Ref.orderId: tightened bound", "$defs/Sku: removed schema"}
	if !slices.Equal(got, want) {
		t.Fatalf("changes = %q; want %q", got, want)
	}

	gone, err := contract.CompareDocument(old, contract.Docs{}, commonID)
	if err != nil || len(gone) != 1 || gone[0].Kind != contract.RemovedSchema {
		t.Fatalf("a deleted schema: %v, %v", gone, err)
	}
}

func TestCompareRefusesWhatItCannotResolve(t *testing.T) {
	old := contract.Docs{eventID: decode(t, thing), commonID: decode(t, common)}
	tests := map[string]contract.Docs{
		"shared document missing": {eventID: decode(t, thing)},
		"definition missing":      {eventID: decode(t, thing), commonID: decode(t, `{"$id": "`+commonID+`", "$defs": {}}`)},
		"not a schema":            {eventID: decode(t, `{"$id": "`+eventID+`", "allOf": [3]}`)},
	}
	for name, new := range tests {
		t.Run(name, func(t *testing.T) {
			if changes, err := contract.Compare(old, new, eventID); err == nil {
				t.Fatalf("no error; changes %v", changes)
			}
		})
	}
}

// A recursive schema (a tree whose children refer to the root) is compared once per pair of schemas,
// not walked to the depth limit along every branch, and its changes are still found.
func TestCompareTerminatesOnRecursiveSchemas(t *testing.T) {
	const treeID = "https://example.test/events/Tree/v1"
	tree := `{"$id": "` + treeID + `", "type": "object", "required": ["name"], "properties": {
	  "name": {"type": "string"},
	  "left": {"$ref": "#"}, "right": {"$ref": "#"}, "up": {"$ref": "#"}, "down": {"$ref": "#"},
	  "kids": {"type": "array", "items": {"$ref": "#"}}}}`
	old := contract.Docs{treeID: decode(t, tree)}
	new := contract.Docs{treeID: decode(t, tree)}
	edit(t, new[treeID], "properties.name.maxLength", 10.0)
	done := make(chan []contract.Change, 1)
	go func() {
		changes, err := contract.Compare(old, new, treeID)
		if err != nil {
			t.Error(err)
		}
		done <- changes
	}()
	select {
	case changes := <-done:
		if len(changes) != 1 || changes[0].Path != "name" || changes[0].Kind != contract.TightenedBound {
			t.Fatalf("changes = %v; want name: tightened bound, once", changes)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Compare did not finish on a recursive schema")
	}
}
