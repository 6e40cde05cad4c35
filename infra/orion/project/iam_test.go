package project_test

// The IAM side of the transformed template (infra/engine/iampolicy): least privilege, role by role.

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/orion-oss/orion/infra/engine/iampolicy"
)

// transformed runs the offline SAM transform of the repository's template into a temporary file.
func transformed(t *testing.T) *iampolicy.Template {
	t.Helper()
	tpl := iampolicy.Transformed(t, "../../..")
	if len(tpl.FunctionRoles) < 20 || len(tpl.Roles) < 20 {
		t.Fatalf("%d functions and %d roles: the template did not load", len(tpl.FunctionRoles), len(tpl.Roles))
	}
	return tpl
}

// broadAllowed are the only unscoped grants, each with the reason AWS leaves no narrower choice.
var broadAllowed = map[string]string{
	"OutboxPipeRole/outbox-pipe: dynamodb:ListStreams on *": "ListStreams has no resource type: IAM only accepts * for it " +
		"(https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html), and Pipes call it for a stream source",
	"NotifyOrderStatusFunctionRole/NotifyOrderStatusFunctionRolePolicy0: dynamodb:ListStreams on *": "the same, for Lambda's event source " +
		"mapping on the projections stream, which reads the stream with the function's role (docs/adr/0026)",
}

// managedAllowed are the AWS managed policies a role may carry, each with its reason: the ones SAM
// attaches itself, for the functions' own telemetry (on * because log groups and trace segments are
// created at run time) and for CodeDeploy's role in gradual deployments.
var managedAllowed = map[string]string{
	"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole": "logs:CreateLogGroup/CreateLogStream/PutLogEvents on every group, capped by FunctionPermissionsBoundary to the stack's function log group",
	"arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess":                   "xray:PutTraceSegments/PutTelemetryRecords/GetSampling*: Tracing: Active (X-Ray has no resource-level permissions)",
	"arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForLambda":  "CodeDeploy's own role for the API functions' gradual deployment (DeploymentPreference): shifting alias traffic, reading the alarms that stop it",
}

// No role grants a wildcard action or a * resource, except where AWS requires it (broadAllowed), and
// no role carries a managed policy other than the telemetry ones SAM attaches.
func TestNoBroadPermissions(t *testing.T) {
	tpl := transformed(t)
	used := map[string]bool{}
	for _, id := range sortedKeys(tpl.Roles) {
		role := tpl.Roles[id]
		for _, b := range role.Broad() {
			if _, ok := broadAllowed[b.String()]; !ok {
				t.Errorf("over-broad grant %s", b)
			}
			used[b.String()] = true
		}
		for _, m := range role.Managed {
			if _, ok := managedAllowed[m]; !ok {
				t.Errorf("%s carries the managed policy %s", id, m)
			}
		}
	}
	for b := range broadAllowed {
		if !used[b] {
			t.Errorf("broadAllowed lists %q, which no role grants any more: remove it", b)
		}
	}
}

// Each state machine's role may invoke exactly the functions its definition names: none missing (the
// execution would fail on AWS with AccessDenied while passing locally) and none more. A step named by
// its version ARN (Ref X.Version: arn:...:function:X:7) needs the policy's resource to cover the
// qualifier: SAM's LambdaInvokePolicy grants function:X*. A retired step stays invocable for one
// release, for the executions started on the definition before (retiredSteps).
func TestStateMachinesInvokeExactlyTheirSteps(t *testing.T) {
	tpl := transformed(t)
	if len(tpl.StateMachines) == 0 {
		t.Fatal("no state machines")
	}
	subst := regexp.MustCompile(`\$\{([A-Za-z0-9]+)\}`)
	invoked := regexp.MustCompile(`:function:\$\{([A-Za-z0-9]+)\}\*?$`)
	for id, sm := range tpl.StateMachines {
		def, err := os.ReadFile(filepath.Join("../../..", sm.Definition))
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		var want []string
		qualified := map[string]bool{}
		for _, m := range subst.FindAllStringSubmatch(string(def), -1) {
			target, ok := sm.Substitutions[m[1]]
			if !ok {
				t.Errorf("%s: ${%s} has no substitution", id, m[1])
				continue
			}
			if fn, ok := strings.CutPrefix(target, "GetAtt:"); ok && strings.HasSuffix(fn, ".Arn") {
				want = append(want, strings.TrimSuffix(fn, ".Arn"))
			}
			if fn, ok := tpl.Versions[strings.TrimPrefix(target, "Ref:")]; ok {
				want = append(want, fn)
				qualified[fn] = true
			}
		}
		var got []string
		for _, s := range tpl.Roles[sm.Role].Statements {
			if !slices.Contains(s.Actions, "lambda:InvokeFunction") {
				continue
			}
			for _, r := range s.Resources {
				m := invoked.FindStringSubmatch(r)
				if m == nil {
					t.Errorf("%s: lambda:InvokeFunction on %s, not one function", id, r)
					continue
				}
				got = append(got, m[1])
				if qualified[m[1]] && !strings.HasSuffix(r, "*") {
					t.Errorf("%s: lambda:InvokeFunction on %s does not cover the version ARN it invokes", id, r)
				}
			}
		}
		for _, fn := range retiredSteps[id] {
			if !slices.Contains(want, fn) {
				want = append(want, fn)
			}
		}
		sort.Strings(want)
		sort.Strings(got)
		if !slices.Equal(slices.Compact(want), slices.Compact(got)) {
			t.Errorf("%s invokes %v; its role allows %v", id, want, got)
		}
	}
}

// retiredSteps are functions no state of a machine's definition runs any more that its role still
// invokes: Step Functions runs an execution on the definition it started with (docs/adr/0003), so a
// step removed from the definition must stay invocable until the executions started before are over.
var retiredSteps = map[string][]string{
	// ConfirmOrder captures since issue 22 (docs/adr/0022): remove with the function in the next release.
	"OrderSagaStateMachine": {"CapturePaymentFunction"},
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
