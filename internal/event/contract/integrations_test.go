package contract_test

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/orion-oss/orion/infra/engine/eventpattern"
)

const integrationsPath = "../../../docs/integrations.md"

// orionBusARN is the Orion bus in docs/integrations.md's examples.
const orionBusARN = "arn:aws:events:us-east-1:111122223333:event-bus/orion-prod"

type codeBlock struct {
	lang, text string
	line       int
}

func codeBlocks(t *testing.T, path string) []codeBlock {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []codeBlock
	var cur *codeBlock
	for i, line := range strings.Split(string(b), "\n") {
		switch {
		case cur == nil && strings.HasPrefix(line, "```"):
			cur = &codeBlock{lang: strings.TrimPrefix(line, "```"), line: i + 1}
		case cur != nil && strings.HasPrefix(line, "```"):
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.text += line + "\n"
		}
	}
	return out
}

type statement struct {
	Sid       string
	Effect    string
	Principal map[string]any
	Action    any
	Resource  any
	Condition map[string]map[string]any
}

func (s statement) actions() []string   { return stringsOf(s.Action) }
func (s statement) resources() []string { return stringsOf(s.Resource) }

func (s statement) condition(op, key string) []string {
	return stringsOf(s.Condition[op][key])
}

func stringsOf(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, s := range t {
			out = append(out, fmt.Sprint(s))
		}
		return out
	}
	return nil
}

// TestIntegrationsPoliciesConfineSources reads the bus policies of docs/integrations.md: the Orion bus
// lets no other account publish with Orion's sources (or the saga would act on a forged OrderPlaced),
// the partner may send exactly the partner channels of docs/asyncapi.yaml, and a subscriber's bus takes
// only Orion's sources.
func TestIntegrationsPoliciesConfineSources(t *testing.T) {
	doc := loadAsyncAPI(t)
	var inboundSources, inboundTypes []string
	for name, c := range doc.channels {
		if !slices.Contains(orionSources, c.bridge.Source) {
			inboundTypes = append(inboundTypes, name)
			if !slices.Contains(inboundSources, c.bridge.Source) {
				inboundSources = append(inboundSources, c.bridge.Source)
			}
		}
	}
	sort.Strings(inboundTypes)
	policies, putEventsOnOrion := 0, 0
	for _, b := range codeBlocks(t, integrationsPath) {
		if b.lang != "json" || !strings.Contains(b.text, `"Statement"`) {
			continue
		}
		var p struct{ Statement []statement }
		if err := json.Unmarshal([]byte(b.text), &p); err != nil {
			t.Errorf("docs/integrations.md line %d: %v", b.line, err)
			continue
		}
		policies++
		for _, s := range p.Statement {
			if s.Effect != "Allow" || !slices.Contains(s.actions(), "events:PutEvents") {
				continue
			}
			sources := s.condition("ForAllValues:StringEquals", "events:source")
			if len(sources) == 0 {
				t.Errorf("line %d, %s: PutEvents without an events:source condition", b.line, s.Sid)
				continue
			}
			if !slices.Contains(s.resources(), orionBusARN) {
				for _, src := range sources {
					if !slices.Contains(orionSources, src) {
						t.Errorf("line %d, %s: a subscriber's bus takes %s, which is not Orion's", b.line, s.Sid, src)
					}
				}
				continue
			}
			putEventsOnOrion++
			if !slices.Equal(sources, inboundSources) {
				t.Errorf("line %d, %s: the Orion bus takes sources %v from another account; docs/asyncapi.yaml receives %v",
					b.line, s.Sid, sources, inboundSources)
			}
			types := slices.Sorted(slices.Values(s.condition("ForAllValues:StringEquals", "events:detail-type")))
			if len(types) > 0 && !slices.Equal(types, inboundTypes) {
				t.Errorf("line %d, %s: detail-types %v; docs/asyncapi.yaml receives %v", b.line, s.Sid, types, inboundTypes)
			}
		}
	}
	if policies < 2 || putEventsOnOrion == 0 {
		t.Fatalf("found %d policies and %d PutEvents grants on the Orion bus: the test no longer reads the page", policies, putEventsOnOrion)
	}
}

// TestIntegrationsPatternsMatchDocumentedEvents: every event pattern of docs/integrations.md (the JSON
// ones and the EventPattern of the CloudFormation example) is valid, names only documented
// detail-types with their sources, and matches an example of docs/asyncapi.yaml, so no example rule
// subscribes to nothing.
func TestIntegrationsPatternsMatchDocumentedEvents(t *testing.T) {
	doc := loadAsyncAPI(t)
	events := exampleEvents(t, doc)
	var patterns []any
	for _, b := range codeBlocks(t, integrationsPath) {
		switch b.lang {
		case "json":
			var v map[string]any
			if err := json.Unmarshal([]byte(b.text), &v); err != nil {
				t.Errorf("docs/integrations.md line %d: %v", b.line, err)
				continue
			}
			if _, ok := v["source"]; ok {
				patterns = append(patterns, v)
			}
		case "yaml":
			var v any
			if err := yaml.Unmarshal([]byte(b.text), &v); err != nil {
				t.Errorf("docs/integrations.md line %d: %v", b.line, err)
				continue
			}
			patterns = append(patterns, findKey(v, "EventPattern")...)
		}
	}
	if len(patterns) < 2 {
		t.Fatalf("found %d event patterns in docs/integrations.md; the test no longer reads the page", len(patterns))
	}
	for _, p := range patterns {
		b, _ := json.Marshal(p)
		compiled, err := eventpattern.Compile(b)
		if err != nil {
			t.Errorf("pattern %s: %v", b, err)
			continue
		}
		var pat struct {
			Source     []string `json:"source"`
			DetailType []string `json:"detail-type"`
		}
		_ = json.Unmarshal(b, &pat)
		for _, dt := range pat.DetailType {
			c, ok := doc.channels[dt]
			if !ok || !slices.Contains(pat.Source, c.bridge.Source) {
				t.Errorf("pattern %s names %s, which docs/asyncapi.yaml does not have from %v", b, dt, pat.Source)
			}
		}
		matched := 0
		for _, ev := range events {
			ok, err := compiled.Match(ev)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				matched++
			}
		}
		if matched == 0 {
			t.Errorf("pattern %s matches none of docs/asyncapi.yaml's examples", b)
		}
	}
}

// exampleEvents builds the EventBridge event of each example of docs/asyncapi.yaml, as a rule sees it.
func exampleEvents(t *testing.T, doc asyncAPI) [][]byte {
	t.Helper()
	var out [][]byte
	for _, c := range doc.channels {
		_, msg := doc.message(t, c)
		examples, _ := msg["examples"].([]any)
		for _, ex := range examples {
			e := obj(ex)
			ev := map[string]any{"version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718", "account": "111122223333",
				"time": "2026-11-25T09:30:02Z", "region": "us-east-1", "resources": []any{}, "detail": e["payload"]}
			for k, v := range obj(e["headers"]) {
				ev[k] = v
			}
			b, _ := json.Marshal(ev)
			out = append(out, b)
		}
	}
	return out
}

func findKey(v any, key string) []any {
	var out []any
	switch t := v.(type) {
	case map[string]any:
		for k, sub := range t {
			if k == key {
				out = append(out, sub)
				continue
			}
			out = append(out, findKey(sub, key)...)
		}
	case []any:
		for _, sub := range t {
			out = append(out, findKey(sub, key)...)
		}
	}
	return out
}
