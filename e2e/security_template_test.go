package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/orion-oss/orion/infra/engine/iampolicy"
	"github.com/orion-oss/orion/infra/engine/sam"
)

// templateIn resolves the template's parameters for a stage (no resources: the properties read here
// depend on parameters and conditions only).
func templateIn(t *testing.T, stage string) (*sam.Template, sam.Env) {
	t.Helper()
	tpl, err := sam.Load("../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	params, err := tpl.ParameterValues(map[string]string{"Stage": stage})
	if err != nil {
		t.Fatal(err)
	}
	return tpl, sam.Env{Region: "us-east-1", AccountID: "123456789012", StackName: "orion-" + stage, Partition: "aws",
		URLSuffix: "amazonaws.com", Parameters: params}
}

// resolved reads a property path of a resource with intrinsics (Fn::If on IsProd) evaluated.
func resolved(t *testing.T, tpl *sam.Template, env sam.Env, id string, keys ...string) any {
	t.Helper()
	var v any = tpl.Resources[id].Properties
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	out, err := tpl.Resolve(v, env, id)
	if err != nil {
		t.Fatalf("%s: %v", id, err)
	}
	return out
}

// noPITR are the tables without point-in-time recovery, with the reason.
var noPITR = map[string]string{
	"ConnectionsTable": "rows of live WebSocket connections, valid for at most 2 hours: a restored copy would name connections that no longer exist",
}

// Data at rest (OWASP API8, security misconfiguration): every table is encrypted and recoverable to a
// point in time (or says why not), and in prod no table can be deleted by a stack update or by hand
// without first turning deletion protection off; every queue is encrypted.
func TestTablesAreEncryptedRecoverableAndProtectedInProd(t *testing.T) {
	for _, stage := range []string{"dev", "prod"} {
		tpl, env := templateIn(t, stage)
		var tables []string
		for id, r := range tpl.Resources {
			switch r.Type {
			case "AWS::DynamoDB::Table":
				tables = append(tables, id)
			case "AWS::SQS::Queue":
				if resolved(t, tpl, env, id, "SqsManagedSseEnabled") != true && resolved(t, tpl, env, id, "KmsMasterKeyId") == nil {
					t.Errorf("%s: queue %s is not encrypted", stage, id)
				}
			}
		}
		sort.Strings(tables)
		if len(tables) < 6 {
			t.Fatalf("%d tables in the template", len(tables))
		}
		for _, id := range tables {
			if resolved(t, tpl, env, id, "SSESpecification", "SSEEnabled") != true {
				t.Errorf("%s: %s has no SSESpecification.SSEEnabled: true", stage, id)
			}
			pitr := resolved(t, tpl, env, id, "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled") == true
			if _, exempt := noPITR[id]; pitr == exempt {
				t.Errorf("%s: %s point-in-time recovery %v; noPITR lists it: %v", stage, id, pitr, exempt)
			}
			protected := resolved(t, tpl, env, id, "DeletionProtectionEnabled") == true
			if protected != (stage == "prod") {
				t.Errorf("%s: %s DeletionProtectionEnabled = %v; want %v", stage, id, protected, stage == "prod")
			}
		}
		if p := resolved(t, tpl, env, "UserPool", "DeletionProtection"); fmt.Sprint(p) != map[string]string{"dev": "INACTIVE", "prod": "ACTIVE"}[stage] {
			t.Errorf("%s: the user pool's DeletionProtection is %v", stage, p)
		}
	}
}

// Throttling (OWASP API4): both APIs have a rate and a burst limit on every route by default, so one
// client cannot take the account's whole API Gateway and Lambda concurrency.
func TestAPIsAreThrottled(t *testing.T) {
	tpl, env := templateIn(t, "prod")
	for _, api := range []struct{ id, label string }{{"HttpApi", "HTTP API"}, {"WebSocketStage", "WebSocket stage"}} {
		for _, k := range []string{"ThrottlingBurstLimit", "ThrottlingRateLimit"} {
			v := resolved(t, tpl, env, api.id, "DefaultRouteSettings", k)
			n, ok := v.(int64)
			if f, isFloat := v.(float64); isFloat {
				n, ok = int64(f), true
			}
			if !ok || n <= 0 || n > 5000 {
				t.Errorf("%s DefaultRouteSettings.%s = %v; want a limit (1..5000, the account default)", api.label, k, v)
			}
		}
	}
	if tpl.Resources["WebSocketStage"].Properties["ApiId"] == nil {
		t.Fatal("the WebSocket stage is not attached to an API")
	}
}

// transformedResources runs the offline SAM transform (as make lint does) and returns the resources of
// the plain CloudFormation it writes: what SAM generates (an EventBridgeRule event's AWS::Events::Rule)
// is there by logical id. Skipped without the transform, except in CI.
func transformedResources(t *testing.T) map[string]struct {
	Type       string
	Properties map[string]any
} {
	t.Helper()
	if err := iampolicy.TransformAvailable(); err != nil {
		if errors.Is(err, iampolicy.ErrTransformUnavailable) && os.Getenv("CI") == "" {
			t.Skipf("%v (pip install aws-sam-translator)", err)
		}
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "template.json")
	if err := iampolicy.Transform("../infra/scripts/sam-translate.py", "../template.yaml", out); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Resources map[string]struct {
			Type       string
			Properties map[string]any
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Resources
}

// getAtt reads {"Fn::GetAtt": [id, "Arn"]} as id ("" for anything else).
func getAtt(v any) string {
	m, _ := v.(map[string]any)
	ga, _ := m["Fn::GetAtt"].([]any)
	if len(ga) != 2 || ga[1] != "Arn" {
		return ""
	}
	id, _ := ga[0].(string)
	return id
}

// anyList reads a policy value that may be one item or a list.
func anyList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

// A dead-letter queue admits EventBridge's messages only from the rules whose DeadLetterConfig names it
// (aws:SourceArn, as docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html grants it): with
// aws:SourceAccount alone, any rule of the account could fill Orion's DLQs and set off their alarms. Every
// statement letting events.amazonaws.com send to a queue names one queue and exactly its rules.
func TestDeadLetterQueuesAdmitOnlyTheirRules(t *testing.T) {
	res := transformedResources(t)
	want := map[string][]string{} // queue -> rules that use it as their DLQ or send to it
	for id, r := range res {
		if r.Type != "AWS::Events::Rule" {
			continue
		}
		for _, tg := range anyList(r.Properties["Targets"]) {
			// A queue that is the rule's target admits the rule the same way (the fulfilment queue).
			if q := getAtt(tg.(map[string]any)["Arn"]); q != "" && res[q].Type == "AWS::SQS::Queue" {
				want[q] = append(want[q], id)
			}
			dlc, _ := tg.(map[string]any)["DeadLetterConfig"].(map[string]any)
			if dlc == nil {
				continue
			}
			q := getAtt(dlc["Arn"])
			if q == "" {
				t.Errorf("rule %s: DeadLetterConfig.Arn %v is not a queue of the template", id, dlc["Arn"])
				continue
			}
			want[q] = append(want[q], id)
		}
	}
	if len(want) < 4 {
		t.Fatalf("%d queues are rules' DLQs: the template did not load", len(want))
	}
	got := map[string][]string{} // queue -> rules its policy admits
	for id, r := range res {
		if r.Type != "AWS::SQS::QueuePolicy" {
			continue
		}
		doc, _ := r.Properties["PolicyDocument"].(map[string]any)
		for i, st := range anyList(doc["Statement"]) {
			sm, _ := st.(map[string]any)
			principal, _ := sm["Principal"].(map[string]any)
			if !slices.Contains(anyList(principal["Service"]), any("events.amazonaws.com")) {
				continue
			}
			where := fmt.Sprintf("%s statement %d", id, i)
			queues := anyList(sm["Resource"])
			if len(queues) != 1 || getAtt(queues[0]) == "" {
				t.Errorf("%s: resource %v; want one queue, so that its rules are its own", where, sm["Resource"])
				continue
			}
			cond, _ := sm["Condition"].(map[string]any)
			arnEquals, _ := cond["ArnEquals"].(map[string]any)
			sources := anyList(arnEquals["aws:SourceArn"])
			if len(sources) == 0 {
				t.Errorf("%s lets any EventBridge rule of the account send to %s: no ArnEquals aws:SourceArn", where, getAtt(queues[0]))
			}
			for _, src := range sources {
				got[getAtt(queues[0])] = append(got[getAtt(queues[0])], getAtt(src))
			}
		}
	}
	for _, q := range sortedNames(want) {
		w, g := slices.Sorted(slices.Values(want[q])), slices.Sorted(slices.Values(got[q]))
		if !slices.Equal(w, g) {
			t.Errorf("%s admits the rules %v; its rules are %v", q, strings.Join(g, ","), strings.Join(w, ","))
		}
	}
	for _, q := range sortedNames(got) {
		if _, ok := want[q]; !ok {
			t.Errorf("%s admits EventBridge rules %v but is no rule's DLQ", q, got[q])
		}
	}
}
