// Package contract checks that Orion's published event schemas (internal/event/schemas) change only in
// ways their consumers survive: within one schema version a change is additive or it is breaking, and a
// breaking change needs a new version (docs/events.md, "Versioning"). Its tests also keep
// docs/asyncapi.yaml true to the code.
package contract

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Kind names a breaking change.
type Kind string

// The breaking changes. Each one can refuse an event that was valid before (an archived event replayed
// to a consumer that validates with the new schema), or take away something a consumer reads.
const (
	RemovedProperty Kind = "removed property"
	AddedRequired   Kind = "added required property"
	// DroppedRequired is breaking too: consumers read a required field without checking that it is there.
	DroppedRequired Kind = "property no longer required"
	ChangedType     Kind = "changed type"
	NarrowedEnum    Kind = "narrowed enum"
	TightenedBound  Kind = "tightened bound"
	// ChangedPattern and ChangedFormat: no checker can prove that one regular expression or format
	// accepts everything another did, so any new or changed one is breaking; dropping one is not.
	ChangedPattern Kind = "changed pattern"
	ChangedFormat  Kind = "changed format"
	ClosedObject   Kind = "closed object"
	// Unsupported is a keyword the checker does not model (oneOf, not, if, ...) whose value changed:
	// it is reported rather than passed, so a change nobody can judge by rule gets a person's look.
	Unsupported Kind = "changed keyword the checker does not compare"
	// RemovedSchema: a published schema or shared definition is gone; archived events still name it.
	RemovedSchema Kind = "removed schema"
)

// Change is one breaking difference between two versions of a schema.
type Change struct {
	// Path is where in an event the change applies: "" for the payload itself, "lines[].quantity" for
	// the quantity of every line.
	Path   string
	Kind   Kind
	Detail string
}

func (c Change) String() string {
	p := c.Path
	if p == "" {
		p = "(payload)"
	}
	return fmt.Sprintf("%s: %s: %s", p, c.Kind, c.Detail)
}

// Docs is a set of decoded schema documents (encoding/json values) by their $id; a $ref resolves
// against it.
type Docs map[string]any

// maxDepth bounds the walk down properties and items, beside the pairs already compared (comparer.done).
// Orion's events nest four levels deep.
const maxDepth = 32

// CompareDocument lists the breaking changes from the old version of the document id to the new one:
// its root schema and every schema of its $defs, which other schemas (and consumers' own) refer to. A
// definition that is gone is a breaking change too.
func CompareDocument(old, new Docs, id string) ([]Change, error) {
	if _, ok := new[id]; !ok {
		return []Change{{Kind: RemovedSchema, Detail: fmt.Sprintf("schema %s is gone", id)}}, nil
	}
	out, err := Compare(old, new, id)
	if err != nil {
		return nil, err
	}
	oldDefs, _ := asMap(old[id])["$defs"].(map[string]any)
	newDefs, _ := asMap(new[id])["$defs"].(map[string]any)
	names := make([]string, 0, len(oldDefs))
	for name := range oldDefs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if _, ok := newDefs[name]; !ok {
			out = append(out, Change{Path: "$defs/" + name, Kind: RemovedSchema, Detail: "the definition is gone"})
			continue
		}
		ref := id + "#/$defs/" + escape(name)
		cs, err := Compare(old, new, ref)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			c.Path = "$defs/" + name + pathSep(c.Path)
			out = append(out, c)
		}
	}
	return out, nil
}

func pathSep(p string) string {
	if p == "" {
		return ""
	}
	return "." + p
}

// Compare lists the breaking changes from the old schema at ref (an absolute URI, with or without a
// fragment) to the new one. Additive changes (a new optional property, a wider enum, a looser bound, a
// dropped pattern) are not listed: consumers must ignore what they do not know.
func Compare(old, new Docs, ref string) ([]Change, error) {
	o, err := (resolver{old}).resolve("", ref)
	if err != nil {
		return nil, fmt.Errorf("contract: old schema: %w", err)
	}
	n, err := (resolver{new}).resolve("", ref)
	if err != nil {
		return nil, fmt.Errorf("contract: new schema: %w", err)
	}
	c := comparer{old: resolver{old}, new: resolver{new}, done: map[string]bool{}}
	// Breadth first, so that a change is reported at the shortest path that reaches it (a recursive
	// schema reaches the same pair of schemas again deeper down, where it is skipped).
	c.queue = append(c.queue, pending{[]node{o}, []node{n}, "", 0})
	for len(c.queue) > 0 {
		p := c.queue[0]
		c.queue = c.queue[1:]
		if err := c.compare(p.old, p.new, p.path, p.depth); err != nil {
			return nil, err
		}
	}
	return c.out, nil
}

// pending is a pair of schema sets still to compare, and where in an event they apply.
type pending struct {
	old, new []node
	path     string
	depth    int
}

