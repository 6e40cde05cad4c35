package states

import (
	"math"
	"strconv"
	"time"
)

// A Task state's timeouts, as https://docs.aws.amazon.com/step-functions/latest/dg/state-task.html
// documents them: TimeoutSeconds / HeartbeatSeconds, or TimeoutSecondsPath / HeartbeatSecondsPath, a
// reference path (or a workflow variable) that "must select fields whose values are positive
// integers"; without a timeout a task may run 99999999 seconds.
const docsTask = "https://docs.aws.amazon.com/step-functions/latest/dg/state-task.html"

// maxTaskTimeout is what a Task runs for when no timeout is given.
const maxTaskTimeout = 99999999

// taskTimeouts resolves a Task state's timeout and heartbeat (0: none) before its resource runs: AWS
// resolves them when it schedules the task (the TaskScheduled event carries timeoutInSeconds and
// heartbeatInSeconds), so a bad value fails the attempt before anything is called, a heartbeat path
// included, whether or not the task waits for a token.
func taskTimeouts(s *state, in any, sctx map[string]any) (timeout, heartbeat time.Duration, err error) {
	secs, hb := s.TimeoutSeconds, s.HeartbeatSeconds
	if s.TimeoutSecondsPath != "" {
		if secs, err = positiveSeconds("TimeoutSecondsPath", s.TimeoutSecondsPath, in, sctx); err != nil {
			return 0, 0, err
		}
	}
	if s.HeartbeatSecondsPath != "" {
		if hb, err = positiveSeconds("HeartbeatSecondsPath", s.HeartbeatSecondsPath, in, sctx); err != nil {
			return 0, 0, err
		}
	}
	if secs <= 0 {
		secs = maxTaskTimeout
	}
	return time.Duration(secs) * time.Second, time.Duration(hb) * time.Second, nil
}

// positiveSeconds reads a *SecondsPath field, which must give a positive integer. AWS's handling of
// other values is not recorded; this follows what is recorded for MaxConcurrencyPath (maxConcurrency):
// a string holding an integer is taken, anything else is States.Runtime, 'The MaxConcurrencyPath field
// refers to value "NoNumber" which is not a valid integer: $.x' (ADR 0023).
func positiveSeconds(field, path string, in any, sctx map[string]any) (int, error) {
	v, err := mustLookup(in, sctx, path)
	if err != nil {
		return 0, err
	}
	f, ok := v.(float64)
	if str, isStr := v.(string); isStr {
		n, err := strconv.Atoi(str) // a string holding an integer, as MaxConcurrencyPath takes it
		f, ok = float64(n), err == nil
	}
	if !ok || f != math.Trunc(f) || math.Abs(f) > math.MaxInt32 {
		return 0, rtFail("The %s field refers to value \"%s\" which is not a valid integer: %s", field, javaString(v), path)
	}
	if f < 1 {
		return 0, rtFail("The %s field refers to value \"%s\" which is not a positive integer: %s", field, javaString(v), path)
	}
	return int(f), nil
}
