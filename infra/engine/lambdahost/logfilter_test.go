package lambdahost_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orion-oss/orion/infra/engine/lambdahost"
)

// Orion's EMF metric line (internal/platform/metrics) has no "level": Lambda counts it as INFO.
const emfLine = `{"Stage":"dev","Http5xxResponses":1,"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"Orion","Dimensions":[["Stage"]],"Metrics":[{"Name":"Http5xxResponses","Unit":"Count"}]}]}}`

// The level Lambda assigns to a line of application output, as the Log-level filtering page states:
// the JSON "level" key (its example is lower case), INFO when it is "invalid or missing", and INFO for
// "log messages without a level" (a plain-text line).
// https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html
func TestLineLevel(t *testing.T) {
	tests := []struct {
		line string
		want lambdahost.Level
	}{
		{`{"level": "debug", "msg": "my debug log", "timestamp": "2024-11-02T16:51:31.587199Z"}`, lambdahost.LevelDebug},
		{`{"time":"2026-12-03T01:00:00Z","level":"WARN","msg":"slow"}`, lambdahost.LevelWarn},
		{`{"level":"ERROR","msg":"x"}`, lambdahost.LevelError},
		{`{"level":"trace"}`, lambdahost.LevelTrace},
		{`{"level":"Fatal"}`, lambdahost.LevelFatal},
		{emfLine, lambdahost.LevelInfo},                        // missing
		{`{"level":"WARN+2","msg":"x"}`, lambdahost.LevelInfo}, // slog's offset levels are not Lambda's: invalid
		{`{"level":"warning"}`, lambdahost.LevelInfo},
		{`{"level":3}`, lambdahost.LevelInfo},
		{`{"level":"ERROR"`, lambdahost.LevelInfo}, // not JSON
		{`panic: boom`, lambdahost.LevelInfo},
		{`ERROR something`, lambdahost.LevelInfo},
		{``, lambdahost.LevelInfo},
	}
	for _, tt := range tests {
		if got := lambdahost.LineLevel([]byte(tt.line)); got != tt.want {
			t.Errorf("LineLevel(%s) = %d; want %d", tt.line, got, tt.want)
		}
	}
}

// Which lines and system logs a LoggingConfig keeps: with JSON, the line's level at or above
// ApplicationLogLevel and a platform event's at or above SystemLogLevel (both INFO by default); with
// Text (or no format) Lambda filters nothing.
func TestLoggingKeeps(t *testing.T) {
	info, warn, debug := `{"level":"INFO","msg":"x"}`, `{"level":"WARN","msg":"x"}`, `{"level":"DEBUG","msg":"x"}`
	tests := []struct {
		name    string
		cfg     lambdahost.Logging
		line    string
		keep    bool
		sysInfo bool // a report of a successful invocation (INFO)
	}{
		{"WARN drops the metric line", lambdahost.Logging{Format: "JSON", ApplicationLevel: "WARN", SystemLevel: "WARN"}, emfLine, false, false},
		{"WARN keeps a warning", lambdahost.Logging{Format: "JSON", ApplicationLevel: "WARN"}, warn, true, true},
		{"ERROR drops a warning", lambdahost.Logging{Format: "JSON", ApplicationLevel: "ERROR"}, warn, false, true},
		{"INFO keeps the metric line", lambdahost.Logging{Format: "JSON", ApplicationLevel: "INFO", SystemLevel: "INFO"}, emfLine, true, true},
		{"INFO drops debug", lambdahost.Logging{Format: "JSON", ApplicationLevel: "INFO"}, debug, false, true},
		{"DEBUG keeps debug", lambdahost.Logging{Format: "JSON", ApplicationLevel: "DEBUG", SystemLevel: "DEBUG"}, debug, true, true},
		{"JSON defaults to INFO", lambdahost.Logging{Format: "JSON"}, debug, false, true},
		{"JSON defaults keep info", lambdahost.Logging{Format: "json"}, info, true, true},
		{"plain text is INFO", lambdahost.Logging{Format: "JSON", ApplicationLevel: "WARN"}, "plain text", false, true},
		{"Text filters nothing", lambdahost.Logging{Format: "Text", ApplicationLevel: "ERROR", SystemLevel: "WARN"}, debug, true, true},
		{"no format filters nothing", lambdahost.Logging{ApplicationLevel: "ERROR"}, emfLine, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.cfg.KeepsApplicationLine([]byte(tt.line)); got != tt.keep {
				t.Errorf("KeepsApplicationLine = %v; want %v", got, tt.keep)
			}
			if got := tt.cfg.KeepsSystemLog(lambdahost.LevelInfo); got != tt.sysInfo {
				t.Errorf("KeepsSystemLog(INFO) = %v; want %v", got, tt.sysInfo)
			}
			if !tt.cfg.KeepsSystemLog(lambdahost.LevelWarn) {
				t.Error("a WARN platform event (a failed invocation's report) is dropped")
			}
		})
	}
}

// Through a real function process: what the function prints reaches the output and the invocation's
// log tail only as Lambda's filtering lets it, per function.
func TestFunctionOutputIsFilteredByLevel(t *testing.T) {
	lines := []string{emfLine, `{"level":"DEBUG","msg":"detail"}`, `{"level":"WARN","msg":"careful"}`, `{"level":"ERROR","msg":"broken"}`, `plain text`}
	tests := []struct {
		name    string
		logging lambdahost.Logging
		want    []bool // per line above: kept
	}{
		{"text", lambdahost.Logging{}, []bool{true, true, true, true, true}},
		{"json-info", lambdahost.Logging{Format: "JSON", ApplicationLevel: "INFO", SystemLevel: "INFO"}, []bool{true, false, true, true, true}},
		{"json-warn", lambdahost.Logging{Format: "JSON", ApplicationLevel: "WARN", SystemLevel: "WARN"}, []bool{false, false, true, true, false}},
		{"json-debug", lambdahost.Logging{Format: "JSON", ApplicationLevel: "DEBUG"}, []bool{true, true, true, true, true}},
	}
	var out bytes.Buffer
	var mu sync.Mutex
	var fns []lambdahost.Function
	for _, tt := range tests {
		f := fn(tt.name, "echo")
		f.Logging = tt.logging
		fns = append(fns, f)
	}
	h := newHost(t, lambdahost.Options{Output: &syncWriter{w: &out, mu: &mu}}, fns...)
	payload, _ := json.Marshal(map[string]any{"print": lines})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := invoke(t, h, tt.name, string(payload))
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			// The answer can overtake the output through the pipe: wait for the function's last line
			// of each kind that any configuration keeps (its "handling" line is INFO).
			marker := fmt.Sprintf("[%s] handling %s", tt.name, res.RequestID)
			deadline := time.Now().Add(2 * time.Second)
			for {
				mu.Lock()
				got := out.String()
				mu.Unlock()
				if strings.Contains(got, marker) && strings.Contains(got, "["+tt.name+`] {"level":"ERROR"`) || time.Now().After(deadline) {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			time.Sleep(50 * time.Millisecond)
			mu.Lock()
			got := out.String()
			mu.Unlock()
			for i, l := range lines {
				if kept := strings.Contains(got, "["+tt.name+"] "+l+"\n"); kept != tt.want[i] {
					t.Errorf("output line %q kept %v; want %v", l, kept, tt.want[i])
				}
				// The tail is taken when the answer arrives, possibly before the pipe delivered every
				// line: only a dropped line's absence is certain.
				if !tt.want[i] && bytes.Contains(res.Logs, []byte(l+"\n")) {
					t.Errorf("log tail holds the dropped line %q", l)
				}
			}
		})
	}
}
