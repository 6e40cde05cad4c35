package sam

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrUnsupported means the template uses something the local runtime cannot evaluate.
var ErrUnsupported = errors.New("sam: unsupported")

// ResourceResolver answers Ref and Fn::GetAtt for resources.
type ResourceResolver interface {
	Ref(logicalID string) (any, error)
	GetAtt(logicalID, attribute string) (any, error)
}

// Env is what intrinsics resolve against.
type Env struct {
	Region, AccountID, StackName, Partition, URLSuffix string
	// Parameters are resolved values (see ParameterValues).
	Parameters map[string]any
	Resources  ResourceResolver
}

// NoValue is what AWS::NoValue resolves to; Resolve removes it from maps and lists.
type noValue struct{}

// ParameterValues returns every parameter's value: the override, else the default, validated like
// CloudFormation does. Values are strings, except that List types are []any of strings.
func (t *Template) ParameterValues(overrides map[string]string) (map[string]any, error) {
	out := map[string]any{}
	for name := range overrides {
		if _, ok := t.Parameters[name]; !ok {
			return nil, fmt.Errorf("%w: parameter override %s is not a parameter of the template", ErrTemplate, name)
		}
	}
	names := make([]string, 0, len(t.Parameters))
	for n := range t.Parameters {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		p := t.Parameters[name]
		raw, ok := overrides[name]
		if !ok {
			if p.Default == nil {
				return nil, fmt.Errorf("%w: parameter %s has no value and no default", ErrTemplate, name)
			}
			raw = scalarString(p.Default)
		}
		if err := p.validate(raw); err != nil {
			return nil, err
		}
		if strings.HasPrefix(p.Type, "List<") || p.Type == "CommaDelimitedList" {
			var l []any
			for _, s := range strings.Split(raw, ",") {
				l = append(l, strings.TrimSpace(s))
			}
			out[name] = l
		} else {
			out[name] = raw
		}
	}
	return out, nil
}

func (p Parameter) validate(v string) error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: parameter %s: %s", ErrTemplate, p.Name, fmt.Sprintf(format, a...))
	}
	if len(p.AllowedValues) > 0 {
		ok := false
		for _, a := range p.AllowedValues {
			if scalarString(a) == v {
				ok = true
			}
		}
		if !ok {
			return bad("%q is not one of the allowed values %v", v, p.AllowedValues)
		}
	}
	if p.AllowedPattern != "" {
		re, err := regexp.Compile("^(?:" + p.AllowedPattern + ")$")
		if err != nil {
			return bad("AllowedPattern does not compile: %v", err)
		}
		if !re.MatchString(v) {
			return bad("%q does not match the pattern %s", v, p.AllowedPattern)
		}
	}
	n := utf8.RuneCountInString(v)
	if p.MinLength != nil && n < *p.MinLength {
		return bad("shorter than %d", *p.MinLength)
	}
	if p.MaxLength != nil && n > *p.MaxLength {
		return bad("longer than %d", *p.MaxLength)
	}
	if p.Type == "Number" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return bad("%q is not a number", v)
		}
		if p.MinValue != nil && f < *p.MinValue {
			return bad("%s is below %v", v, *p.MinValue)
		}
		if p.MaxValue != nil && f > *p.MaxValue {
			return bad("%s is above %v", v, *p.MaxValue)
		}
	}
	return nil
}

func scalarString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int64:
		return strconv.FormatInt(x, 10)
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}

func (e Env) pseudo(name string) (any, bool) {
	switch name {
	case "AWS::Region":
		return e.Region, true
	case "AWS::AccountId":
		return e.AccountID, true
	case "AWS::StackName":
		return e.StackName, true
	case "AWS::StackId":
		return fmt.Sprintf("arn:%s:cloudformation:%s:%s:stack/%s/local", e.Partition, e.Region, e.AccountID, e.StackName), true
	case "AWS::Partition":
		return e.Partition, true
	case "AWS::URLSuffix":
		return e.URLSuffix, true
	case "AWS::NoValue":
		return noValue{}, true
	case "AWS::NotificationARNs":
		return []any{}, true
	}
	return nil, false
}

