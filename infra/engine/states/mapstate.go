package states

import (
	"math"
	"strconv"
)

// maxConcurrency is a Map state's MaxConcurrency, or the value MaxConcurrencyPath selects: it must be
// a non-negative integer. Observed on AWS for values that are not integers ({} and "NoNumber"):
// States.Runtime, 'The MaxConcurrencyPath field refers to value "NoNumber" which is not a valid
// integer: $.MaxConcurrencyValue' (LocalStack's scenarios/test_base_scenarios.snapshot.json). A
// negative value leaves the execution stalled on AWS; here it fails (ADR 0023).
// https://docs.aws.amazon.com/step-functions/latest/dg/state-map-inline.html
func maxConcurrency(s *state, in any, sctx map[string]any) (int, error) {
	if s.MaxConcurrencyPath == "" {
		return s.MaxConcurrency, nil
	}
	v, err := mustLookup(in, sctx, s.MaxConcurrencyPath)
	if err != nil {
		return 0, err
	}
	f, ok := v.(float64)
	if str, isStr := v.(string); isStr {
		// A string holding an integer is one: "1" ran on AWS (observed, LocalStack's
		// assign/test_assign_reference_variables.snapshot.json, MaxConcurrencyPath "$maxConcurrency"),
		// as Java's Integer.parseInt reads it; "NoNumber" did not.
		n, err := strconv.Atoi(str)
		f, ok = float64(n), err == nil
	}
	if !ok || f != math.Trunc(f) || math.Abs(f) > math.MaxInt32 {
		return 0, rtFail("The MaxConcurrencyPath field refers to value \"%s\" which is not a valid integer: %s", javaString(v), s.MaxConcurrencyPath)
	}
	if f < 0 {
		return 0, rtFail("Expected non-negative integer for MaxConcurrency, got '%d' instead.", int(f))
	}
	return int(f), nil
}
