// Package sam loads an AWS SAM template (YAML or JSON, CloudFormation short-form tags included) and
// resolves its intrinsic functions to local values, so the local runtime can run exactly what
// template.yaml declares. References: the CloudFormation template anatomy and intrinsic function
// reference, and the SAM specification (Globals, AWS::Serverless::*).
package sam

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ErrTemplate is wrapped by every error about the template's content.
var ErrTemplate = errors.New("sam: invalid template")

// Template is a parsed template. Values are plain Go data (map[string]any, []any, string, int64,
// float64, bool, nil) with intrinsics in their long form ({"Ref": "X"}, {"Fn::Sub": ...}).
type Template struct {
	Dir         string
	Description string
	Parameters  map[string]Parameter
	Conditions  map[string]any
	Mappings    map[string]any
	Globals     map[string]any
	Resources   map[string]Resource
	Outputs     map[string]any
	// Rules are the template's parameter rules (CheckRules), in their long form.
	Rules map[string]any
}

// Parameter is a template parameter.
type Parameter struct {
	Name           string
	Type           string
	Default        any
	AllowedValues  []any
	AllowedPattern string
	MinLength      *int
	MaxLength      *int
	MinValue       *float64
	MaxValue       *float64
	NoEcho         bool
}

// Resource is one resource.
type Resource struct {
	LogicalID      string
	Type           string
	Properties     map[string]any
	DependsOn      []string
	Condition      string
	Metadata       map[string]any
	DeletionPolicy string
	// UpdateReplacePolicy is what CloudFormation does with the old resource when an update replaces it.
	UpdateReplacePolicy string
}

// MaxTemplateSize is CloudFormation's limit for a template uploaded through S3.
const MaxTemplateSize = 1 << 20

// Load reads a template file.
func Load(path string) (*Template, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sam: %w", err)
	}
	t, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	t.Dir = filepath.Dir(path)
	return t, nil
}

// Parse reads a template from YAML or JSON (JSON is YAML).
func Parse(b []byte) (*Template, error) {
	if len(b) > MaxTemplateSize {
		return nil, fmt.Errorf("%w: %d bytes exceeds CloudFormation's %d", ErrTemplate, len(b), MaxTemplateSize)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTemplate, err)
	}
	if len(root.Content) == 0 {
		return nil, fmt.Errorf("%w: empty document", ErrTemplate)
	}
	doc, err := convert(root.Content[0], "")
	if err != nil {
		return nil, err
	}
	top, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: the template is not a mapping", ErrTemplate)
	}
	t := &Template{Parameters: map[string]Parameter{}, Resources: map[string]Resource{}}
	t.Description, _ = top["Description"].(string)
	t.Conditions, _ = top["Conditions"].(map[string]any)
	t.Mappings, _ = top["Mappings"].(map[string]any)
	t.Globals, _ = top["Globals"].(map[string]any)
	t.Outputs, _ = top["Outputs"].(map[string]any)
	t.Rules, _ = top["Rules"].(map[string]any)
	params, _ := top["Parameters"].(map[string]any)
	for name, v := range params {
		p, err := parseParameter(name, v)
		if err != nil {
			return nil, err
		}
		t.Parameters[name] = p
	}
	res, ok := top["Resources"].(map[string]any)
	if !ok || len(res) == 0 {
		return nil, fmt.Errorf("%w: Resources is missing or empty", ErrTemplate)
	}
	for id, v := range res {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w: Resources.%s is not a mapping", ErrTemplate, id)
		}
		r := Resource{LogicalID: id}
		if r.Type, ok = m["Type"].(string); !ok || r.Type == "" {
			return nil, fmt.Errorf("%w: Resources.%s has no Type", ErrTemplate, id)
		}
		r.Properties, _ = m["Properties"].(map[string]any)
		if r.Properties == nil {
			r.Properties = map[string]any{}
		}
		r.Condition, _ = m["Condition"].(string)
		r.Metadata, _ = m["Metadata"].(map[string]any)
		r.DeletionPolicy, _ = m["DeletionPolicy"].(string)
		r.UpdateReplacePolicy, _ = m["UpdateReplacePolicy"].(string)
		switch d := m["DependsOn"].(type) {
		case string:
			r.DependsOn = []string{d}
		case []any:
			for _, x := range d {
				s, _ := x.(string)
				r.DependsOn = append(r.DependsOn, s)
			}
		}
		t.Resources[id] = r
	}
	return t, nil
}

