package lambdahost

import (
	"bytes"
	"encoding/json"
	"strings"
)

// Level is a log level of Lambda's log-level filtering, from the most detail to the least.
type Level int

// Lambda's levels: TRACE to FATAL for application logs, DEBUG to WARN for system logs.
const (
	LevelTrace Level = iota
	LevelDebug
	LevelInfo
	LevelWarn
	LevelError
	LevelFatal
)

var levelNames = map[string]Level{"TRACE": LevelTrace, "DEBUG": LevelDebug, "INFO": LevelInfo, "WARN": LevelWarn,
	"ERROR": LevelError, "FATAL": LevelFatal}

// ParseLevel reads a level name in any case; ok is false for anything else ("WARN+2", "warning", "").
func ParseLevel(s string) (l Level, ok bool) {
	l, ok = levelNames[strings.ToUpper(strings.TrimSpace(s))]
	return l, ok
}

// Logging is a function's LoggingConfig as Lambda applies it to what reaches CloudWatch Logs (here,
// Options.Output and the invocation's log tail).
//
// With LogFormat JSON, Lambda filters the function's application logs (every line on stdout or stderr)
// by ApplicationLogLevel, and its own system logs by SystemLogLevel. A line's level is the "level" key
// of a JSON object; "If the "level" value field is invalid or missing, Lambda will assign the log output
// the level INFO", and "When Lambda filters your function's application logs, log messages without a
// level will be assigned the log level INFO" (so a line that is not JSON at all is INFO too). "To use
// log-level filtering, your function must be configured to use the JSON log format": with Text nothing
// is filtered. Both levels default to INFO.
// https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html
type Logging struct {
	// Format is LogFormat: "JSON" or "Text" ("" is Text, Lambda's default for managed runtimes).
	Format string
	// ApplicationLevel is ApplicationLogLevel (TRACE to FATAL; "" is INFO).
	ApplicationLevel string
	// SystemLevel is SystemLogLevel (DEBUG, INFO or WARN; "" is INFO).
	SystemLevel string
}

func (l Logging) json() bool { return strings.EqualFold(l.Format, "JSON") }

func (l Logging) threshold(s string) Level {
	if v, ok := ParseLevel(s); ok {
		return v
	}
	return LevelInfo
}

// KeepsApplicationLine reports whether Lambda sends this line of the function's output to CloudWatch.
func (l Logging) KeepsApplicationLine(line []byte) bool {
	if !l.json() {
		return true
	}
	return LineLevel(line) >= l.threshold(l.ApplicationLevel)
}

// KeepsSystemLog reports whether Lambda sends a system log (platform event) of the level to CloudWatch.
// Lambda assigns each platform event a level: with the default INFO, "Lambda automatically sends
// "start" and "report" log messages to CloudWatch"; WARN keeps only the failures (a report whose status
// is not success, dropped logs). The local runtime's one line per invocation stands for the report.
func (l Logging) KeepsSystemLog(level Level) bool {
	if !l.json() {
		return true
	}
	return level >= l.threshold(l.SystemLevel)
}

// LineLevel is the level Lambda assigns to one line of application output: its JSON "level" when that
// names a level, else INFO.
func LineLevel(line []byte) Level {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] != '{' {
		return LevelInfo
	}
	var doc struct {
		Level json.RawMessage `json:"level"`
	}
	if json.Unmarshal(line, &doc) != nil {
		return LevelInfo
	}
	var name string
	if json.Unmarshal(doc.Level, &name) != nil {
		return LevelInfo
	}
	if l, ok := ParseLevel(name); ok {
		return l
	}
	return LevelInfo
}