// Resolve evaluates every intrinsic function in v. path names v in error messages.
func (t *Template) Resolve(v any, env Env, path string) (any, error) {
	out, err := t.resolve(v, env, path)
	if err != nil {
		return nil, err
	}
	if _, ok := out.(noValue); ok {
		return nil, nil
	}
	return out, nil
}

func (t *Template) resolve(v any, env Env, path string) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				// "Condition" as a key is a property or a resource attribute here; as an intrinsic it only
				// appears inside condition functions, which evalCondition handles.
				if k == "Ref" || strings.HasPrefix(k, "Fn::") {
					return t.intrinsic(k, arg, env, path)
				}
			}
		}
		out := make(map[string]any, len(x))
		for k, c := range x {
			r, err := t.resolve(c, env, joinPath(path, k))
			if err != nil {
				return nil, err
			}
			if _, skip := r.(noValue); !skip {
				out[k] = r
			}
		}
		return out, nil
	case []any:
		out := make([]any, 0, len(x))
		for i, c := range x {
			r, err := t.resolve(c, env, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			if _, skip := r.(noValue); !skip {
				out = append(out, r)
			}
		}
		return out, nil
	}
	return v, nil
}

func (t *Template) intrinsic(name string, arg any, env Env, path string) (any, error) {
	p := joinPath(path, name)
	fail := func(format string, a ...any) (any, error) {
		return nil, fmt.Errorf("%w: %s: %s", ErrTemplate, p, fmt.Sprintf(format, a...))
	}
	switch name {
	case "Ref":
		s, ok := arg.(string)
		if !ok {
			return fail("takes a name")
		}
		return t.ref(s, env, p)
	case "Fn::GetAtt":
		var res, attr string
		switch a := arg.(type) {
		case []any:
			if len(a) != 2 {
				return fail("takes [Resource, Attribute]")
			}
			res, _ = a[0].(string)
			r, err := t.resolve(a[1], env, p)
			if err != nil {
				return nil, err
			}
			attr, _ = r.(string)
		case string:
			res, attr, _ = strings.Cut(a, ".")
		}
		if res == "" || attr == "" {
			return fail("takes [Resource, Attribute]")
		}
		if !t.declaresOrGenerates(res) {
			return fail("no resource %s", res)
		}
		if env.Resources == nil {
			return fail("no resources to resolve %s.%s", res, attr)
		}
		v, err := env.Resources.GetAtt(res, attr)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		return v, nil
	case "Fn::Sub":
		return t.sub(arg, env, p)
	case "Fn::Join":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return fail("takes [delimiter, [values]]")
		}
		sep, _ := a[0].(string)
		items, err := t.resolve(a[1], env, p)
		if err != nil {
			return nil, err
		}
		list, ok := items.([]any)
		if !ok {
			return fail("the values are not a list")
		}
		parts := make([]string, len(list))
		for i, it := range list {
			parts[i] = scalarString(it)
		}
		return strings.Join(parts, sep), nil
	case "Fn::Select":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return fail("takes [index, list]")
		}
		idx, err := t.resolve(a[0], env, p)
		if err != nil {
			return nil, err
		}
		i, err := strconv.Atoi(scalarString(idx))
		if err != nil {
			return fail("index %v is not a number", idx)
		}
		l, err := t.resolve(a[1], env, p)
		if err != nil {
			return nil, err
		}
		list, ok := l.([]any)
		if !ok || i < 0 || i >= len(list) {
			return fail("index %d out of range", i)
		}
		return list[i], nil
	case "Fn::Split":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return fail("takes [delimiter, string]")
		}
		sep, _ := a[0].(string)
		s, err := t.resolve(a[1], env, p)
		if err != nil {
			return nil, err
		}
		var out []any
		for _, part := range strings.Split(scalarString(s), sep) {
			out = append(out, part)
		}
		return out, nil
	case "Fn::If":
		a, ok := arg.([]any)
		if !ok || len(a) != 3 {
			return fail("takes [condition, then, else]")
		}
		cond, _ := a[0].(string)
		yes, err := t.Condition(cond, env)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if yes {
			return t.resolve(a[1], env, p+"[1]")
		}
		return t.resolve(a[2], env, p+"[2]")
	case "Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not", "Condition":
		return t.evalCondition(map[string]any{name: arg}, env, p, map[string]bool{})
	case "Fn::FindInMap":
		a, ok := arg.([]any)
		if !ok || len(a) < 3 {
			return fail("takes [map, key, key]")
		}
		keys := make([]string, 3)
		for i := range 3 {
			r, err := t.resolve(a[i], env, p)
			if err != nil {
				return nil, err
			}
			keys[i] = scalarString(r)
		}
		m1, _ := t.Mappings[keys[0]].(map[string]any)
		m2, _ := m1[keys[1]].(map[string]any)
		v, ok := m2[keys[2]]
		if !ok {
			if len(a) == 4 {
				if d, _ := a[3].(map[string]any); d != nil {
					return t.resolve(d["DefaultValue"], env, p)
				}
			}
			return fail("no %s.%s.%s in Mappings", keys[0], keys[1], keys[2])
		}
		return v, nil
	case "Fn::Base64":
		s, err := t.resolve(arg, env, p)
		if err != nil {
			return nil, err
		}
		return base64.StdEncoding.EncodeToString([]byte(scalarString(s))), nil
	case "Fn::ToJsonString":
		v, err := t.resolve(arg, env, p)
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(v)
		return string(b), err
	case "Fn::Length":
		v, err := t.resolve(arg, env, p)
		if err != nil {
			return nil, err
		}
		l, ok := v.([]any)
		if !ok {
			return fail("takes a list")
		}
		return int64(len(l)), nil
	}
	return nil, fmt.Errorf("%w: %s: %s is not evaluated by the local runtime", ErrUnsupported, p, name)
}

