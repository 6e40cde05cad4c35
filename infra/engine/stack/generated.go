package stack

import (
	"fmt"

	"github.com/orion-oss/orion/infra/engine/sam"
)

// generatedRule is the rule the stack creates for a function's EventBridgeRule, CloudWatchEvent or
// Schedule event: what SAM generates as the AWS::Events::Rule <function><event>.
type generatedRule struct{ name, arn, bus string }

// generatedRules gives each rule a function's events generate its name and ARN, and records them as
// the generated resource's Ref and Arn, so that a template naming <function><event> (a queue policy's
// aws:SourceArn, a permission) resolves to the rule that really delivers. The name is the event's
// RuleName (Name for a Schedule), else <function name>-<event>; CloudFormation would add a random
// suffix, which a local stack has no use for.
func (s *Stack) generatedRules(id string, f *function) error {
	fn := sam.Function{LogicalID: id}
	events, _ := s.tpl.Resources[id].Properties["Events"].(map[string]any)
	for _, name := range sortedKeys(events) {
		e, _ := events[name].(map[string]any)
		typ, _ := e["Type"].(string)
		props, _ := e["Properties"].(map[string]any)
		fn.Events = append(fn.Events, sam.Event{Name: name, Type: typ, Properties: props})
	}
	for _, g := range fn.GeneratedResources() {
		if g.Type != "AWS::Events::Rule" {
			continue
		}
		var ev sam.Event
		for _, e := range fn.Events {
			if e.Name == g.Event {
				ev = e
			}
		}
		path := "Resources." + id + ".Properties.Events." + g.Event + ".Properties"
		nameProp, bus := "RuleName", "default"
		if ev.Type == "Schedule" {
			nameProp = "Name" // scheduled rules belong to the default bus
		} else if v, ok := ev.Properties["EventBusName"]; ok {
			out, err := s.tpl.Resolve(v, s.env, path+".EventBusName")
			if err != nil {
				return err
			}
			bus = busName(fmt.Sprint(out))
		}
		rule := generatedRule{name: f.name + "-" + g.Event, bus: bus}
		if v, ok := ev.Properties[nameProp]; ok {
			out, err := s.tpl.Resolve(v, s.env, path+"."+nameProp)
			if err != nil {
				return err
			}
			if rule.name, _ = out.(string); rule.name == "" {
				return fmt.Errorf("stack: %s.%s must resolve to a name", path, nameProp)
			}
		}
		rule.arn = s.ruleArn(bus, rule.name)
		if f.rules == nil {
			f.rules = map[string]generatedRule{}
		}
		f.rules[g.Event] = rule
		s.res.set(g.LogicalID, rule.name, map[string]any{"Arn": rule.arn})
	}
	return nil
}
