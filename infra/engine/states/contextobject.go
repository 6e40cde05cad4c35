package states

import "time"

// executionContext completes the context object's Execution node as AWS gives it: RedriveCount is 0
// until an execution is redriven (RedriveTime appears only then), and StartTime has milliseconds
// (2024-03-14T01:59:00.123Z, observed), whatever precision the caller wrote it with.
// https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html
func executionContext(c map[string]any) map[string]any {
	ex, ok := c["Execution"].(map[string]any)
	if !ok {
		return c
	}
	ex = copyMap(ex)
	if _, has := ex["RedriveCount"]; !has {
		ex["RedriveCount"] = 0.0
	}
	if s, ok := ex["StartTime"].(string); ok {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			ex["StartTime"] = t.UTC().Format(TimeFormat)
		}
	}
	c = copyMap(c)
	c["Execution"] = ex
	return c
}

// TimeFormat is how the context object writes times (Execution.StartTime, State.EnteredTime):
// ISO 8601 in UTC with milliseconds, as AWS does.
const TimeFormat = "2006-01-02T15:04:05.000Z"