func (t *Template) ref(name string, env Env, path string) (any, error) {
	if v, ok := env.pseudo(name); ok {
		return v, nil
	}
	if v, ok := env.Parameters[name]; ok {
		return v, nil
	}
	if _, ok := t.Parameters[name]; ok {
		return nil, fmt.Errorf("%w: %s: parameter %s has no value", ErrTemplate, path, name)
	}
	if fn, ok := t.publishedRef(name); ok {
		if err := t.checkPublished(fn, name); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	} else if !t.declaresOrGenerates(name) && !implicit(name) {
		return nil, fmt.Errorf("%w: %s: Ref to unknown %s", ErrTemplate, path, name)
	}
	if env.Resources == nil {
		return nil, fmt.Errorf("%w: %s: no resources to resolve Ref %s", ErrTemplate, path, name)
	}
	v, err := env.Resources.Ref(name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

// publishedRef reports whether name is SAM's reference to the version or alias AutoPublishAlias
// generates for a function ("MyFunction.Version", "MyFunction.Alias"), and returns the function's id.
// Ref of the version is its ARN, qualified with the version number; Ref of the alias is the alias ARN
// (docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-resource-function.html,
// "Referenceable properties").
func (t *Template) publishedRef(name string) (string, bool) {
	for _, suffix := range []string{".Version", ".Alias"} {
		if fn, ok := strings.CutSuffix(name, suffix); ok && fn != "" {
			return fn, true
		}
	}
	return "", false
}

// checkPublished refuses a version or alias reference to anything but a function that publishes one:
// SAM generates them only for an AWS::Serverless::Function with AutoPublishAlias (its own or Globals').
func (t *Template) checkPublished(fn, name string) error {
	r, ok := t.Resources[fn]
	if !ok || r.Type != "AWS::Serverless::Function" {
		return fmt.Errorf("%w: Ref to %s: %s is not a serverless function", ErrTemplate, name, fn)
	}
	if _, own := r.Properties["AutoPublishAlias"]; !own {
		g, _ := t.Globals["Function"].(map[string]any)
		if _, global := g["AutoPublishAlias"]; !global {
			return fmt.Errorf("%w: Ref to %s: %s has no AutoPublishAlias, so SAM publishes no version or alias", ErrTemplate, name, fn)
		}
	}
	return nil
}

// declaresOrGenerates reports whether id is a resource of the template or one SAM generates for a
// function's event (GeneratedResource).
func (t *Template) declaresOrGenerates(id string) bool {
	if _, ok := t.Resources[id]; ok {
		return true
	}
	_, ok := t.GeneratedResource(id)
	return ok
}

// implicit names are resources SAM generates that templates may reference.
func implicit(name string) bool {
	return name == "ServerlessHttpApi" || name == "ServerlessRestApi" || strings.HasSuffix(name, "Role")
}

var subVar = regexp.MustCompile(`\$\{([^}]*)\}`)

func (t *Template) sub(arg any, env Env, path string) (any, error) {
	var tmpl string
	vars := map[string]any{}
	switch a := arg.(type) {
	case string:
		tmpl = a
	case []any:
		if len(a) != 2 {
			return nil, fmt.Errorf("%w: %s: takes a string or [string, {vars}]", ErrTemplate, path)
		}
		tmpl, _ = a[0].(string)
		m, _ := a[1].(map[string]any)
		for k, v := range m {
			r, err := t.resolve(v, env, joinPath(path, k))
			if err != nil {
				return nil, err
			}
			vars[k] = r
		}
	default:
		return nil, fmt.Errorf("%w: %s: takes a string or [string, {vars}]", ErrTemplate, path)
	}
	var firstErr error
	out := subVar.ReplaceAllStringFunc(tmpl, func(m string) string {
		name := m[2 : len(m)-1]
		if strings.HasPrefix(name, "!") {
			return "${" + name[1:] + "}" // ${!Literal} escapes
		}
		var v any
		var err error
		if x, ok := vars[name]; ok {
			v = x
		} else if res, attr, dotted := strings.Cut(name, "."); dotted && !strings.HasPrefix(name, "AWS::") {
			v, err = t.intrinsic("Fn::GetAtt", []any{res, attr}, env, path)
		} else {
			v, err = t.ref(name, env, path)
		}
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return scalarString(v)
	})
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

// Condition evaluates a named condition.
func (t *Template) Condition(name string, env Env) (bool, error) {
	v, err := t.evalCondition(map[string]any{"Condition": name}, env, "Conditions", map[string]bool{})
	if err != nil {
		return false, err
	}
	return v.(bool), nil
}

func (t *Template) evalCondition(v any, env Env, path string, seen map[string]bool) (any, error) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return nil, fmt.Errorf("%w: %s: not a condition", ErrTemplate, path)
	}
	for op, arg := range m {
		switch op {
		case "Condition":
			name, _ := arg.(string)
			def, ok := t.Conditions[name]
			if !ok {
				return nil, fmt.Errorf("%w: %s: no condition %q", ErrTemplate, path, name)
			}
			if seen[name] {
				return nil, fmt.Errorf("%w: %s: condition %q refers to itself", ErrTemplate, path, name)
			}
			seen[name] = true
			defer delete(seen, name)
			return t.evalCondition(def, env, "Conditions."+name, seen)
		case "Fn::Equals":
			a, ok := arg.([]any)
			if !ok || len(a) != 2 {
				return nil, fmt.Errorf("%w: %s: Fn::Equals takes two values", ErrTemplate, path)
			}
			l, err := t.resolve(a[0], env, path)
			if err != nil {
				return nil, err
			}
			r, err := t.resolve(a[1], env, path)
			if err != nil {
				return nil, err
			}
			return scalarString(l) == scalarString(r), nil
		case "Fn::Not", "Fn::And", "Fn::Or":
			a, ok := arg.([]any)
			if !ok || len(a) == 0 || (op == "Fn::Not" && len(a) != 1) {
				return nil, fmt.Errorf("%w: %s: %s takes a list of conditions", ErrTemplate, path, op)
			}
			results := make([]bool, len(a))
			for i, c := range a {
				r, err := t.evalCondition(c, env, path, seen)
				if err != nil {
					return nil, err
				}
				results[i] = r.(bool)
			}
			switch op {
			case "Fn::Not":
				return !results[0], nil
			case "Fn::And":
				for _, r := range results {
					if !r {
						return false, nil
					}
				}
				return true, nil
			default:
				for _, r := range results {
					if r {
						return true, nil
					}
				}
				return false, nil
			}
		}
		return nil, fmt.Errorf("%w: %s: %s is not a condition function", ErrTemplate, path, op)
	}
	return nil, nil
}

// Order returns the logical ids in an order where every resource comes after those it references.
func (t *Template) Order() ([]string, error) {
	deps := map[string][]string{}
	for id, r := range t.Resources {
		set := map[string]bool{}
		props := r.Properties
		if r.Type == "AWS::Serverless::Function" && props["DeploymentPreference"] != nil {
			// SAM moves a function's DeploymentPreference to the CodeDeploy deployment group it generates:
			// its alarms and hooks may name the function itself without a cycle.
			props = maps.Clone(props)
			delete(props, "DeploymentPreference")
		}
		refs(props, set)
		for _, d := range r.DependsOn {
			set[d] = true
		}
		for d := range set {
			if g, ok := t.GeneratedResource(d); ok {
				d = g.Function // a generated rule exists once its function does
			}
			if _, ok := t.Resources[d]; ok && d != id {
				deps[id] = append(deps[id], d)
			}
		}
		sort.Strings(deps[id])
	}
	var order []string
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(id string, stack []string) error
	visit = func(id string, stack []string) error {
		switch state[id] {
		case 1:
			return fmt.Errorf("%w: circular references: %s -> %s", ErrTemplate, strings.Join(stack, " -> "), id)
		case 2:
			return nil
		}
		state[id] = 1
		for _, d := range deps[id] {
			if err := visit(d, append(stack, id)); err != nil {
				return err
			}
		}
		state[id] = 2
		order = append(order, id)
		return nil
	}
	for _, id := range t.ResourceIDs() {
		if err := visit(id, nil); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// refs collects the logical ids v references through Ref, Fn::GetAtt and Fn::Sub.
func refs(v any, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			switch k {
			case "Ref":
				if s, ok := c.(string); ok {
					// A function's published version or alias depends on the function.
					for _, suffix := range []string{".Version", ".Alias"} {
						s = strings.TrimSuffix(s, suffix)
					}
					out[s] = true
				}
			case "Fn::GetAtt":
				switch a := c.(type) {
				case []any:
					if len(a) > 0 {
						if s, ok := a[0].(string); ok {
							out[s] = true
						}
					}
				case string:
					res, _, _ := strings.Cut(a, ".")
					out[res] = true
				}
			case "Fn::Sub":
				s, _ := c.(string)
				if a, ok := c.([]any); ok && len(a) > 0 {
					s, _ = a[0].(string)
					refs(a[1:], out)
				}
				for _, m := range subVar.FindAllStringSubmatch(s, -1) {
					res, _, _ := strings.Cut(m[1], ".")
					out[res] = true
				}
				continue
			}
			refs(c, out)
		}
	case []any:
		for _, c := range x {
			refs(c, out)
		}
	}
}
