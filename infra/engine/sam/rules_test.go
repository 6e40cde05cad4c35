package sam_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/orion-oss/orion/infra/engine/sam"
)

const rulesTemplate = `
Parameters:
  Stage: { Type: String, Default: dev, AllowedValues: [local, dev, prod] }
  From: { Type: String, Default: orders@example.com }
  Zones: { Type: CommaDelimitedList, Default: "a,b" }
Rules:
  DeployableStage:
    RuleCondition: !Not [!Equals [!Ref Stage, local]]
    Assertions:
      - Assert: { "Fn::Not": [{ "Fn::Contains": [[orders@example.com, admin@example.com], !Ref From] }] }
        AssertDescription: From must not be the sandbox address.
  KnownZones:
    Assertions:
      - Assert: { "Fn::EachMemberIn": [!Ref Zones, [a, b, c]] }
        AssertDescription: Zones must be a, b or c.
      - Assert: { "Fn::Or": [{ "Fn::EachMemberEquals": [!Ref Zones, a] }, !Equals [!Ref Stage, dev], !Equals [!Ref Stage, local]] }
        AssertDescription: prod runs in zone a only.
Resources:
  Step:
    Type: AWS::Serverless::Function
    Properties: { AutoPublishAlias: live }
  Plain:
    Type: AWS::Serverless::Function
    Properties: {}
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionSubstitutions:
        V: !Ref Step.Version
        A: !Ref Step.Alias
`

func TestRulesRefuseLikeCloudFormation(t *testing.T) {
	tpl, err := sam.Parse([]byte(rulesTemplate))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		params map[string]string
		want   []string // failed assertion descriptions; none: the rules pass
	}{
		{"local keeps its sandbox defaults", map[string]string{"Stage": "local"}, nil},
		{"dev with the sandbox sender", map[string]string{"Stage": "dev"}, []string{"From must not be the sandbox address."}},
		{"dev with its own sender", map[string]string{"Stage": "dev", "From": "orders@dev.example.org"}, nil},
		{"prod in two zones with the sandbox sender", map[string]string{"Stage": "prod"},
			[]string{"From must not be the sandbox address.", "prod runs in zone a only."}},
		{"prod in zone a", map[string]string{"Stage": "prod", "From": "o@shop.example.org", "Zones": "a"}, nil},
		{"an unknown zone", map[string]string{"Stage": "local", "Zones": "a,z"}, []string{"Zones must be a, b or c."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tpl.CheckRules(env(t, tpl, tc.params))
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("CheckRules = %v; want no refusal", err)
				}
				return
			}
			if !errors.Is(err, sam.ErrRule) {
				t.Fatalf("CheckRules = %v; want ErrRule", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("CheckRules = %v; want it to say %q", err, w)
				}
			}
			if n := strings.Count(err.Error(), "Assertions["); n != len(tc.want) {
				t.Errorf("%d assertions failed; want %d: %v", n, len(tc.want), err)
			}
		})
	}
}

func TestRulesRefuseWhatTheyCannotEvaluate(t *testing.T) {
	for _, tc := range []struct{ rule, want string }{
		{`{ Assertions: [{ Assert: { "Fn::ValueOf": [Subnet, VpcId] } }] }`, "not evaluated in rules"},
		{`{ Assertions: [{ Assert: { "Fn::Contains": [!Ref Stage, dev] } }] }`, "not a list of strings"},
		{`{ Assertions: [{ Assert: !Equals [!Ref Nope, x] }] }`, `"Nope" is not a parameter`},
		{`{ Assertions: [{ Assert: { "Fn::And": [!Equals [a, a]] } }] }`, "2 to 10"},
		{`{ RuleCondition: !Equals [!Ref Stage, dev] }`, "has no Assertions"},
	} {
		tpl, err := sam.Parse([]byte("Parameters: { Stage: { Type: String, Default: dev } }\nRules: { R: " + tc.rule + " }\nResources: { X: { Type: AWS::SNS::Topic } }\n"))
		if err != nil {
			t.Fatal(err)
		}
		if err := tpl.CheckRules(env(t, tpl, nil)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("rule %s: CheckRules = %v; want an error saying %q", tc.rule, err, tc.want)
		}
	}
}

func TestPublishedVersionAndAliasReferences(t *testing.T) {
	tpl, err := sam.Parse([]byte(rulesTemplate))
	if err != nil {
		t.Fatal(err)
	}
	out, err := tpl.Resolve(tpl.Resources["Machine"].Properties, env(t, tpl, nil), "Machine")
	if err != nil {
		t.Fatal(err)
	}
	subs := out.(map[string]any)["DefinitionSubstitutions"].(map[string]any)
	if subs["V"] != "ref:Step.Version" || subs["A"] != "ref:Step.Alias" {
		t.Errorf("substitutions = %v; want the runtime's Ref of Step.Version and Step.Alias", subs)
	}
	order, err := tpl.Order()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(order, ",") != "Step,Machine,Plain" {
		t.Errorf("order = %v; the machine must come after the function whose version it names", order)
	}
	for ref, want := range map[string]string{"Plain.Version": "no AutoPublishAlias", "Machine.Alias": "not a serverless function", "Nope.Version": "not a serverless function"} {
		_, err := tpl.Resolve(map[string]any{"Ref": ref}, env(t, tpl, nil), "x")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Ref %s = %v; want an error saying %q", ref, err, want)
		}
	}
}

// An API function's canary alarm watches the function's own alias and is listed in its
// DeploymentPreference, which SAM moves to the CodeDeploy deployment group: that is no cycle.
func TestDeploymentPreferenceAlarmOfTheFunctionItselfIsNoCycle(t *testing.T) {
	tpl, err := sam.Parse([]byte(`
Resources:
  Api:
    Type: AWS::Serverless::Function
    Properties:
      AutoPublishAlias: live
      DeploymentPreference: { Type: AllAtOnce, Alarms: [!Ref ApiAlarm] }
  ApiAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Dimensions: [{ Name: Resource, Value: !Sub "${Api}:live" }]
  Loop:
    Type: AWS::SNS::Topic
    Properties: { DisplayName: !Ref Loop2 }
  Loop2:
    Type: AWS::SNS::Topic
    Properties: { DisplayName: !Ref Loop }
`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = tpl.Order()
	if err == nil || strings.Contains(err.Error(), "ApiAlarm") || !strings.Contains(err.Error(), "Loop") {
		t.Fatalf("Order = %v; want only the Loop topics' cycle", err)
	}
}
