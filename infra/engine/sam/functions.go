package sam

import (
	"fmt"
	"sort"
	"strings"
)

// Function is an AWS::Serverless::Function with the template's Globals applied. Values are unresolved.
type Function struct {
	LogicalID  string
	Properties map[string]any
	Events     []Event
	Condition  string
	Metadata   map[string]any
}

// Event is one entry of a function's Events.
type Event struct {
	Name       string
	Type       string
	Properties map[string]any
}

// Supported function event types of the local runtime.
// ScheduleV2 (an EventBridge Scheduler schedule) is not: its generated id resolves, but it is refused
// at start.
var FunctionEventTypes = map[string]bool{"HttpApi": true, "EventBridgeRule": true, "CloudWatchEvent": true, "Schedule": true, "DynamoDB": true, "SQS": true}

// Functions returns every function, sorted by logical id.
func (t *Template) Functions() ([]Function, error) {
	var out []Function
	globals, _ := t.Globals["Function"].(map[string]any)
	for _, id := range t.ResourceIDs() {
		r := t.Resources[id]
		if r.Type != "AWS::Serverless::Function" {
			continue
		}
		props := merge(globals, r.Properties)
		f := Function{LogicalID: id, Properties: props, Condition: r.Condition, Metadata: r.Metadata}
		events, _ := props["Events"].(map[string]any)
		names := make([]string, 0, len(events))
		for n := range events {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			e, ok := events[n].(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%w: Resources.%s.Properties.Events.%s is not a mapping", ErrTemplate, id, n)
			}
			typ, _ := e["Type"].(string)
			ep, _ := e["Properties"].(map[string]any)
			if ep == nil {
				ep = map[string]any{}
			}
			f.Events = append(f.Events, Event{Name: n, Type: typ, Properties: ep})
		}
		out = append(out, f)
	}
	return out, nil
}

// WithGlobals returns a resource's properties with the Globals section of its kind ("HttpApi",
// "StateMachine", ...) applied.
func (t *Template) WithGlobals(kind string, props map[string]any) map[string]any {
	g, _ := t.Globals[kind].(map[string]any)
	return merge(g, props)
}

// merge applies SAM's Globals rules: maps merge key by key, lists are the global items followed by the
// resource's, and any other value of the resource replaces the global one.
func merge(global, local map[string]any) map[string]any {
	out := make(map[string]any, len(global)+len(local))
	for k, v := range global {
		out[k] = v
	}
	for k, v := range local {
		g, ok := out[k]
		if !ok {
			out[k] = v
			continue
		}
		gm, gIsMap := g.(map[string]any)
		lm, lIsMap := v.(map[string]any)
		gl, gIsList := g.([]any)
		ll, lIsList := v.([]any)
		switch {
		case gIsMap && lIsMap && !intrinsicMap(gm) && !intrinsicMap(lm):
			out[k] = merge(gm, lm)
		case gIsList && lIsList:
			out[k] = append(append([]any{}, gl...), ll...)
		default:
			out[k] = v
		}
	}
	return out
}

func intrinsicMap(m map[string]any) bool {
	if len(m) != 1 {
		return false
	}
	for k := range m {
		return k == "Ref" || strings.HasPrefix(k, "Fn::")
	}
	return false
}

// Validate refuses resource and function event types the local runtime cannot run, naming each.
func (t *Template) Validate(supported func(resourceType string) bool) error {
	return t.validate(supported, func(string) (bool, error) { return true, nil })
}

// ValidateFor is Validate for the resources a stack with env's parameters creates: CloudFormation
// creates no resource whose Condition is false (docs.aws.amazon.com/AWSCloudFormation/latest/
// UserGuide/conditions-section-structure.html), so such a resource's type may be one the runtime
// lacks, as an optional part of a template that is off by default may be.
func (t *Template) ValidateFor(env Env, supported func(resourceType string) bool) error {
	return t.validate(supported, func(id string) (bool, error) {
		c := t.Resources[id].Condition
		if c == "" {
			return true, nil
		}
		return t.Condition(c, env)
	})
}

func (t *Template) validate(supported func(resourceType string) bool, created func(id string) (bool, error)) error {
	var problems []string
	for _, id := range t.ResourceIDs() {
		r := t.Resources[id]
		ok, err := created(id)
		if err != nil {
			return fmt.Errorf("Resources.%s.Condition: %w", id, err)
		}
		if ok && !supported(r.Type) {
			problems = append(problems, fmt.Sprintf("Resources.%s: type %s is not supported locally", id, r.Type))
		}
	}
	fns, err := t.Functions()
	if err != nil {
		return err
	}
	for _, f := range fns {
		for _, e := range f.Events {
			if !FunctionEventTypes[e.Type] {
				problems = append(problems, fmt.Sprintf("Resources.%s.Properties.Events.%s: event type %s is not supported locally", f.LogicalID, e.Name, e.Type))
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrUnsupported, strings.Join(problems, "; "))
	}
	return nil
}
