package e2e

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/orion-oss/orion/infra/engine/iampolicy"
)

// functionPoliciesMatchTheirCalls is a whole-run check (wholerun_test.go): it runs after every other
// test of the package has driven the system, when Stack.Calls holds every AWS call each function made
// with its own credentials (its role, on AWS).

// notCalledByCode are permissions a function's policy grants that no call of its code makes in the run,
// each with the reason it is there. Anything else unused fails the test: remove it from the template.
var notCalledByCode = map[string]string{
	// Lambda's asynchronous invocation sends a failed event to the function's OnFailure destination with
	// the function's own execution role (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html);
	// the local runtime's Lambda does that with its own credentials, so the run cannot see it.
	"StartOrderSagaFunction sqs:SendMessage":    "OnFailure destination, sent by Lambda with this role",
	"RecoverOrderFunction sqs:SendMessage":      "OnFailure destination, sent by Lambda with this role",
	"SendEmailFunction sqs:SendMessage":         "OnFailure destination, sent by Lambda with this role",
	"NotifyOrderStatusFunction sqs:SendMessage": "OnFailure destination, sent by Lambda with this role",
	"ProjectOrdersFunction sqs:SendMessage":     "OnFailure destination, sent by Lambda with this role",
	// Lambda's event source mapping reads the projections stream with the notifier's execution role
	// (https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-eventsourcemapping.html); the local
	// runtime's poller reads with its own credentials, so the run cannot see it (docs/adr/0026).
	"NotifyOrderStatusFunction dynamodb:DescribeStream":   "the event source mapping's stream reads, with this role",
	"NotifyOrderStatusFunction dynamodb:GetRecords":       "the event source mapping's stream reads, with this role",
	"NotifyOrderStatusFunction dynamodb:GetShardIterator": "the event source mapping's stream reads, with this role",
	"NotifyOrderStatusFunction dynamodb:ListStreams":      "the event source mapping's stream reads, with this role",
	"RefundReturnFunction sqs:SendMessage":                "OnFailure destination, sent by Lambda with this role",
	// The retired capture step runs only for executions started on the definition before ConfirmOrder
	// captured (docs/adr/0022); this run starts none. internal/saga's tests run it.
	"CapturePaymentFunction dynamodb:GetItem": "retired step, kept one release for executions started before",
	"CapturePaymentFunction dynamodb:PutItem": "retired step, kept one release for executions started before",
	// The inbox reads a claim back only when a refused conditional write did not return the item
	// (ReturnValuesOnConditionCheckFailure), which DynamoDB and moto do; LocalStack versions that do
	// not need the read (internal/adapter/dynamo/inbox).
	"SendEmailFunction dynamodb:GetItem": "read-back of a taken claim where the endpoint does not return it",
	// The payment steps read the Stripe secret key only with PaymentProvider=stripe; the run uses the
	// sandbox (stripe-webhook reads its signing secret in every run: e2e/stripe_webhook_test.go).
	"AuthorizePaymentFunction ssm:GetParameter": "the Stripe secret key, read with PaymentProvider=stripe only",
	"RefundPaymentFunction ssm:GetParameter":    "the Stripe secret key, read with PaymentProvider=stripe only",
	"CapturePaymentFunction ssm:GetParameter":   "the Stripe secret key, read with PaymentProvider=stripe only",
	"ConfirmOrderFunction ssm:GetParameter":     "the Stripe secret key, read with PaymentProvider=stripe only",
	"RecoverOrderFunction ssm:GetParameter":     "the Stripe secret key, read with PaymentProvider=stripe only",
	"RefundReturnFunction ssm:GetParameter":     "the Stripe secret key, read with PaymentProvider=stripe only",
	// The run's stack auto-confirms users: no code is ever outstanding, so resend asks Cognito nothing
	// (internal/account ResendConfirmationHandler), and moto has no ResendConfirmationCode to ask.
	"ResendConfirmationFunction cognito-idp:DescribeUserPoolClient": "auto-confirming stacks mail no codes to resend",
}

