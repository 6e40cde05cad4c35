package sam_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/orion-oss/orion/infra/engine/sam"
)

const generatedTemplate = `
Resources:
  Saga:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/saga
      Events:
        OrderPlaced:
          Type: EventBridgeRule
          Properties: {Pattern: {source: [orion.orders]}}
        Legacy:
          Type: CloudWatchEvent
          Properties: {Pattern: {source: [orion.orders]}}
        Tick:
          Type: Schedule
          Properties: {Schedule: rate(5 minutes)}
        Later:
          Type: ScheduleV2
          Properties: {ScheduleExpression: rate(5 minutes)}
        Api:
          Type: HttpApi
          Properties: {Path: /x, Method: GET}
  Queue:
    Type: AWS::SQS::Queue
  Policy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref Queue]
      PolicyDocument:
        Statement:
          - Condition:
              ArnEquals:
                aws:SourceArn: [!GetAtt SagaOrderPlaced.Arn, !Sub "${SagaTick.Arn}", !Ref SagaLegacy]
`

// SAM generates an AWS::Events::Rule <function><event> for EventBridgeRule, CloudWatchEvent and Schedule
// events, and an AWS::Scheduler::Schedule for ScheduleV2; a template may name them, and nothing else.
func TestGeneratedEventResourcesResolveAndTyposFail(t *testing.T) {
	tpl, err := sam.Parse([]byte(generatedTemplate))
	if err != nil {
		t.Fatal(err)
	}
	e := env(t, tpl, nil)
	v, err := tpl.Resolve(tpl.Resources["Policy"].Properties, e, "Resources.Policy.Properties")
	if err != nil {
		t.Fatal(err)
	}
	if got := v.(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any)[0]; !strings.Contains(fmt.Sprint(got), "arn:SagaOrderPlaced.Arn") {
		t.Errorf("policy = %v", got)
	}
	for _, tc := range []struct{ id, typ string }{
		{"SagaOrderPlaced", "AWS::Events::Rule"}, {"SagaLegacy", "AWS::Events::Rule"}, {"SagaTick", "AWS::Events::Rule"},
		{"SagaLater", "AWS::Scheduler::Schedule"},
	} {
		g, ok := tpl.GeneratedResource(tc.id)
		if !ok || g.Type != tc.typ || g.Function != "Saga" || g.Event != strings.TrimPrefix(tc.id, "Saga") {
			t.Errorf("GeneratedResource(%s) = %+v, %v; want type %s", tc.id, g, ok, tc.typ)
		}
	}
	for _, bad := range []map[string]any{
		{"Fn::GetAtt": []any{"SagaOrderPlacd", "Arn"}}, // typo
		{"Fn::GetAtt": []any{"SagaApi", "Arn"}},        // HttpApi events generate no rule
		{"Fn::GetAtt": []any{"Saga", "Arn"}},           // fine: declared; checked below not to be refused
		{"Ref": "QueueOrderPlaced"},                    // not a function
		{"Fn::Sub": "${SagaTock.Arn}"},
	} {
		_, err := tpl.Resolve(bad, e, "X")
		_, declared := bad["Fn::GetAtt"]
		if declared && bad["Fn::GetAtt"].([]any)[0] == "Saga" {
			if err != nil {
				t.Errorf("%v: %v", bad, err)
			}
			continue
		}
		if !errors.Is(err, sam.ErrTemplate) {
			t.Errorf("%v resolved (err %v); want a template error", bad, err)
		}
	}
	// The policy is ordered after the function whose rules it names.
	order, err := tpl.Order()
	if err != nil {
		t.Fatal(err)
	}
	if slices.Index(order, "Policy") < slices.Index(order, "Saga") {
		t.Errorf("order %v puts Policy before Saga", order)
	}
	fns, _ := tpl.Functions()
	var ids []string
	for _, g := range fns[0].GeneratedResources() {
		ids = append(ids, g.LogicalID)
	}
	if want := []string{"SagaLater", "SagaLegacy", "SagaOrderPlaced", "SagaTick"}; !slices.Equal(ids, want) {
		t.Errorf("GeneratedResources = %v, want %v", ids, want)
	}
}
