package e2e

import (
	"flag"
	"fmt"
	"regexp"
	"testing"
)

// wholeRunChecks read what every other test of the package left behind: the AWS calls the functions
// made, the run's log, the metrics it emitted. runSuite runs them after m.Run has run every other test,
// so that they see a whole run whatever the tests are named and in whatever order go test runs them
// (-shuffle included). They are not Test functions, so go test does not run them itself; -run and -skip
// select them by these names as they select tests, and go test -v reports them like tests.
//
// Each skips itself when it sees less than a whole run (a -run selection of other tests) and, in
// external mode, as in-process only: make test's first, external run (infra/scripts/test.sh) lists them
// among its in-process-only skips, and its second, in-process run selects them by name with the others.
var wholeRunChecks = []testing.InternalTest{
	{Name: "TestWholeRunFunctionPoliciesMatchTheirCalls", F: functionPoliciesMatchTheirCalls},             // iam_test.go
	{Name: "TestWholeRunLogsHoldNoSecrets", F: noSecretsInTheWholeRunsLogs},                               // logs_test.go
	{Name: "TestWholeRunMetricsOfAlarmsAndDashboardAreEmitted", F: metricsOfAlarmsAndDashboardAreEmitted}, // metrics_test.go
}

// runSuite runs the package's tests, then the whole-run checks that -run selects, and returns the exit
// code: non-zero when a test or a check failed.
func runSuite(m *testing.M) int {
	code := m.Run()
	if code > 1 {
		return code // the flags were refused: nothing ran
	}
	if pattern := flag.Lookup("test.list").Value.String(); pattern != "" {
		for _, c := range wholeRunChecks {
			if ok, _ := regexp.MatchString(pattern, c.Name); ok {
				fmt.Println(c.Name)
			}
		}
		return code
	}
	var checks []testing.InternalTest
	for _, c := range wholeRunChecks {
		if selected(flag.Lookup("test.run").Value.String(), c.Name) {
			checks = append(checks, c)
		}
	}
	if len(checks) == 0 {
		return code // not called with none: RunTests would warn "no tests to run" after m.Run's tests ran
	}
	if !testing.RunTests(regexp.MatchString, checks) {
		fmt.Println("FAIL") // m.Run printed its PASS or FAIL before the checks ran
		return 1
	}
	return code
}

// selected reports whether the -run pattern can select a top-level test of this name: whether the
// first element of one of its top-level alternatives matches it, as go test splits the pattern (package
// testing's splitRegexp: '/' and '|' outside brackets and parentheses). testing.RunTests decides
// exactly; this only keeps it from being called with nothing to run.
func selected(pattern, name string) bool {
	if pattern == "" {
		return true
	}
	var first []string // the first element of each alternative
	start, inAlt, brackets, parens := 0, true, 0, 0
	for i := 0; i < len(pattern); i++ {
		switch pattern[i] {
		case '[':
			brackets++
		case ']':
			brackets = max(brackets-1, 0)
		case '(':
			if brackets == 0 {
				parens++
			}
		case ')':
			if brackets == 0 {
				parens--
			}
		case '\\':
			i++
		case '/', '|':
			if brackets != 0 || parens != 0 {
				continue
			}
			if inAlt {
				first = append(first, pattern[start:i])
			}
			inAlt = pattern[i] == '|'
			start = i + 1
		}
	}
	if inAlt {
		first = append(first, pattern[start:])
	}
	for _, p := range first {
		if ok, err := regexp.MatchString(p, name); ok || err != nil {
			return true // an invalid pattern: RunTests reports it
		}
	}
	return false
}

// The whole-run checks are selected by -run as top-level tests are, make test's pattern among them.
func TestRunSelectsWholeRunChecks(t *testing.T) {
	const name = "TestWholeRunLogsHoldNoSecrets"
	for pattern, want := range map[string]bool{
		"":               true,
		"WholeRun":       true,
		"TestWholeRun/x": true,
		"^(TestA|TestWholeRunLogsHoldNoSecrets|TestB)$": true,
		"^(TestA|TestB)$":            false,
		"TestA|WholeRunLogs":         true,
		"TestA/WholeRunLogs":         false,
		"TestA/x|TestWholeRun":       true,
		"^$":                         false,
		"Test[/|]x":                  false,
		"TestWholeRun[L]ogs/(a|b)/c": true,
	} {
		if got := selected(pattern, name); got != want {
			t.Errorf("selected(%q) = %v; want %v", pattern, got, want)
		}
	}
}
