package states

import (
	"encoding/json"
	"fmt"
	"sort"
)

// ext is what a state adds to the JSONPath fields of `state`: its query language, its JSONata fields,
// and its variable assignments (Assign is valid in both languages).
type ext struct {
	lang string

	assign     map[string]any
	arguments  any
	hasArgs    bool
	output     any
	hasOutput  bool
	items      any
	hasItems   bool
	selector   any
	hasSel     bool
	exprFields map[string]any // the expressionFields as written: a number, a string or "{% ... %}"

	catch []extCatch
	// rules are a Choice state's rules: JSONata ones (Condition) in full; for JSONPath only their Assign.
	rules []extRule
}

type extCatch struct {
	assign    map[string]any
	output    any
	hasOutput bool
}

type extRule struct {
	condition string
	next      string
	assign    map[string]any
	output    any
	hasOutput bool
}

func (x *ext) jsonata() bool { return x != nil && x.lang == jsonataLang }

// Fields by query language (https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html
// and the state pages' field tables).
var (
	pathOnlyFields = []string{"InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector", "Result",
		"ItemsPath", "TimeoutSecondsPath", "HeartbeatSecondsPath", "SecondsPath", "TimestampPath", "ErrorPath",
		"CausePath", "MaxConcurrencyPath", "ToleratedFailureCountPath", "ToleratedFailurePercentagePath"}
	jsonataOnlyFields = []string{"Arguments", "Output", "Items"}
	// expressionFields may hold "{% %}" in a JSONata state, where the struct holds a number or a string.
	expressionFields = []string{"TimeoutSeconds", "HeartbeatSeconds", "Seconds", "Timestamp", "Error", "Cause",
		"MaxConcurrency", "ToleratedFailureCount", "ToleratedFailurePercentage"}
	// refusedFields are features the interpreter does not run (distributed Map's); see ADR 0024.
	refusedFields = map[string]string{
		"ItemReader":   "https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html",
		"ResultWriter": "https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html",
		"ItemBatcher":  "https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itembatcher.html",
		"Credentials":  "https://docs.aws.amazon.com/step-functions/latest/dg/concepts-access-cross-acct-resources.html",
	}
	assignTypes = map[string]bool{"Pass": true, "Task": true, "Map": true, "Parallel": true, "Choice": true, "Wait": true}
	// hasResult are the states whose Output and Assign see $states.result.
	hasResult = map[string]bool{"Task": true, "Map": true, "Parallel": true}
)

// queryLanguage reads a QueryLanguage field ("" when absent).
func queryLanguage(raw map[string]json.RawMessage, where string) (string, error) {
	q, ok := raw["QueryLanguage"]
	if !ok {
		return "", nil
	}
	var lang string
	if err := json.Unmarshal(q, &lang); err != nil || (lang != jsonataLang && lang != pathLang) {
		return "", fmt.Errorf("states: %sQueryLanguage must be JSONPath or JSONata", where)
	}
	return lang, nil
}

// machineLanguage is the default language of a machine's states: the top level's QueryLanguage
// (JSONPath when absent). A Parallel branch or a Map's ItemProcessor is not a state machine and may
// not set one ("Field 'QueryLanguage' is not supported"); its states default to the top level's
// language, not to the enclosing state's.
func machineLanguage(raw map[string]json.RawMessage, where, inherited string) (string, error) {
	if where != "" {
		if _, ok := raw["QueryLanguage"]; ok {
			return "", fmt.Errorf("states: %sQueryLanguage: Field 'QueryLanguage' is not supported here; set it on the state machine or on each state (https://docs.aws.amazon.com/step-functions/latest/dg/statemachine-structure.html)", where)
		}
		return inherited, nil
	}
	lang, err := queryLanguage(raw, where)
	if err != nil || lang == "" {
		return pathLang, err
	}
	return lang, nil
}

