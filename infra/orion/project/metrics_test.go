package project_test

// What the template's alarms and dashboard watch is what really emits it (infra/engine/monitoring).

import (
	"strings"
	"testing"

	"github.com/orion-oss/orion/infra/engine/monitoring"
	"github.com/orion-oss/orion/infra/engine/sam"
)

// names resolves Ref to the logical id and GetAtt to "Id.Attribute": enough to see which resource a
// dimension names, with no stack running.
type names struct{}

func (names) Ref(id string) (any, error)          { return id, nil }
func (names) GetAtt(id, attr string) (any, error) { return id + "." + attr, nil }

// TemplateRefs reads the project template's alarms and dashboard with the parameters' defaults
// (overrides aside) and no stack.
func templateRefs(t *testing.T, overrides map[string]string) (*sam.Template, []monitoring.Ref, map[string]any) {
	t.Helper()
	tpl, err := sam.Load("../../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	params, err := tpl.ParameterValues(overrides)
	if err != nil {
		t.Fatal(err)
	}
	env := sam.Env{Region: "us-east-1", AccountID: "123456789012", StackName: "orion-test", Partition: "aws", URLSuffix: "amazonaws.com",
		Parameters: params, Resources: names{}}
	refs, err := monitoring.Refs(tpl, func(v any, path string) (any, error) { return tpl.Resolve(v, env, path) })
	if err != nil {
		t.Fatal(err)
	}
	if len(refs) < 20 {
		t.Fatalf("only %d metrics in the template's alarms and dashboard", len(refs))
	}
	return tpl, refs, params
}

// Every AWS metric the template's alarms and dashboard read is one AWS publishes with that exact
// dimension set (AWSDimensionSets, each row with its page); per-route HTTP API metrics name a route the
// HttpApi sends detailed metrics for, on its stage. Needs no running stack.
func TestTemplateAWSMetricsAreDocumented(t *testing.T) {
	tpl, refs, _ := templateRefs(t, nil)
	api := tpl.WithGlobals("HttpApi", tpl.Resources["HttpApi"].Properties)
	stage := sam.String(api, "StageName")
	detailed := map[string]bool{}
	for route, v := range sam.Map(api, "RouteSettings") {
		s, _ := v.(map[string]any)
		detailed[route] = sam.Bool(s, "DetailedMetricsEnabled")
	}
	aws := 0
	for _, r := range refs {
		if !strings.HasPrefix(r.Namespace, "AWS/") {
			continue
		}
		aws++
		if err := monitoring.CheckAWS(r); err != nil {
			t.Error(err)
			continue
		}
		if r.Namespace != "AWS/ApiGateway" {
			continue
		}
		if s, ok := r.Dims["Stage"]; ok && s != stage {
			t.Errorf("%s: Stage %q is not the HttpApi's stage %q", r, s, stage)
		}
		if m, ok := r.Dims["Method"]; ok {
			if route := m + " " + r.Dims["Resource"]; !detailed[route] {
				t.Errorf("%s: the HttpApi's RouteSettings do not enable DetailedMetricsEnabled for %q: API Gateway publishes no per-route metric (%s)",
					r, route, monitoring.DocHTTPAPIMetrics)
			}
		}
	}
	if aws == 0 {
		t.Fatal("no AWS metric read")
	}
}

// Every Orion metric an alarm or the dashboard reads names the Stage dimension with this stack's
// Stage parameter (internal/platform/metrics adds it to every line): another stage's data must not
// count. Whether each dimension set is really emitted is e2e's check (e2e/metrics_test.go).
func TestTemplateOrionMetricsNameTheStage(t *testing.T) {
	for _, stage := range []string{"dev", "prod"} {
		_, refs, _ := templateRefs(t, map[string]string{"Stage": stage})
		n := 0
		for _, r := range refs {
			if r.Namespace != "Orion" {
				continue
			}
			n++
			if v, ok := r.Dims["Stage"]; !ok || v != stage {
				t.Errorf("Stage=%s: %s does not select Stage %q", stage, r, stage)
			}
		}
		if n == 0 {
			t.Fatal("no Orion metric read")
		}
	}
}
