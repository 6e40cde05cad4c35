package stack

import (
	"maps"
	"strings"
	"testing"

	"github.com/orion-oss/orion/infra/engine/lambdahost"
	"github.com/orion-oss/orion/infra/engine/sam"
)

// Orion's EMF line has no "level" (internal/platform/metrics): Lambda counts it as INFO.
const emfLine = `{"Stage":"dev","OrdersPlaced":1,"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"Orion","Dimensions":[["Stage"]],"Metrics":[{"Name":"OrdersPlaced","Unit":"Count"}]}]}}`

// functionLogging resolves each function's LoggingConfig (Globals merged with its own, as SAM does)
// and its LOG_LEVEL variable under the parameter overrides. LogGroup is left out: it names a resource.
func functionLogging(t *testing.T, tpl *sam.Template, overrides map[string]string) (map[string]lambdahost.Logging, map[string]string) {
	t.Helper()
	params, err := tpl.ParameterValues(overrides)
	if err != nil {
		t.Fatal(err)
	}
	env := sam.Env{Region: "us-east-1", AccountID: "123456789012", StackName: "orion-local", Partition: "aws",
		URLSuffix: "amazonaws.com", Parameters: params, Resources: newResources()}
	fns, err := tpl.Functions()
	if err != nil {
		t.Fatal(err)
	}
	logging, levels := map[string]lambdahost.Logging{}, map[string]string{}
	for _, f := range fns {
		lc := maps.Clone(sam.Map(f.Properties, "LoggingConfig"))
		delete(lc, "LogGroup")
		v, err := tpl.Resolve(lc, env, "Resources."+f.LogicalID+".Properties.LoggingConfig")
		if err != nil {
			t.Fatal(err)
		}
		resolved, _ := v.(map[string]any)
		logging[f.LogicalID] = loggingConfig(map[string]any{"LoggingConfig": resolved})
		if raw, ok := sam.Map(sam.Map(f.Properties, "Environment"), "Variables")["LOG_LEVEL"]; ok {
			lv, err := tpl.Resolve(raw, env, "LOG_LEVEL")
			if err != nil {
				t.Fatal(err)
			}
			levels[f.LogicalID], _ = lv.(string)
		}
	}
	return logging, levels
}

// The host gets each function's LoggingConfig as SAM deploys it: the Globals merged with the
// function's own, intrinsics resolved.
func TestLoggingConfigFromGlobalsAndFunction(t *testing.T) {
	tpl, err := sam.Parse([]byte(`
Transform: AWS::Serverless-2016-10-31
Parameters:
  Level: {Type: String, Default: WARN}
Globals:
  Function:
    LoggingConfig: {LogFormat: JSON, ApplicationLogLevel: !Ref Level, SystemLogLevel: INFO}
Resources:
  Plain:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: functions/plain}
  Own:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/own
      LoggingConfig: {ApplicationLogLevel: ERROR, SystemLogLevel: WARN}
`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		level string
		want  map[string]lambdahost.Logging
	}{
		{"WARN", map[string]lambdahost.Logging{
			"Plain": {Format: "JSON", ApplicationLevel: "WARN", SystemLevel: "INFO"},
			"Own":   {Format: "JSON", ApplicationLevel: "ERROR", SystemLevel: "WARN"},
		}},
		{"DEBUG", map[string]lambdahost.Logging{
			"Plain": {Format: "JSON", ApplicationLevel: "DEBUG", SystemLevel: "INFO"},
			"Own":   {Format: "JSON", ApplicationLevel: "ERROR", SystemLevel: "WARN"},
		}},
	}
	for _, tt := range tests {
		got, _ := functionLogging(t, tpl, map[string]string{"Level": tt.level})
		for id, want := range tt.want {
			if got[id] != want {
				t.Errorf("Level=%s: %s logging %+v; want %+v", tt.level, id, got[id], want)
			}
		}
	}
}

// Under every LogLevel the template allows, Lambda lets every function's metric lines and its
// successful invocations' reports (INFO system logs) through to CloudWatch Logs, while the level still
// reaches the functions, which filter their own log lines by it (internal/platform/logging). A
// LoggingConfig that would silence the metrics, and with them every alarm on Orion, fails here.
func TestTemplateLoggingKeepsMetrics(t *testing.T) {
	tpl, err := sam.Load("../../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	values := tpl.Parameters["LogLevel"].AllowedValues
	if len(values) == 0 {
		t.Fatal("the template's LogLevel parameter lists no allowed values")
	}
	for _, v := range values {
		level := v.(string)
		logging, levels := functionLogging(t, tpl, map[string]string{"LogLevel": level})
		if len(logging) == 0 {
			t.Fatal("no functions")
		}
		for id, l := range logging {
			if !l.KeepsApplicationLine([]byte(emfLine)) {
				t.Errorf("LogLevel=%s: %s (LoggingConfig %+v) drops its metric lines", level, id, l)
			}
			if !l.KeepsSystemLog(lambdahost.LevelInfo) {
				t.Errorf("LogLevel=%s: %s (LoggingConfig %+v) drops its START and REPORT lines", level, id, l)
			}
			if levels[id] != level {
				t.Errorf("LogLevel=%s: %s has LOG_LEVEL %q: the parameter no longer sets the functions' own level", level, id, levels[id])
			}
		}
	}
}

// The runtime's line per invocation stands for Lambda's platform report, a system log: INFO for a
// successful invocation, WARN for a failed one, printed only at or above the function's SystemLogLevel
// (with LogFormat JSON), as Lambda sends it to CloudWatch Logs.
func TestInvocationLineFollowsSystemLogLevel(t *testing.T) {
	tests := []struct {
		name    string
		logging lambdahost.Logging
		outcome string
		printed bool
	}{
		{"INFO keeps a success", lambdahost.Logging{Format: "JSON", SystemLevel: "INFO"}, "ok", true},
		{"WARN drops a success", lambdahost.Logging{Format: "JSON", SystemLevel: "WARN"}, "ok", false},
		{"WARN keeps a failure", lambdahost.Logging{Format: "JSON", SystemLevel: "WARN"}, "error", true},
		{"WARN keeps a timeout", lambdahost.Logging{Format: "JSON", SystemLevel: "WARN"}, "timeout", true},
		{"Text keeps everything", lambdahost.Logging{SystemLevel: "WARN"}, "ok", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			s := &Stack{cfg: Config{Output: &out}, byName: map[string]*function{"fn": {name: "fn", logging: tt.logging}}}
			observed := false
			s.cfg.OnInvoke = func(lambdahost.Record) { observed = true }
			s.logInvocation(lambdahost.Record{Function: "fn", Trigger: "test", Outcome: tt.outcome})
			if printed := strings.Contains(out.String(), " fn "); printed != tt.printed {
				t.Errorf("printed %v; want %v: %q", printed, tt.printed, out.String())
			}
			if !observed {
				t.Error("OnInvoke not called: observers see every invocation whatever is logged")
			}
		})
	}
}
