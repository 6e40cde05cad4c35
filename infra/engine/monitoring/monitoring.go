// Package monitoring reads the metrics a template's CloudWatch alarms and dashboards watch, so that
// tests can hold each one against what really emits it: the application's own EMF lines or the
// dimension sets AWS documents for its services (AWSDimensionSets).
//
// CloudWatch "treats each unique combination of dimensions as a separate metric": an alarm or a graph
// naming one dimension more or less than the emitter sees no data, and an alarm that treats missing data
// as not breaching stays OK forever.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricStatistics.html
package monitoring

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/orion-oss/orion/infra/engine/sam"
)

// Ref is one metric an alarm or a dashboard widget reads.
type Ref struct {
	// Where names the alarm or dashboard widget (for messages).
	Where     string
	Namespace string
	Name      string
	// Dims are the dimensions by name with their values. In a SEARCH, a key of the schema without a
	// filter term has the value "" (any).
	Dims map[string]string
	// Search marks a SEARCH expression's schema: the keys are the exact set; Name and values come from
	// its filter terms.
	Search bool
}

// Keys are the dimension names, sorted.
func (r Ref) Keys() []string {
	keys := make([]string, 0, len(r.Dims))
	for k := range r.Dims {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (r Ref) String() string {
	return fmt.Sprintf("%s: %s %s %v", r.Where, r.Namespace, r.Name, r.Dims)
}

// Resolver resolves a template value (infra/engine/sam Template.Resolve against some environment).
type Resolver func(v any, path string) (any, error)

// Refs lists the metrics of every AWS::CloudWatch::Alarm (single metric and metric math) and every
// AWS::CloudWatch::Dashboard of the template, resolved with resolve.
func Refs(tpl *sam.Template, resolve Resolver) ([]Ref, error) {
	var out []Ref
	for _, id := range tpl.ResourceIDs() {
		r := tpl.Resources[id]
		switch r.Type {
		case "AWS::CloudWatch::Alarm":
			v, err := resolve(r.Properties, "Resources."+id+".Properties")
			if err != nil {
				return nil, err
			}
			props, _ := v.(map[string]any)
			refs, err := alarmRefs("alarm "+id, props)
			if err != nil {
				return nil, err
			}
			out = append(out, refs...)
		case "AWS::CloudWatch::Dashboard":
			v, err := resolve(r.Properties["DashboardBody"], "Resources."+id+".Properties.DashboardBody")
			if err != nil {
				return nil, err
			}
			body, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("monitoring: %s: DashboardBody does not resolve to a string", id)
			}
			refs, err := DashboardRefs("dashboard "+id, body)
			if err != nil {
				return nil, err
			}
			out = append(out, refs...)
		}
	}
	return out, nil
}

func alarmRefs(where string, props map[string]any) ([]Ref, error) {
	if name := sam.String(props, "MetricName"); name != "" {
		return []Ref{{Where: where, Namespace: sam.String(props, "Namespace"), Name: name, Dims: dims(props["Dimensions"])}}, nil
	}
	var out []Ref
	for _, m := range sam.List(props, "Metrics") {
		q, _ := m.(map[string]any)
		id := sam.String(q, "Id")
		if metric := sam.Map(sam.Map(q, "MetricStat"), "Metric"); metric != nil {
			out = append(out, Ref{Where: where + " " + id, Namespace: sam.String(metric, "Namespace"), Name: sam.String(metric, "MetricName"),
				Dims: dims(metric["Dimensions"])})
		}
		if expr := sam.String(q, "Expression"); expr != "" {
			refs, err := SearchRefs(where+" "+id, expr)
			if err != nil {
				return nil, err
			}
			out = append(out, refs...)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("monitoring: %s names no metric", where)
	}
	return out, nil
}

// dims reads a CloudFormation Dimensions list ([{Name, Value}]).
func dims(v any) map[string]string {
	out := map[string]string{}
	list, _ := v.([]any)
	for _, d := range list {
		m, _ := d.(map[string]any)
		out[sam.String(m, "Name")] = fmt.Sprint(m["Value"])
	}
	return out
}

// DashboardRefs lists the metrics of a dashboard body's metric widgets. Each entry of a widget's
// "metrics" array is [Namespace, MetricName, Name1, Value1, ..., {options}], or [{"expression": ...}];
// in an entry, "." repeats the previous entry's item at that position and "..." the previous entry's
// items up to those that follow it, as the Dashboard Body Structure page describes ("Metric Widget:
// Format for Each Metric in the Array").
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
func DashboardRefs(where, body string) ([]Ref, error) {
	var doc struct {
		Widgets []struct {
			Type       string `json:"type"`
			Properties struct {
				Title   string  `json:"title"`
				Metrics [][]any `json:"metrics"`
			} `json:"properties"`
		} `json:"widgets"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		return nil, fmt.Errorf("monitoring: %s: the body is not JSON: %w", where, err)
	}
	var out []Ref
	for _, w := range doc.Widgets {
		if w.Type != "metric" {
			continue
		}
		at := fmt.Sprintf("%s widget %q", where, w.Properties.Title)
		var prev []string
		for i, entry := range w.Properties.Metrics {
			if len(entry) > 0 {
				if opts, ok := entry[0].(map[string]any); ok {
					if expr, _ := opts["expression"].(string); expr != "" {
						refs, err := SearchRefs(fmt.Sprintf("%s entry %d", at, i), expr)
						if err != nil {
							return nil, err
						}
						out = append(out, refs...)
					}
					continue
				}
			}
			items, err := expand(entry, prev)
			if err != nil {
				return nil, fmt.Errorf("monitoring: %s entry %d: %w", at, i, err)
			}
			prev = items
			if len(items) < 2 || len(items)%2 != 0 {
				return nil, fmt.Errorf("monitoring: %s entry %d: %v is not [Namespace, MetricName, Name, Value, ...]", at, i, items)
			}
			r := Ref{Where: fmt.Sprintf("%s entry %d", at, i), Namespace: items[0], Name: items[1], Dims: map[string]string{}}
			for j := 2; j < len(items); j += 2 {
				r.Dims[items[j]] = items[j+1]
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// expand applies the "." and "..." shorthand to one entry's items (its trailing options object left
// out) against the previous entry's expanded items.
func expand(entry []any, prev []string) ([]string, error) {
	var items []string
	for _, v := range entry {
		switch x := v.(type) {
		case string:
			items = append(items, x)
		case map[string]any: // rendering options
		default:
			return nil, fmt.Errorf("item %v is neither a string nor options", v)
		}
	}
	if len(items) > 0 && items[0] == "..." {
		rest := items[1:]
		if len(prev) < len(rest) {
			return nil, fmt.Errorf(`"..." with no previous entry long enough`)
		}
		return append(slices.Clone(prev[:len(prev)-len(rest)]), rest...), nil
	}
	for i, it := range items {
		if it == "." {
			if i >= len(prev) {
				return nil, fmt.Errorf(`"." at %d with no previous item there`, i)
			}
			items[i] = prev[i]
		}
	}
	return items, nil
}

var (
	searchCall = regexp.MustCompile(`SEARCH\(\s*'((?:[^'\\]|\\.)*)'`)
	schema     = regexp.MustCompile(`^\s*\{([^}]*)\}(.*)$`)
	searchTerm = regexp.MustCompile(`([A-Za-z0-9_.:-]+)\s*=\s*"([^"]*)"`)
)

// SearchRefs reads the SEARCH calls of a metric math expression. A search expression with a schema,
// '{Namespace,Dim1,Dim2} term term', finds only metrics with exactly those dimensions; its terms
// MetricName="..." and Dim="..." fix the name and values (other words are free text, not read here).
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/search-expression-syntax.html
func SearchRefs(where, expr string) ([]Ref, error) {
	var out []Ref
	for _, m := range searchCall.FindAllStringSubmatch(expr, -1) {
		q := m[1]
		s := schema.FindStringSubmatch(q)
		if s == nil {
			return nil, fmt.Errorf("monitoring: %s: SEARCH(%q) has no {Namespace,Dimensions} schema: it would match any dimension set", where, q)
		}
		parts := strings.Split(s[1], ",")
		r := Ref{Where: where + " SEARCH", Namespace: strings.Trim(strings.TrimSpace(parts[0]), `"`), Dims: map[string]string{}, Search: true}
		for _, k := range parts[1:] {
			r.Dims[strings.Trim(strings.TrimSpace(k), `"`)] = ""
		}
		for _, t := range searchTerm.FindAllStringSubmatch(s[2], -1) {
			if t[1] == "MetricName" {
				r.Name = t[2]
				continue
			}
			if _, ok := r.Dims[t[1]]; !ok {
				return nil, fmt.Errorf("monitoring: %s: SEARCH(%q) filters on %s, which is not in its schema", where, q, t[1])
			}
			r.Dims[t[1]] = t[2]
		}
		if r.Name == "" {
			return nil, fmt.Errorf(`monitoring: %s: SEARCH(%q) names no MetricName="..."`, where, q)
		}
		out = append(out, r)
	}
	return out, nil
}