// parseExt reads a state's language, JSONata fields and Assign, refuses fields that are not valid in its
// language, and returns raw without the values the JSONPath struct cannot hold (expressions in
// numeric fields).
func parseExt(raw map[string]json.RawMessage, name, machineLang string) (*ext, map[string]json.RawMessage, error) {
	for _, f := range []string{"ItemReader", "ResultWriter", "ItemBatcher", "Credentials"} {
		if _, ok := raw[f]; ok {
			doc := refusedFields[f]
			return nil, nil, fmt.Errorf("states: %s: %s is not supported locally (%s)", name, f, doc)
		}
	}
	lang, err := queryLanguage(raw, name+": ")
	if err != nil {
		return nil, nil, err
	}
	if lang == "" {
		lang = machineLang
	}
	if machineLang == jsonataLang && lang == pathLang {
		return nil, nil, fmt.Errorf("states: %s: 'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine (https://docs.aws.amazon.com/step-functions/latest/dg/statemachine-structure.html)", name)
	}
	var typ string
	json.Unmarshal(raw["Type"], &typ)
	x := &ext{lang: lang, exprFields: map[string]any{}}
	if a, ok := raw["Assign"]; ok {
		if !assignTypes[typ] {
			return nil, nil, fmt.Errorf("states: %s: a %s state has no Assign (%s)", name, typ, docsVariables)
		}
		if err := json.Unmarshal(a, &x.assign); err != nil || x.assign == nil {
			return nil, nil, fmt.Errorf("states: %s: Assign must be an object", name)
		}
		if err := checkAssign(x.assign, lang); err != nil {
			return nil, nil, fmt.Errorf("states: %s: %w", name, err)
		}
	}
	out := make(map[string]json.RawMessage, len(raw))
	for k, v := range raw {
		out[k] = v
	}
	if lang == pathLang {
		for _, f := range jsonataOnlyFields {
			if _, ok := raw[f]; ok {
				return nil, nil, fmt.Errorf("states: %s: The QueryLanguage is set to 'JSONPath', but field '%s' is only supported for the 'JSONata' QueryLanguage (%s)", name, f, docsJSONata)
			}
		}
		if err := x.parsePathChoices(out, name); err != nil {
			return nil, nil, err
		}
		if err := x.parseCatch(raw, name); err != nil {
			return nil, nil, err
		}
		return x, out, nil
	}
	for _, f := range pathOnlyFields {
		if _, ok := raw[f]; ok {
			return nil, nil, fmt.Errorf("states: %s: The QueryLanguage is set to 'JSONata', but field '%s' is only supported for the 'JSONPath' QueryLanguage (use Arguments, Output and Assign; %s)", name, f, docsJSONata)
		}
	}
	fields := []struct {
		key string
		dst *any
		has *bool
		ok  bool
	}{
		{"Arguments", &x.arguments, &x.hasArgs, typ == "Task" || typ == "Parallel"},
		{"Output", &x.output, &x.hasOutput, typ != "Fail"},
		{"Items", &x.items, &x.hasItems, typ == "Map"},
		{"ItemSelector", &x.selector, &x.hasSel, typ == "Map"},
	}
	for _, f := range fields {
		v, ok := raw[f.key]
		if !ok {
			continue
		}
		if !f.ok {
			return nil, nil, fmt.Errorf("states: %s: a %s state has no %s (%s)", name, typ, f.key, docsJSONata)
		}
		json.Unmarshal(v, f.dst)
		*f.has = true
		if err := checkTemplateIn(*f.dst, f.key, false, f.key == "Output" && hasResult[typ]); err != nil {
			return nil, nil, fmt.Errorf("states: %s: %w", name, err)
		}
		delete(out, f.key)
	}
	if err := checkTemplateIn(x.assign, "Assign", false, hasResult[typ]); err != nil {
		return nil, nil, fmt.Errorf("states: %s: %w", name, err)
	}
	for _, f := range expressionFields {
		v, ok := raw[f]
		if !ok {
			continue
		}
		var val any
		json.Unmarshal(v, &val)
		x.exprFields[f] = val
		if _, isExpr := jsonataSource(val); isExpr {
			if err := checkTemplate(val, f); err != nil {
				return nil, nil, fmt.Errorf("states: %s: %w", name, err)
			}
			delete(out, f) // the struct's number fields cannot hold an expression
		}
	}
	if err := x.parseCatch(raw, name); err != nil {
		return nil, nil, err
	}
	if typ == "Choice" {
		if err := x.parseJSONataChoices(raw, name); err != nil {
			return nil, nil, err
		}
	}
	return x, out, nil
}