// node is a schema with the URI its relative $refs resolve against.
type node struct {
	schema any
	base   string
}

type resolver struct{ docs Docs }

func (r resolver) resolve(base, ref string) (node, error) {
	u, err := url.Parse(ref)
	if err != nil {
		return node{}, fmt.Errorf("$ref %q: %w", ref, err)
	}
	if base != "" {
		b, err := url.Parse(base)
		if err != nil {
			return node{}, fmt.Errorf("base %q: %w", base, err)
		}
		u = b.ResolveReference(u)
	}
	frag := u.Fragment
	u.Fragment = ""
	doc, ok := r.docs[u.String()]
	if !ok {
		return node{}, fmt.Errorf("$ref %q: no schema %s", ref, u)
	}
	cur := doc
	if frag != "" {
		for _, tok := range strings.Split(strings.TrimPrefix(frag, "/"), "/") {
			tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
			switch v := cur.(type) {
			case map[string]any:
				next, ok := v[tok]
				if !ok {
					return node{}, fmt.Errorf("$ref %q: nothing at %s", ref, frag)
				}
				cur = next
			case []any:
				i, err := strconv.Atoi(tok)
				if err != nil || i < 0 || i >= len(v) {
					return node{}, fmt.Errorf("$ref %q: nothing at %s", ref, frag)
				}
				cur = v[i]
			default:
				return node{}, fmt.Errorf("$ref %q: nothing at %s", ref, frag)
			}
		}
	}
	return node{schema: cur, base: u.String()}, nil
}

// bound is a numeric limit; exclusive for exclusiveMinimum and exclusiveMaximum.
type bound struct {
	v         float64
	exclusive bool
}

// view is what a list of schemas that all apply (a schema, its allOf members, the targets of its
// $refs) requires of one value, merged: the intersection of types and enums, the tightest bounds,
// the union of required properties. Comparing views instead of schema text is what lets a schema
// move a constraint into a shared definition without the move counting as a change.
type view struct {
	never    bool            // a false schema: nothing is valid
	types    map[string]bool // nil: any type
	enum     map[string]bool // canonical JSON of the allowed values; nil: any value
	min, max *bound
	lengths  map[string]float64 // minLength, maxLength, minItems, ...: the tightest of each
	patterns map[string]bool
	formats  map[string]bool
	props    map[string][]node
	required map[string]bool
	items    []node
	closed   bool                // additionalProperties or unevaluatedProperties false
	other    map[string][]string // keywords not modelled, with the canonical JSON of each occurrence
}

// Keywords that describe and do not constrain.
var annotations = map[string]bool{
	"$schema": true, "$id": true, "$comment": true, "$defs": true, "definitions": true, "$anchor": true,
	"title": true, "description": true, "examples": true, "default": true, "deprecated": true,
	"readOnly": true, "writeOnly": true, "contentMediaType": true, "contentEncoding": true,
}

var lowerLengths = map[string]bool{"minLength": true, "minItems": true, "minProperties": true}
var upperLengths = map[string]bool{"maxLength": true, "maxItems": true, "maxProperties": true}

func flatten(r resolver, nodes []node) (view, error) {
	v := view{lengths: map[string]float64{}, patterns: map[string]bool{}, formats: map[string]bool{},
		props: map[string][]node{}, required: map[string]bool{}, other: map[string][]string{}}
	seen := map[string]bool{} // $ref targets already merged: a ref cycle through allOf ends here
	queue := slices.Clone(nodes)
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		if b, ok := n.schema.(bool); ok {
			v.never = v.never || !b
			continue
		}
		m, ok := n.schema.(map[string]any)
		if !ok {
			return view{}, fmt.Errorf("not a schema: %v", n.schema)
		}
		base := n.base
		if id, ok := m["$id"].(string); ok {
			base = id
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			val := m[k]
			switch {
			case annotations[k]:
			case k == "$ref":
				ref, _ := val.(string)
				t, err := r.resolve(base, ref)
				if err != nil {
					return view{}, err
				}
				key := fmt.Sprintf("%s|%s", base, ref)
				if !seen[key] {
					seen[key] = true
					queue = append(queue, t)
				}
			case k == "allOf":
				for _, s := range asSlice(val) {
					queue = append(queue, node{s, base})
				}
			case k == "type":
				v.types = intersectTypes(v.types, stringSet(val))
			case k == "enum":
				v.enum = intersect(v.enum, canonicalSet(asSlice(val)))
			case k == "const":
				v.enum = intersect(v.enum, canonicalSet([]any{val}))
			case k == "minimum" || k == "exclusiveMinimum":
				v.min = tighter(v.min, bound{num(val), k == "exclusiveMinimum"}, +1)
			case k == "maximum" || k == "exclusiveMaximum":
				v.max = tighter(v.max, bound{num(val), k == "exclusiveMaximum"}, -1)
			case lowerLengths[k]:
				if cur, ok := v.lengths[k]; !ok || num(val) > cur {
					v.lengths[k] = num(val)
				}
			case upperLengths[k]:
				if cur, ok := v.lengths[k]; !ok || num(val) < cur {
					v.lengths[k] = num(val)
				}
			case k == "pattern":
				v.patterns[fmt.Sprint(val)] = true
			case k == "format":
				v.formats[fmt.Sprint(val)] = true
			case k == "properties":
				for name, s := range asMap(val) {
					v.props[name] = append(v.props[name], node{s, base})
				}
			case k == "required":
				for _, name := range asSlice(val) {
					v.required[fmt.Sprint(name)] = true
				}
			case k == "items" && isSchema(val):
				v.items = append(v.items, node{val, base})
			case (k == "additionalProperties" || k == "unevaluatedProperties") && isBool(val):
				v.closed = v.closed || !val.(bool)
			default:
				v.other[k] = append(v.other[k], canonical(val))
			}
		}
	}
	for k := range v.other {
		sort.Strings(v.other[k])
	}
	return v, nil
}

