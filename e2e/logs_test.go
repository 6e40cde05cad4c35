package e2e

import (
	"bytes"
	"os"
	"testing"
)

// After every other test of the package (a whole-run check: wholerun_test.go), the logs of the whole
// run hold no token, password, payment token or full email address: no test's traffic, hostile or not,
// made any function or the runtime log one.
func noSecretsInTheWholeRunsLogs(t *testing.T) {
	inProcessOnly(t, "scans the runtime's log (runLog)")
	// make test ran the externally observable tests against a dev system (infra/scripts/test.sh): its
	// output is the rest of the whole run's log. The exact secrets that run registered died with it; the
	// patterns (tokens, payment tokens, email addresses) and the users' password still apply.
	if path := os.Getenv("ORION_E2E_DEV_LOG"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("the dev system's log: %v", err)
		}
		// The banner is the dev system's greeting to its developer, which shows the seeded admin's
		// sign-in on purpose; the log proper starts after it.
		if _, after, ok := bytes.Cut(b, []byte("Ctrl-C stops everything.\n")); ok {
			b = after
		}
		dev := logScanner{secrets: map[string]string{testPassword: "the test users' password"}}
		dev.Write(append(b, '\n'))
		findings, lines := dev.since(0)
		if lines < 1000 {
			t.Fatalf("the dev system's log %s has only %d lines: not a whole run's", path, lines)
		}
		for _, f := range findings {
			t.Errorf("%s line %d holds %s:\n  %s", path, f.seq, f.what, f.line)
		}
	}
	findings, lines := runLog.since(0)
	if lines < 100 {
		t.Skipf("only %d log lines: checked after a whole run of the package, not a -run selection", lines)
	}
	for _, f := range findings {
		t.Errorf("log line %d holds %s:\n  %s", f.seq, f.what, f.line)
	}
}
