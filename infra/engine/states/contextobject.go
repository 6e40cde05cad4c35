package states

// executionContext completes the context object's Execution node with the fields AWS always gives:
// RedriveCount is 0 until an execution is redriven (RedriveTime appears only then).
// https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html
func executionContext(c map[string]any) map[string]any {
	ex, ok := c["Execution"].(map[string]any)
	if !ok {
		return c
	}
	if _, has := ex["RedriveCount"]; has {
		return c
	}
	ex = copyMap(ex)
	ex["RedriveCount"] = 0.0
	c = copyMap(c)
	c["Execution"] = ex
	return c
}

// TimeFormat is how the context object writes times (Execution.StartTime, State.EnteredTime):
// ISO 8601 in UTC with milliseconds, as AWS does.
const TimeFormat = "2006-01-02T15:04:05.000Z"