// parseCatch reads the catchers' Output and Assign (Output only in JSONata; ResultPath only in JSONPath).
func (x *ext) parseCatch(raw map[string]json.RawMessage, name string) error {
	var catches []map[string]any
	json.Unmarshal(raw["Catch"], &catches)
	for i, c := range catches {
		var ec extCatch
		if a, ok := c["Assign"]; ok {
			ec.assign, _ = a.(map[string]any)
			if ec.assign == nil {
				return fmt.Errorf("states: %s: Catch[%d]: Assign must be an object", name, i)
			}
			if err := checkAssign(ec.assign, x.lang); err != nil {
				return fmt.Errorf("states: %s: Catch[%d]: %w", name, i, err)
			}
		}
		_, hasResultPath := c["ResultPath"]
		ec.output, ec.hasOutput = c["Output"]
		switch {
		case x.lang == pathLang && ec.hasOutput:
			return fmt.Errorf("states: %s: Catch[%d]: Output is a JSONata field (%s)", name, i, docsJSONata)
		case x.lang == jsonataLang && hasResultPath:
			return fmt.Errorf("states: %s: Catch[%d]: ResultPath is a JSONPath field; use Output (%s)", name, i, docsJSONata)
		}
		if x.lang == jsonataLang {
			if err := checkTemplateIn(c["Output"], fmt.Sprintf("Catch[%d]/Output", i), true, false); err != nil {
				return fmt.Errorf("states: %s: %w", name, err)
			}
			if err := checkTemplateIn(ec.assign, fmt.Sprintf("Catch[%d]/Assign", i), true, false); err != nil {
				return fmt.Errorf("states: %s: %w", name, err)
			}
		}
		x.catch = append(x.catch, ec)
	}
	return nil
}

// parsePathChoices takes the Assign out of a JSONPath Choice state's rules (choice.go knows only
// comparisons) and keeps it by rule.
func (x *ext) parsePathChoices(out map[string]json.RawMessage, name string) error {
	var rules []map[string]json.RawMessage
	if json.Unmarshal(out["Choices"], &rules) != nil || len(rules) == 0 {
		return nil
	}
	for i, r := range rules {
		if _, ok := r["Condition"]; ok {
			return fmt.Errorf("states: %s: Choices[%d]: Condition is a JSONata field; set QueryLanguage to JSONata (%s)", name, i, docsJSONata)
		}
		var er extRule
		if a, ok := r["Assign"]; ok {
			if json.Unmarshal(a, &er.assign) != nil || er.assign == nil {
				return fmt.Errorf("states: %s: Choices[%d]: Assign must be an object", name, i)
			}
			if err := checkAssign(er.assign, pathLang); err != nil {
				return fmt.Errorf("states: %s: Choices[%d]: %w", name, i, err)
			}
			delete(r, "Assign")
		}
		x.rules = append(x.rules, er)
	}
	b, _ := json.Marshal(rules)
	out["Choices"] = b
	return nil
}

// parseJSONataChoices reads JSONata Choice rules: Condition, Next, and optional Assign and Output.
func (x *ext) parseJSONataChoices(raw map[string]json.RawMessage, name string) error {
	var rules []map[string]any
	if err := json.Unmarshal(raw["Choices"], &rules); err != nil || len(rules) == 0 {
		return fmt.Errorf("states: %s: Choices is required", name)
	}
	for i, r := range rules {
		where := fmt.Sprintf("Choices[%d]", i)
		keys := make([]string, 0, len(r))
		for k := range r {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			switch k {
			case "Condition", "Next", "Assign", "Output", "Comment":
			default:
				return fmt.Errorf("states: %s: %s: %s is not valid in a JSONata Choice rule (use Condition; %s)", name, where, k, docsJSONata)
			}
		}
		var er extRule
		cond, ok := r["Condition"].(string)
		if _, isExpr := jsonataSource(cond); !ok || !isExpr {
			if b, isBool := r["Condition"].(bool); isBool {
				cond = fmt.Sprintf("{%% %t %%}", b)
			} else {
				return fmt.Errorf("states: %s: %s: Condition must be a JSONata expression {%% ... %%}", name, where)
			}
		}
		er.condition = cond
		er.next, _ = r["Next"].(string)
		if er.next == "" {
			return fmt.Errorf("states: %s: %s: a rule needs Next", name, where)
		}
		if a, ok := r["Assign"]; ok {
			er.assign, _ = a.(map[string]any)
			if er.assign == nil {
				return fmt.Errorf("states: %s: %s: Assign must be an object", name, where)
			}
			if err := checkAssign(er.assign, jsonataLang); err != nil {
				return fmt.Errorf("states: %s: %s: %w", name, where, err)
			}
		}
		er.output, er.hasOutput = r["Output"]
		for _, f := range []struct {
			v     any
			field string
		}{{er.condition, where + "/Condition"}, {er.assign, where + "/Assign"}, {er.output, where + "/Output"}} {
			if err := checkTemplate(f.v, f.field); err != nil {
				return fmt.Errorf("states: %s: %w", name, err)
			}
		}
		x.rules = append(x.rules, er)
	}
	return nil
}

// nexts are the JSONata Choice rules' targets, for the definition's Next checks.
func (x *ext) nexts() []string {
	if !x.jsonata() {
		return nil
	}
	var out []string
	for _, r := range x.rules {
		out = append(out, r.next)
	}
	return out
}