type comparer struct {
	old, new resolver
	out      []Change
	// done holds the pairs of schema sets already compared: a recursive schema (a tree whose children
	// $ref the root) meets the same pair again one level down, and comparing it once is enough.
	done  map[string]bool
	queue []pending
}

// identity names a set of schema nodes by the decoded values themselves, not their text.
func identity(nodes []node) string {
	var b strings.Builder
	for _, n := range nodes {
		if m, ok := n.schema.(map[string]any); ok {
			fmt.Fprintf(&b, "%p|%s;", m, n.base)
		} else {
			fmt.Fprintf(&b, "%v;", n.schema)
		}
	}
	return b.String()
}

func (c *comparer) add(path string, k Kind, format string, args ...any) {
	c.out = append(c.out, Change{Path: path, Kind: k, Detail: fmt.Sprintf(format, args...)})
}

func (c *comparer) compare(oldNodes, newNodes []node, path string, depth int) error {
	if depth > maxDepth {
		return nil
	}
	pair := identity(oldNodes) + "=>" + identity(newNodes)
	if c.done[pair] {
		return nil
	}
	c.done[pair] = true
	o, err := flatten(c.old, oldNodes)
	if err != nil {
		return fmt.Errorf("contract: old schema at %q: %w", path, err)
	}
	n, err := flatten(c.new, newNodes)
	if err != nil {
		return fmt.Errorf("contract: new schema at %q: %w", path, err)
	}
	if o.never {
		return nil // nothing was valid: whatever is now, nothing valid before becomes invalid
	}
	if n.never {
		c.add(path, TightenedBound, "the schema now accepts nothing")
		return nil
	}
	c.compareTypes(o, n, path)
	c.compareEnums(o, n, path)
	c.compareBounds(o, n, path)
	for _, p := range sortedKeys(n.patterns) {
		if !o.patterns[p] {
			c.add(path, ChangedPattern, "new pattern %s", p)
		}
	}
	for _, f := range sortedKeys(n.formats) {
		if !o.formats[f] {
			c.add(path, ChangedFormat, "new format %s", f)
		}
	}
	if n.closed && !o.closed {
		c.add(path, ClosedObject, "properties not listed were allowed and are now refused")
	}
	for _, name := range sortedKeys(n.required) {
		if !o.required[name] {
			c.add(path, AddedRequired, "%s is now required", name)
		}
	}
	for _, name := range sortedKeys(o.required) {
		if !n.required[name] {
			c.add(path, DroppedRequired, "%s is no longer required", name)
		}
	}
	names := make([]string, 0, len(o.props))
	for name := range o.props {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		sub := join(path, name)
		if _, ok := n.props[name]; !ok {
			c.add(sub, RemovedProperty, "%s was removed", name)
			continue
		}
		c.queue = append(c.queue, pending{o.props[name], n.props[name], sub, depth + 1})
	}
	if len(o.items) > 0 || len(n.items) > 0 {
		c.queue = append(c.queue, pending{o.items, n.items, path + "[]", depth + 1})
	}
	for _, k := range sortedKeys(union(o.other, n.other)) {
		if !slices.Equal(o.other[k], n.other[k]) {
			c.add(path, Unsupported, "%s: %v -> %v", k, o.other[k], n.other[k])
		}
	}
	return nil
}