// calledInRaces are allowed actions that a run may or may not call, depending on how concurrent
// deliveries interleave; neither check applies to them.
var calledInRaces = map[string]string{
	// A payment action's outcome resumes the saga from whichever of the webhook and await-payment comes
	// second (docs/saga.md): the webhook calls SendTask* only when the task token was stored first.
	"StripeWebhookFunction states:SendTaskSuccess": "resumes the saga when the token was stored before the webhook came",
	"StripeWebhookFunction states:SendTaskFailure": "resumes the saga when the token was stored before the webhook came",
}

// Every AWS call a function made during the e2e run is allowed by its role in the transformed template,
// and every action a function's role allows was called (or is listed in notCalledByCode with a reason).
// Resource scoping is the template's own business: TestNoBroadPermissions (infra/orion/project) keeps every
// statement on named resources.
func functionPoliciesMatchTheirCalls(t *testing.T) {
	inProcessOnly(t, "checks the AWS calls the runtime metered (Stack.Calls)")
	tpl := iampolicy.TransformedWith(t, "..", runParameters)
	calls := sys.stack.Calls()
	addDevCalls(t, calls)
	if len(calls) < 15 {
		t.Skipf("only %d functions made AWS calls: the policies are checked after a whole run of the package, not a -run selection", len(calls))
	}
	connection := regexp.MustCompile(`/@connections/.*$`)
	used := map[string]map[string]bool{} // function -> IAM action
	for _, fn := range sortedNames(calls) {
		roleID, ok := tpl.FunctionRoles[fn]
		if !ok {
			t.Errorf("%s made calls but is no function of the transformed template", fn)
			continue
		}
		role := tpl.Roles[roleID]
		used[fn] = map[string]bool{}
		for call, n := range calls[fn] {
			call = connection.ReplaceAllString(call, "/@connections/{connectionId}")
			actions := iampolicy.CallActions(call)
			if len(actions) == 0 {
				t.Errorf("%s: no IAM action known for %s (map it in iampolicy.CallActions)", fn, call)
				continue
			}
			allowed := false
			for _, a := range actions {
				if role.Allows(a) {
					allowed = true
					used[fn][a] = true // a transaction counts for each per-item action the role allows
				}
			}
			if !allowed {
				t.Errorf("%s called %s %d times; its role %s allows none of %v: AccessDenied on AWS", fn, call, n, roleID, actions)
			}
		}
	}
	for _, fn := range sortedNames(tpl.FunctionRoles) {
		role := tpl.Roles[tpl.FunctionRoles[fn]]
		for _, a := range role.Actions() {
			if used[fn][a] {
				continue
			}
			if _, ok := notCalledByCode[fn+" "+a]; ok {
				continue
			}
			if _, ok := calledInRaces[fn+" "+a]; ok {
				continue
			}
			t.Errorf("%s's role allows %s, which the whole e2e run never called: remove it, exercise it, or list it with a reason", fn, a)
		}
	}
	for k := range notCalledByCode {
		fn, a, _ := strings.Cut(k, " ")
		if used[fn][a] {
			t.Errorf("notCalledByCode lists %q, which the run did call: remove it from the list", k)
		}
		if r, ok := tpl.Roles[tpl.FunctionRoles[fn]]; !ok || !slices.Contains(r.Actions(), a) {
			t.Errorf("notCalledByCode lists %q, which the template no longer grants: remove it from the list", k)
		}
	}
}

// addDevCalls adds the calls of the dev system that make test ran the externally observable tests
// against (ORION_E2E_DEV_CALLS: what infra/orion/cmd/dev -record-calls wrote when it stopped), so that the check
// covers the whole suite although this process ran only the tests that need the in-process runtime.
func addDevCalls(t *testing.T, calls map[string]map[string]int) {
	t.Helper()
	path := os.Getenv("ORION_E2E_DEV_CALLS")
	if path == "" {
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the dev system's calls: %v", err)
	}
	var dev map[string]map[string]int
	if err := json.Unmarshal(b, &dev); err != nil {
		t.Fatalf("the dev system's calls %s: %v", path, err)
	}
	for fn, ops := range dev {
		if calls[fn] == nil {
			calls[fn] = map[string]int{}
		}
		for op, n := range ops {
			calls[fn][op] += n
		}
	}
}