func parseParameter(name string, v any) (Parameter, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return Parameter{}, fmt.Errorf("%w: Parameters.%s is not a mapping", ErrTemplate, name)
	}
	p := Parameter{Name: name, Default: m["Default"]}
	p.Type, _ = m["Type"].(string)
	if p.Type == "" {
		return Parameter{}, fmt.Errorf("%w: Parameters.%s has no Type", ErrTemplate, name)
	}
	p.AllowedValues, _ = m["AllowedValues"].([]any)
	p.AllowedPattern, _ = m["AllowedPattern"].(string)
	p.NoEcho, _ = m["NoEcho"].(bool)
	intp := func(k string) *int {
		if f, ok := toFloat(m[k]); ok {
			n := int(f)
			return &n
		}
		return nil
	}
	floatp := func(k string) *float64 {
		if f, ok := toFloat(m[k]); ok {
			return &f
		}
		return nil
	}
	p.MinLength, p.MaxLength = intp("MinLength"), intp("MaxLength")
	p.MinValue, p.MaxValue = floatp("MinValue"), floatp("MaxValue")
	return p, nil
}

// shortForms maps YAML tags to long-form intrinsic names.
var shortForms = map[string]string{
	"!Ref": "Ref", "!Condition": "Condition", "!Sub": "Fn::Sub", "!GetAtt": "Fn::GetAtt", "!Join": "Fn::Join",
	"!Select": "Fn::Select", "!Split": "Fn::Split", "!If": "Fn::If", "!Equals": "Fn::Equals", "!And": "Fn::And",
	"!Or": "Fn::Or", "!Not": "Fn::Not", "!FindInMap": "Fn::FindInMap", "!Base64": "Fn::Base64",
	"!ImportValue": "Fn::ImportValue", "!GetAZs": "Fn::GetAZs", "!Cidr": "Fn::Cidr", "!Transform": "Fn::Transform",
	"!ToJsonString": "Fn::ToJsonString", "!Length": "Fn::Length",
}

func convert(n *yaml.Node, path string) (any, error) {
	if n.Kind == yaml.AliasNode {
		// CloudFormation does not take YAML anchors; expanding them would also let a tiny document
		// grow exponentially.
		return nil, fmt.Errorf("%w: %s: YAML aliases are not supported (line %d)", ErrTemplate, path, n.Line)
	}
	var v any
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if _, dup := m[k]; dup {
				return nil, fmt.Errorf("%w: %s: duplicate key %q (line %d)", ErrTemplate, path, k, n.Content[i].Line)
			}
			c, err := convert(n.Content[i+1], joinPath(path, k))
			if err != nil {
				return nil, err
			}
			m[k] = c
		}
		v = m
	case yaml.SequenceNode:
		l := make([]any, len(n.Content))
		for i, c := range n.Content {
			x, err := convert(c, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			l[i] = x
		}
		v = l
	case yaml.ScalarNode:
		v = scalar(n)
	default:
		return nil, fmt.Errorf("%w: %s: unsupported YAML node", ErrTemplate, path)
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		name, ok := shortForms[n.Tag]
		if !ok {
			return nil, fmt.Errorf("%w: %s: unknown tag %s (line %d)", ErrTemplate, path, n.Tag, n.Line)
		}
		if name == "Fn::GetAtt" {
			if s, ok := v.(string); ok {
				// "!GetAtt Res.Attr.Path": the resource is before the first dot, the attribute the rest.
				res, attr, found := strings.Cut(s, ".")
				if !found {
					return nil, fmt.Errorf("%w: %s: !GetAtt %q needs Resource.Attribute", ErrTemplate, path, s)
				}
				v = []any{res, attr}
			}
		}
		if n.Kind == yaml.ScalarNode && (name == "Fn::GetAZs") && v == nil {
			v = ""
		}
		return map[string]any{name: v}, nil
	}
	return v, nil
}

// scalar keeps YAML's types: strings stay strings even when they look like numbers if quoted.
func scalar(n *yaml.Node) any {
	switch n.Tag {
	case "!!int":
		if i, err := strconv.ParseInt(n.Value, 0, 64); err == nil {
			return i
		}
	case "!!float":
		if f, err := strconv.ParseFloat(n.Value, 64); err == nil {
			return f
		}
	case "!!bool":
		if b, err := strconv.ParseBool(strings.ToLower(n.Value)); err == nil {
			return b
		}
	case "!!null":
		return nil
	}
	return n.Value
}

func joinPath(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	case float64:
		return x, true
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	}
	return 0, false
}

// ResourceIDs returns the logical ids in a stable order.
func (t *Template) ResourceIDs() []string {
	ids := make([]string, 0, len(t.Resources))
	for id := range t.Resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}
