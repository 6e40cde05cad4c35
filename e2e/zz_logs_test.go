package e2e

import "testing"

// After every other test of the package (this file sorts last), the logs of the whole run hold no
// token, password, payment token or full email address: no test's traffic, hostile or not, made any
// function or the runtime log one.
func TestZZNoSecretsInTheWholeRunsLogs(t *testing.T) {
	localOnly(t)
	findings, lines := runLog.since(0)
	if lines < 100 {
		t.Skipf("only %d log lines: checked after a whole run of the package, not a -run selection", lines)
	}
	for _, f := range findings {
		t.Errorf("log line %d holds %s:\n  %s", f.seq, f.what, f.line)
	}
}