// basicExecution is AWSLambdaBasicExecutionRole as AWS publishes it (docs.aws.amazon.com/
// aws-managed-policy/latest/reference/AWSLambdaBasicExecutionRole.html): these three actions on "*".
// iampolicy does not read managed policies, so the test spells it out.
const basicExecutionARN = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"

var basicExecution = []string{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}

// Each function may write logs only to the log group its LoggingConfig names, and may create no log
// group: what its role allows on logs (SAM's AWSLambdaBasicExecutionRole on "*" and its own Policies),
// capped by its permissions boundary, is CreateLogStream and PutLogEvents on that group and nothing
// else. The boundary must cap nothing but logs: every other action the role grants stays allowed (else
// AccessDenied on AWS while the local run, which does not enforce IAM, passes).
func TestFunctionsLogOnlyToTheirLogGroup(t *testing.T) {
	tpl := iampolicy.Transformed(t, "..")
	if len(tpl.FunctionRoles) < 20 {
		t.Fatalf("%d functions: the template did not load", len(tpl.FunctionRoles))
	}
	for _, fn := range sortedNames(tpl.FunctionRoles) {
		role := tpl.Roles[tpl.FunctionRoles[fn]]
		if role == nil {
			t.Errorf("%s: no role of the template", fn)
			continue
		}
		group, ok := strings.CutPrefix(tpl.FunctionLogGroups[fn], "Ref:")
		if !ok {
			t.Errorf("%s: LoggingConfig.LogGroup = %q; want a log group of the template (Ref)", fn, tpl.FunctionLogGroups[fn])
			continue
		}
		own := "GetAtt:" + group + ".Arn"
		// granted: each logs action the role's policies allow, with the resources they allow it on.
		granted := map[string][]string{}
		if slices.Contains(role.Managed, basicExecutionARN) {
			for _, a := range basicExecution {
				granted[a] = append(granted[a], "*")
			}
		}
		for _, st := range role.Statements {
			for _, a := range st.Actions {
				if strings.HasPrefix(strings.ToLower(a), "logs:") {
					granted[a] = append(granted[a], st.Resources...)
				}
			}
		}
		var boundary *iampolicy.Boundary
		if role.Boundary != "" {
			boundary = tpl.Boundaries[role.Boundary]
		}
		for _, a := range sortedNames(granted) {
			effective := granted[a]
			if boundary != nil {
				capped := boundary.Resources(a)
				if !slices.Contains(capped, "*") {
					effective = capped
				}
			}
			var want []string
			if a == "logs:CreateLogStream" || a == "logs:PutLogEvents" {
				want = []string{own}
			}
			if !slices.Equal(effective, want) {
				t.Errorf("%s may call %s on %v; want %v (its log group %s)", fn, a, effective, want, group)
			}
		}
		if boundary == nil {
			continue
		}
		for _, a := range role.Actions() {
			if !strings.HasPrefix(strings.ToLower(a), "logs:") && !slices.Contains(boundary.Resources(a), "*") {
				t.Errorf("%s: its boundary %s cuts %s, which its policies grant: AccessDenied on AWS", fn, boundary.LogicalID, a)
			}
		}
		for _, a := range []string{"xray:PutTraceSegments", "xray:PutTelemetryRecords"} { // Tracing: Active
			if !slices.Contains(boundary.Resources(a), "*") {
				t.Errorf("%s: its boundary %s cuts %s: traces would be lost", fn, boundary.LogicalID, a)
			}
		}
	}
}

func sortedNames[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
