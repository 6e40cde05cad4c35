package states

import (
	"math"
	"regexp"
	"time"
)

// Wait states, as https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html documents them
// and as executions recorded on AWS fail them (LocalStack's AWS-validated snapshots
// tests/aws/services/stepfunctions/v2/base/test_wait.snapshot.json and scenarios/test_base_scenarios).

// maxWaitSeconds is the longest delay AWS accepts: a Wait until a timestamp 24,855 days away runs, one
// 24,856 days away fails with "Wait state delay is too long." (2^31-1 seconds, observed). A Standard
// execution still ends at its one-year maximum duration (States.Timeout), which the local runtime
// does not enforce (ADR 0023).
const maxWaitSeconds = math.MaxInt32

// maxSeconds is the Seconds field's documented range, checked when the definition is parsed.
const maxSeconds = 99999999

// waitFor computes a Wait state's delay.
func waitFor(s *state, in any, sctx map[string]any) (time.Duration, error) {
	switch {
	case s.Seconds != nil:
		return time.Duration(*s.Seconds) * time.Second, nil
	case s.SecondsPath != "":
		v, err := waitPathValue(in, sctx, "SecondsPath", s.SecondsPath)
		if err != nil {
			return 0, err
		}
		f, isNum := v.(float64)
		if !isNum || f != math.Trunc(f) || math.Abs(f) > math.MaxInt64/2 {
			return 0, rtFail("The SecondsPath parameter cannot be parsed as a long value: %s == %s", s.SecondsPath, javaString(v))
		}
		if f < 0 {
			return 0, rtFail("The SecondsPath parameter references a negative value: %s == %s", s.SecondsPath, javaString(v))
		}
		if f > maxWaitSeconds {
			return 0, rtFail("Wait state delay is too long.")
		}
		return time.Duration(f) * time.Second, nil
	case s.TimestampPath != "":
		v, err := waitPathValue(in, sctx, "TimestampPath", s.TimestampPath)
		if err != nil {
			return 0, err
		}
		str, _ := v.(string)
		t, ok := waitTimestamp(str)
		if !ok {
			return 0, rtFail("The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: %s == %s", s.TimestampPath, javaString(v))
		}
		return untilTimestamp(t)
	case s.Timestamp != "":
		t, ok := waitTimestamp(s.Timestamp)
		if !ok { // checked by Parse; kept for machines built otherwise
			return 0, rtFail("The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: %s", s.Timestamp)
		}
		return untilTimestamp(t)
	}
	return 0, rtFail("Wait needs Seconds, SecondsPath, Timestamp or TimestampPath")
}

func untilTimestamp(t time.Time) (time.Duration, error) {
	// "Step Functions considers the time value up to seconds and truncates milliseconds" (state-wait).
	d := time.Until(t.Truncate(time.Second))
	if d > maxWaitSeconds*time.Second {
		return 0, rtFail("Wait state delay is too long.")
	}
	return max(d, 0), nil
}

// timestampRE is the RFC 3339 profile AWS requires: an uppercase T between date and time, seconds,
// optional fractions of any length, and an uppercase Z or a numeric offset. Observed on AWS: "Z",
// ".00Z" and ".000000Z" run; no zone, "2016-12-05 21:29:29Z" (space), month 13 and hour 25 fail.
var timestampRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$`)

// waitTimestamp parses a Wait state's timestamp as AWS accepts it.
func waitTimestamp(s string) (time.Time, bool) {
	if !timestampRE.MatchString(s) {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

// javaString renders a value the way AWS's causes quote input values ("$.x == 1.5"): strings as they
// are, anything else as JSON.
func javaString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return compactJSON(v)
}

// waitPathValue reads a Wait state's SecondsPath or TimestampPath (field) from the input, failing with
// AWS's causes when the path is malformed or finds nothing.
func waitPathValue(in any, sctx map[string]any, field, path string) (any, error) {
	v, ok, err := lookup(in, sctx, path)
	if err != nil {
		return nil, pathError(path, err)
	}
	if !ok {
		return nil, rtFail("The %s parameter does not reference an input value: %s", field, path)
	}
	return v, nil
}
