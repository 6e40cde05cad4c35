package sam

import "strings"

// Generated is a resource SAM generates for one of a function's events, which a template may reference
// by its logical id like any resource it declares.
type Generated struct {
	LogicalID, Type string
	// Function and Event name the function and the event that generate it.
	Function, Event string
}

// generatedByEvent is the resource each function event type generates under the logical id
// <function-LogicalId><event-LogicalId>: an AWS::Events::Rule for EventBridgeRule, CloudWatchEvent and
// Schedule events, an AWS::Scheduler::Schedule for ScheduleV2 events ("CloudFormation resources
// generated when AWS::Serverless::Function is specified", Event sources:
// docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-specification-generated-resources-function.html).
// Other event types generate resources too (permissions, mappings) that Orion's template never names:
// they are left out, so a reference to them fails as a typo does.
var generatedByEvent = map[string]string{
	"EventBridgeRule": "AWS::Events::Rule",
	"CloudWatchEvent": "AWS::Events::Rule",
	"Schedule":        "AWS::Events::Rule",
	"ScheduleV2":      "AWS::Scheduler::Schedule",
}

// GeneratedResource reports whether id is a resource SAM generates for a function's event, and which.
// Only an event the function really declares, of a type that generates a resource, answers: a
// misspelt id does not.
func (t *Template) GeneratedResource(id string) (Generated, bool) {
	for fn, r := range t.Resources {
		if r.Type != "AWS::Serverless::Function" {
			continue
		}
		name, ok := strings.CutPrefix(id, fn)
		if !ok || name == "" {
			continue
		}
		// Events are not among the properties Globals may set, so the function's own are all of them.
		events, _ := r.Properties["Events"].(map[string]any)
		ev, _ := events[name].(map[string]any)
		typ, _ := ev["Type"].(string)
		if rt, ok := generatedByEvent[typ]; ok {
			return Generated{LogicalID: id, Type: rt, Function: fn, Event: name}, true
		}
	}
	return Generated{}, false
}

// GeneratedResources lists the resources SAM generates for a function's events (GeneratedResource),
// sorted by event name.
func (f Function) GeneratedResources() []Generated {
	var out []Generated
	for _, e := range f.Events {
		if rt, ok := generatedByEvent[e.Type]; ok {
			out = append(out, Generated{LogicalID: f.LogicalID + e.Name, Type: rt, Function: f.LogicalID, Event: e.Name})
		}
	}
	return out
}
