package project_test

// What the first `sam deploy` of template.yaml needs, read from template.yaml and samconfig.toml
// themselves: a failed creation leaves nothing that blocks the retry, two stacks never collide on a
// physical name, no deployable environment carries the sandbox defaults, every environment's
// parameters are valid, and gradual deployments see every failure of a new version.

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/orion-oss/orion/infra/engine/sam"
)

func projectTemplate(t *testing.T) *sam.Template {
	t.Helper()
	tpl, err := sam.Load("../../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

// stackEnv resolves the template as stack `stack` would: Ref of a resource is "<stack>:<id>" and
// Fn::GetAtt "<stack>:<id>.<attr>", so a physical name built from either is told apart from one built
// from AWS::StackName.
func stackEnv(t *testing.T, tpl *sam.Template, stack string, overrides map[string]string) sam.Env {
	t.Helper()
	params, err := tpl.ParameterValues(overrides)
	if err != nil {
		t.Fatal(err)
	}
	return sam.Env{Region: "us-east-1", AccountID: "123456789012", StackName: stack, Partition: "aws", URLSuffix: "amazonaws.com",
		Parameters: params, Resources: stackResources(stack)}
}

type stackResources string

func (s stackResources) Ref(id string) (any, error) { return "ref(" + id + ")", nil }
func (s stackResources) GetAtt(id, attr string) (any, error) {
	return "getatt(" + id + "." + attr + ")", nil
}

// retainedOnCreate are the resources that may keep a plain Retain, each with the reason.
var retainedOnCreate = map[string]string{
	"EmailSender": "the SES identity belongs to the account more than to a stack, and the stack creates it only " +
		"when CreateEmailIdentity asks for it (a retry sets it false once the identity exists)",
}

// A stack whose creation fails is rolled back; a resource kept by DeletionPolicy Retain stays, and its
// stack-derived name then refuses the retry ("already exists"). RetainExceptOnCreate keeps data only
// once the stack was created (docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/
// aws-attribute-deletionpolicy.html).
func TestRetainedResourcesAreNotRetainedOnCreate(t *testing.T) {
	tpl := projectTemplate(t)
	retained := 0
	for _, id := range tpl.ResourceIDs() {
		r := tpl.Resources[id]
		if !strings.HasPrefix(r.DeletionPolicy, "Retain") {
			continue
		}
		retained++
		if _, ok := retainedOnCreate[id]; ok {
			if r.Condition == "" {
				t.Errorf("%s keeps Retain on create but is created unconditionally: it would block every retry", id)
			}
			if r.DeletionPolicy != "Retain" || r.UpdateReplacePolicy != "Retain" {
				t.Errorf("%s: DeletionPolicy %q, UpdateReplacePolicy %q; want Retain for both", id, r.DeletionPolicy, r.UpdateReplacePolicy)
			}
			continue
		}
		if r.DeletionPolicy != "RetainExceptOnCreate" {
			t.Errorf("%s: DeletionPolicy %s; want RetainExceptOnCreate (or list it in retainedOnCreate with a reason)", id, r.DeletionPolicy)
		}
		if r.UpdateReplacePolicy != "Retain" {
			t.Errorf("%s: UpdateReplacePolicy %q; want Retain: a replacement must not delete the data", id, r.UpdateReplacePolicy)
		}
	}
	for id := range retainedOnCreate {
		if !strings.HasPrefix(tpl.Resources[id].DeletionPolicy, "Retain") {
			t.Errorf("retainedOnCreate lists %s, which is not retained: remove it", id)
		}
	}
	if retained < 6 {
		t.Fatalf("only %d retained resources: the tables and the user pool are", retained)
	}
}

// nameProperties are, per resource type, the properties that hold a physical name unique in the
// account and region (or globally): two stacks of the template must never set the same one.
var nameProperties = map[string][]string{
	"AWS::DynamoDB::Table":             {"TableName"},
	"AWS::Events::EventBus":            {"Name"},
	"AWS::Events::Archive":             {"ArchiveName"},
	"AWS::Events::Rule":                {"Name"},
	"AWS::Pipes::Pipe":                 {"Name"},
	"AWS::SQS::Queue":                  {"QueueName"},
	"AWS::SNS::Topic":                  {"TopicName"},
	"AWS::Serverless::StateMachine":    {"Name"},
	"AWS::StepFunctions::StateMachine": {"StateMachineName"},
	"AWS::Serverless::Function":        {"FunctionName"},
	"AWS::Lambda::Function":            {"FunctionName"},
	"AWS::Serverless::HttpApi":         {"Name"},
	"AWS::Cognito::UserPool":           {"UserPoolName"},
	"AWS::Cognito::UserPoolClient":     {"ClientName"},
	"AWS::SES::ConfigurationSet":       {"Name"},
	"AWS::ApiGatewayV2::Api":           {"Name"},
	"AWS::Logs::LogGroup":              {"LogGroupName"},
	"AWS::CloudWatch::Alarm":           {"AlarmName"},
	"AWS::CloudWatch::Dashboard":       {"DashboardName"},
	"AWS::IAM::Role":                   {"RoleName"},
	"AWS::IAM::ManagedPolicy":          {"ManagedPolicyName"},
	"AWS::CloudFront::Function":        {"Name"},
}

// scopedNames are *Name properties unique only inside their parent, naming something outside the
// stack, or not a name of the resource at all, with the reason they need no stack name.
var scopedNames = map[string]string{
	"AWS::Lambda::Permission FunctionName":         "the function the permission is on (a reference), not a name it sets",
	"AWS::Lambda::EventSourceMapping FunctionName": "the function the mapping invokes (a reference), not a name it sets",
	"AWS::ApiGatewayV2::Route OperationName":       "a label of the route in its API's export, not a resource name",
	"AWS::Cognito::UserPoolGroup GroupName":        "unique within its user pool, which is the stack's",
	"AWS::ApiGatewayV2::Stage StageName":           "unique within its API, which is the stack's",
	"AWS::SES::EmailIdentity EmailIdentity":        "the sender address itself, created only on request (CreateEmailIdentity)",
}

// Every physical name of every resource contains the stack name, whatever the stage: two stacks in one
// account and region (a retry under a new name, dev beside a branch stack) never collide, and the
// local stage does not change names.
func TestPhysicalNamesCarryTheStackName(t *testing.T) {
	tpl := projectTemplate(t)
	stages := []map[string]string{{"Stage": "local"}, {"Stage": "dev"}, {"Stage": "prod"}}
	named := 0
	for _, id := range tpl.ResourceIDs() {
		r := tpl.Resources[id]
		for k := range r.Properties {
			if strings.HasSuffix(k, "Name") && k != "ParameterName" && nameProperties[r.Type] == nil && scopedNames[r.Type+" "+k] == "" {
				t.Errorf("%s: %s %s looks like a physical name; list it in nameProperties or scopedNames", id, r.Type, k)
			}
		}
		for _, prop := range nameProperties[r.Type] {
			v, ok := r.Properties[prop]
			if !ok {
				continue // CloudFormation generates a name from the stack's and the logical id
			}
			for _, params := range stages {
				for _, stack := range []string{"orion-a", "shop-b2"} {
					name, err := tpl.Resolve(v, stackEnv(t, tpl, stack, params), id+"."+prop)
					if err != nil {
						t.Fatal(err)
					}
					carries := strings.Contains(fmt.Sprint(name), stack)
					named++
					if !carries {
						t.Errorf("Stage=%s, stack %s: %s.%s = %q does not contain the stack name", params["Stage"], stack, id, prop, name)
					}
				}
			}
		}
	}
	if named < 20*6 {
		t.Fatalf("only %d names checked", named)
	}
}

// parseOverrides reads SAM CLI's parameter_overrides: Key=Value pairs separated by spaces, a value
// double- or single-quoted when it holds spaces (SAM's own "ParameterKey=K,ParameterValue=V" form
// too).
func parseOverrides(s string) (map[string]string, error) {
	out := map[string]string{}
	for i := 0; i < len(s); {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i == len(s) {
			break
		}
		eq := strings.IndexByte(s[i:], '=')
		if eq < 0 {
			return nil, fmt.Errorf("%q has no '='", s[i:])
		}
		key := s[i : i+eq]
		if strings.ContainsAny(key, " \"'") || key == "" {
			return nil, fmt.Errorf("bad key %q", key)
		}
		i += eq + 1
		var val string
		if i < len(s) && (s[i] == '"' || s[i] == '\'') {
			q := s[i]
			end := strings.IndexByte(s[i+1:], q)
			if end < 0 {
				return nil, fmt.Errorf("value of %s: unterminated quote", key)
			}
			val = s[i+1 : i+1+end]
			i += end + 2
			if i < len(s) && s[i] != ' ' {
				return nil, fmt.Errorf("value of %s: text after the closing quote", key)
			}
		} else {
			end := strings.IndexByte(s[i:], ' ')
			if end < 0 {
				end = len(s) - i
			}
			val = s[i : i+end]
			i += end
		}
		if k, ok := strings.CutPrefix(key, "ParameterKey"); ok && k == "" {
			pk, pv, ok := strings.Cut(val, ",ParameterValue=")
			if !ok {
				return nil, fmt.Errorf("ParameterKey=%s without ParameterValue", val)
			}
			key, val = pk, pv
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("%s given twice", key)
		}
		out[key] = val
	}
	return out, nil
}

func TestParseOverrides(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want map[string]string
		err  bool
	}{
		{`Stage=dev AutoConfirmUsers=true`, map[string]string{"Stage": "dev", "AutoConfirmUsers": "true"}, false},
		{` A="x y"  B='z' C=https://a.b/c?d=e `, map[string]string{"A": "x y", "B": "z", "C": "https://a.b/c?d=e"}, false},
		{`ParameterKey=Stage,ParameterValue=prod`, map[string]string{"Stage": "prod"}, false},
		{`A=""`, map[string]string{"A": ""}, false},
		{`A="x`, nil, true},
		{`A="x"y`, nil, true},
		{`A=1 A=2`, nil, true},
		{`novalue`, nil, true},
	} {
		got, err := parseOverrides(tc.in)
		if (err != nil) != tc.err || (!tc.err && !reflect.DeepEqual(got, tc.want)) {
			t.Errorf("parseOverrides(%q) = %v, %v; want %v (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}

// samconfig reads samconfig.toml's subset: [env.command.parameters] tables of string and boolean keys.
func samconfig(t *testing.T) map[string]map[string]string {
	t.Helper()
	f, err := os.Open("../../../samconfig.toml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]map[string]string{}
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line, "[]")
			out[section] = map[string]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("samconfig.toml:%d: %q is not key = value", n, line)
			}
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if strings.HasPrefix(v, `"`) {
				if v, err = strconv.Unquote(v); err != nil {
					t.Fatalf("samconfig.toml:%d: %v", n, err)
				}
			}
			if section == "" {
				if k != "version" {
					t.Fatalf("samconfig.toml:%d: %s outside a table", n, k)
				}
				continue
			}
			out[section][k] = v
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// environments returns each samconfig environment's parameter overrides, by environment.
func environments(t *testing.T) map[string]map[string]string {
	t.Helper()
	envs := map[string]map[string]string{}
	for section, kv := range samconfig(t) {
		env, ok := strings.CutSuffix(section, ".deploy.parameters")
		if !ok {
			continue
		}
		params, err := parseOverrides(kv["parameter_overrides"])
		if err != nil {
			t.Fatalf("[%s] parameter_overrides: %v", section, err)
		}
		envs[env] = params
	}
	for _, want := range []string{"default", "prod", "localstack"} {
		if envs[want] == nil {
			t.Fatalf("samconfig.toml has no %s environment", want)
		}
	}
	return envs
}

// Every environment's parameters are valid against the template's Parameters (AllowedValues,
// AllowedPattern, lengths, numbers' bounds), as CloudFormation checks them before anything else.
func TestSamconfigParametersAreValid(t *testing.T) {
	tpl := projectTemplate(t)
	for env, params := range environments(t) {
		if _, err := tpl.ParameterValues(params); err != nil {
			t.Errorf("samconfig %s: %v", env, err)
		}
		if params["Stage"] == "" {
			t.Errorf("samconfig %s: no Stage (the template's default is an AWS stage: say which)", env)
		}
	}
}

// No deployable environment (any stage but local) carries the sandbox defaults: the template's Rules,
// which CloudFormation runs before it creates anything, pass for each; and they do refuse the
// defaults, or this test would prove nothing.
func TestSamconfigEnvironmentsCarryNoSandboxDefaults(t *testing.T) {
	tpl := projectTemplate(t)
	for _, stage := range []string{"dev", "prod"} {
		err := tpl.CheckRules(stackEnv(t, tpl, "x", map[string]string{"Stage": stage}))
		for _, p := range []string{"EmailFrom", "AdminEmail", "LinkBaseUrl"} {
			if !errors.Is(err, sam.ErrRule) || !strings.Contains(err.Error(), p) {
				t.Errorf("Stage=%s with the defaults: rules say %v; want them to refuse %s", stage, err, p)
			}
		}
	}
	if err := tpl.CheckRules(stackEnv(t, tpl, "x", map[string]string{"Stage": "local"})); err != nil {
		t.Errorf("Stage=local with the defaults: %v; the local runtime runs them", err)
	}
	deployable := 0
	for env, params := range environments(t) {
		if err := tpl.CheckRules(stackEnv(t, tpl, "x", params)); err != nil {
			t.Errorf("samconfig %s: %v", env, err)
		}
		if params["Stage"] != "local" {
			deployable++
			for _, p := range []string{"EmailFrom", "AdminEmail", "LinkBaseUrl"} {
				if params[p] == "" {
					t.Errorf("samconfig %s (Stage=%s) leaves %s at the template's default", env, params["Stage"], p)
				}
			}
		}
	}
	if deployable < 2 {
		t.Fatalf("%d deployable environments; want dev and prod", deployable)
	}
}

// A prod stack never runs the sandbox provider, which approves tok_visa without taking money, nor sends
// its payments anywhere but Stripe's API: the template's Rules refuse both before CloudFormation creates
// anything (the functions refuse the sandbox again at start, internal/platform/boot/payments). dev and
// local may keep the sandbox.
func TestProdRefusesTheSandboxProvider(t *testing.T) {
	tpl := projectTemplate(t)
	with := func(extra map[string]string) map[string]string {
		params := map[string]string{"EmailFrom": "orders@shop.example.org", "AdminEmail": "ops@shop.example.org", "LinkBaseUrl": "https://shop.example.org"}
		for k, v := range extra {
			params[k] = v
		}
		return params
	}
	for _, tc := range []struct {
		name   string
		params map[string]string
		refuse []string // the parameters a refusal names; none: the rules pass
	}{
		{"prod with the default provider", with(map[string]string{"Stage": "prod"}), []string{"PaymentProvider"}},
		{"prod with the sandbox", with(map[string]string{"Stage": "prod", "PaymentProvider": "sandbox"}), []string{"PaymentProvider"}},
		{"prod with Stripe", with(map[string]string{"Stage": "prod", "PaymentProvider": "stripe"}), nil},
		{"prod with Stripe at stripe-mock", with(map[string]string{"Stage": "prod", "PaymentProvider": "stripe", "StripeApiBase": "http://127.0.0.1:12111"}),
			[]string{"StripeApiBase"}},
		{"dev with the sandbox", with(map[string]string{"Stage": "dev", "PaymentProvider": "sandbox"}), nil},
		{"dev with Stripe at stripe-mock", with(map[string]string{"Stage": "dev", "PaymentProvider": "stripe", "StripeApiBase": "http://127.0.0.1:12111"}), nil},
		{"local with the sandbox", map[string]string{"Stage": "local"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tpl.CheckRules(stackEnv(t, tpl, "x", tc.params))
			if len(tc.refuse) == 0 {
				if err != nil {
					t.Fatalf("rules refused: %v", err)
				}
				return
			}
			if !errors.Is(err, sam.ErrRule) {
				t.Fatalf("rules = %v; want a refusal", err)
			}
			for _, p := range tc.refuse {
				if !strings.Contains(err.Error(), p) {
					t.Errorf("rules = %v; want it to name %s", err, p)
				}
			}
			if n := strings.Count(err.Error(), "Assertions["); n != len(tc.refuse) {
				t.Errorf("%d assertions failed; want %d: %v", n, len(tc.refuse), err)
			}
		})
	}
}

// sam build's cache key for the Go builder is each function's CodeUri folder: with caching on, a
// change in internal/ or go.mod deploys the previous binary.
func TestSamconfigBuildsAreNotCached(t *testing.T) {
	for section, kv := range samconfig(t) {
		if strings.HasSuffix(section, ".build.parameters") && kv["cached"] != "false" {
			t.Errorf("[%s] cached = %q; want false", section, kv["cached"])
		}
	}
}

// A route's settings replace the stage's defaults; one without throttling values is stored with 0 by
// some tools, which throttles every request.
func TestRouteSettingsThrottleExplicitly(t *testing.T) {
	tpl := projectTemplate(t)
	routes := 0
	for _, id := range tpl.ResourceIDs() {
		r := tpl.Resources[id]
		var settings map[string]any
		switch r.Type {
		case "AWS::Serverless::HttpApi":
			settings, _ = tpl.WithGlobals("HttpApi", r.Properties)["RouteSettings"].(map[string]any)
		case "AWS::ApiGatewayV2::Stage":
			settings, _ = r.Properties["RouteSettings"].(map[string]any)
		}
		for route, v := range settings {
			routes++
			s, _ := v.(map[string]any)
			for _, k := range []string{"ThrottlingBurstLimit", "ThrottlingRateLimit"} {
				n, ok := sam.Int(s, k)
				if !ok || n <= 0 {
					t.Errorf("%s RouteSettings %q: %s = %v; want an explicit limit", id, route, k, s[k])
				}
			}
		}
	}
	if routes == 0 {
		t.Fatal("no route settings (POST /orders has some)")
	}
}

// Anyone can call the public write routes (/auth/*, the Stripe webhook), and each call costs a Lambda
// invocation and Cognito quota: each has throttling of its own, both limits below the stage's default,
// so a flood of them is refused before it crowds out the rest of the API; the auth routes far below.
func TestPublicWriteRoutesThrottleBelowTheStage(t *testing.T) {
	tpl := projectTemplate(t)
	api := tpl.WithGlobals("HttpApi", tpl.Resources["HttpApi"].Properties)
	def := sam.Map(api, "DefaultRouteSettings")
	settings := sam.Map(api, "RouteSettings")
	public := 0
	for _, id := range tpl.ResourceIDs() {
		if tpl.Resources[id].Type != "AWS::Serverless::Function" {
			continue
		}
		for name, e := range sam.Map(tpl.Resources[id].Properties, "Events") {
			em, _ := e.(map[string]any)
			p := sam.Map(em, "Properties")
			if sam.String(em, "Type") != "HttpApi" {
				continue
			}
			method, path := strings.ToUpper(sam.String(p, "Method")), sam.String(p, "Path")
			if sam.String(sam.Map(p, "Auth"), "Authorizer") != "NONE" && !strings.HasPrefix(path, "/auth/") {
				continue
			}
			if method == "GET" {
				continue // public reads (the catalogue) share the stage's limits
			}
			public++
			key := method + " " + path
			s := sam.Map(settings, key)
			if s == nil {
				t.Errorf("%s.%s: route %q has no RouteSettings of its own; want throttling below the stage's", id, name, key)
				continue
			}
			// The auth routes serve people, who register or log in rarely: far below the stage.
			most, want := func(d int64) int64 { return d - 1 }, "below"
			if strings.HasPrefix(path, "/auth/") {
				most, want = func(d int64) int64 { return d / 10 }, "at most a tenth of"
			}
			for _, k := range []string{"ThrottlingBurstLimit", "ThrottlingRateLimit"} {
				n, ok := sam.Int(s, k)
				d, dok := sam.Int(def, k)
				if !ok || !dok || n <= 0 || n > most(d) {
					t.Errorf("RouteSettings %q: %s = %v; want %s the stage's %v", key, k, s[k], want, def[k])
				}
			}
		}
	}
	if public < 8 {
		t.Fatalf("found %d public write routes; want /auth/register, /auth/confirm, /auth/confirm/resend, /auth/password/forgot, "+
			"/auth/password/reset, /auth/login, /auth/refresh and /webhooks/stripe", public)
	}
}

// Each API function's gradual deployment watches its own live alias's AWS/Lambda Errors, with exactly
// the dimensions Lambda publishes alias metrics under (FunctionName and Resource = <name>:<alias>,
// docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics.html, "By Resource"): an init crash, a timeout or an
// out-of-memory kill of the new version answers no 5xx the handler counts.
func TestDeploymentsWatchTheirOwnLiveAlias(t *testing.T) {
	tpl := projectTemplate(t)
	env := stackEnv(t, tpl, "orion-a", map[string]string{"Stage": "prod"})
	fns, err := tpl.Functions()
	if err != nil {
		t.Fatal(err)
	}
	watched := 0
	for _, f := range fns {
		dp, ok := f.Properties["DeploymentPreference"].(map[string]any)
		if !ok {
			continue
		}
		alias, _ := f.Properties["AutoPublishAlias"].(string)
		if alias == "" {
			t.Errorf("%s has a DeploymentPreference without AutoPublishAlias", f.LogicalID)
			continue
		}
		want := map[string]string{"FunctionName": "ref(" + f.LogicalID + ")", "Resource": "ref(" + f.LogicalID + "):" + alias}
		var found []string
		for _, a := range sam.List(dp, "Alarms") {
			ref, _ := a.(map[string]any)["Ref"].(string)
			alarm, ok := tpl.Resources[ref]
			if !ok || alarm.Type != "AWS::CloudWatch::Alarm" {
				t.Errorf("%s: DeploymentPreference alarm %v is no alarm of the template", f.LogicalID, a)
				continue
			}
			props, err := tpl.Resolve(alarm.Properties, env, ref)
			if err != nil {
				t.Fatal(err)
			}
			p := props.(map[string]any)
			if p["Namespace"] != "AWS/Lambda" || p["MetricName"] != "Errors" {
				continue
			}
			dims := map[string]string{}
			for _, d := range sam.List(p, "Dimensions") {
				m := d.(map[string]any)
				dims[sam.String(m, "Name")] = sam.String(m, "Value")
			}
			if !reflect.DeepEqual(dims, want) {
				t.Errorf("%s: alarm %s dimensions %v; want %v", f.LogicalID, ref, dims, want)
				continue
			}
			if topic := sam.Strings(p["AlarmActions"]); len(topic) != 1 || topic[0] != "ref(AlarmTopic)" {
				t.Errorf("%s: alarm %s notifies %v; want the AlarmTopic", f.LogicalID, ref, topic)
			}
			found = append(found, ref)
		}
		if len(found) != 1 {
			t.Errorf("%s: %d live-alias Errors alarms in its DeploymentPreference (%v); want its own, once", f.LogicalID, len(found), found)
		}
		watched++
	}
	if watched < 12 {
		t.Fatalf("only %d functions deploy gradually", watched)
	}
}

// Both state machines name their steps by version ARN (Ref X.Version), never the function's own ARN,
// which runs $LATEST: an execution started before a deploy keeps the step code it started with.
func TestStateMachinesNameStepVersions(t *testing.T) {
	tpl := projectTemplate(t)
	machines := 0
	for _, id := range tpl.ResourceIDs() {
		r := tpl.Resources[id]
		if r.Type != "AWS::Serverless::StateMachine" {
			continue
		}
		machines++
		subs, _ := r.Properties["DefinitionSubstitutions"].(map[string]any)
		var keys []string
		for k := range subs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v, _ := subs[k].(map[string]any)
			if ga, ok := v["Fn::GetAtt"].([]any); ok && len(ga) == 2 && ga[1] == "Arn" && tpl.Resources[fmt.Sprint(ga[0])].Type == "AWS::Serverless::Function" {
				t.Errorf("%s ${%s} is %s's unqualified ARN; want !Ref %s.Version", id, k, ga[0], ga[0])
			}
			if ref, _ := v["Ref"].(string); strings.HasSuffix(ref, ".Alias") {
				t.Errorf("%s ${%s} is an alias (%s), which moves to the new version at a deploy; want .Version", id, k, ref)
			}
		}
	}
	if machines != 2 {
		t.Fatalf("%d state machines; want the saga and the cancellation", machines)
	}
}