func (c *comparer) compareTypes(o, n view, path string) {
	switch {
	case n.types == nil:
	case o.types == nil && o.enum != nil:
		// An enum alone allowed only its values: a type that every one of them has takes nothing away.
		for _, v := range sortedKeys(o.enum) {
			if t := jsonType(v); !n.types[t] && !(t == "integer" && n.types["number"]) {
				c.add(path, ChangedType, "%s is not of type %v", v, sortedKeys(n.types))
			}
		}
	case o.types == nil:
		c.add(path, ChangedType, "any type -> %v", sortedKeys(n.types))
	default:
		for _, t := range sortedKeys(o.types) {
			if !n.types[t] && !(t == "integer" && n.types["number"]) {
				c.add(path, ChangedType, "%v -> %v", sortedKeys(o.types), sortedKeys(n.types))
				return
			}
		}
	}
}

func (c *comparer) compareEnums(o, n view, path string) {
	switch {
	case n.enum == nil:
	case o.enum == nil:
		c.add(path, NarrowedEnum, "any value -> one of %v", sortedKeys(n.enum))
	default:
		var gone []string
		for _, v := range sortedKeys(o.enum) {
			if !n.enum[v] {
				gone = append(gone, v)
			}
		}
		if len(gone) > 0 {
			c.add(path, NarrowedEnum, "%v no longer allowed", gone)
		}
	}
}

func (c *comparer) compareBounds(o, n view, path string) {
	if n.min != nil && (o.min == nil || n.min.v > o.min.v || n.min.v == o.min.v && n.min.exclusive && !o.min.exclusive) {
		c.add(path, TightenedBound, "lower bound %s -> %s", showBound(o.min, ">"), showBound(n.min, ">"))
	}
	if n.max != nil && (o.max == nil || n.max.v < o.max.v || n.max.v == o.max.v && n.max.exclusive && !o.max.exclusive) {
		c.add(path, TightenedBound, "upper bound %s -> %s", showBound(o.max, "<"), showBound(n.max, "<"))
	}
	for _, k := range sortedKeys(n.lengths) {
		nv := n.lengths[k]
		ov, had := o.lengths[k]
		if !had || lowerLengths[k] && nv > ov || upperLengths[k] && nv < ov {
			was := "none"
			if had {
				was = strconv.FormatFloat(ov, 'g', -1, 64)
			}
			c.add(path, TightenedBound, "%s %s -> %s", k, was, strconv.FormatFloat(nv, 'g', -1, 64))
		}
	}
}

// jsonType is the JSON Schema type of a value in canonical JSON.
func jsonType(canon string) string {
	switch {
	case canon == "null":
		return "null"
	case canon == "true" || canon == "false":
		return "boolean"
	case strings.HasPrefix(canon, `"`):
		return "string"
	case strings.HasPrefix(canon, "["):
		return "array"
	case strings.HasPrefix(canon, "{"):
		return "object"
	case strings.ContainsAny(canon, ".eE"):
		return "number"
	}
	return "integer"
}

func showBound(b *bound, op string) string {
	if b == nil {
		return "none"
	}
	if !b.exclusive {
		op += "="
	}
	return op + " " + strconv.FormatFloat(b.v, 'g', -1, 64)
}

// tighter returns the tighter of a bound and another; dir is +1 for lower bounds, -1 for upper ones.
func tighter(cur *bound, b bound, dir float64) *bound {
	if cur == nil || b.v*dir > cur.v*dir || b.v == cur.v && b.exclusive {
		return &b
	}
	return cur
}

func intersectTypes(cur, add map[string]bool) map[string]bool {
	if cur == nil {
		return add
	}
	out := map[string]bool{}
	for t := range cur {
		switch {
		case add[t]:
			out[t] = true
		case t == "number" && add["integer"], t == "integer" && add["number"]:
			out["integer"] = true
		}
	}
	return out
}

func intersect(cur, add map[string]bool) map[string]bool {
	if cur == nil {
		return add
	}
	out := map[string]bool{}
	for v := range cur {
		if add[v] {
			out[v] = true
		}
	}
	return out
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func escape(name string) string {
	return strings.ReplaceAll(strings.ReplaceAll(name, "~", "~0"), "/", "~1")
}

func canonical(v any) string {
	b, _ := json.Marshal(v) // encoding/json sorts map keys: one text per value
	return string(b)
}

func canonicalSet(vs []any) map[string]bool {
	out := map[string]bool{}
	for _, v := range vs {
		out[canonical(v)] = true
	}
	return out
}

func stringSet(v any) map[string]bool {
	out := map[string]bool{}
	switch t := v.(type) {
	case string:
		out[t] = true
	case []any:
		for _, s := range t {
			out[fmt.Sprint(s)] = true
		}
	}
	return out
}

func num(v any) float64 {
	switch n := v.(type) {
	case float64:
		return n
	case json.Number:
		f, _ := n.Float64()
		return f
	case int:
		return float64(n)
	case int64:
		return float64(n)
	}
	return 0
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func isBool(v any) bool { _, ok := v.(bool); return ok }

func isSchema(v any) bool {
	_, ok := v.(map[string]any)
	return ok || isBool(v)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func union(a, b map[string][]string) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}
