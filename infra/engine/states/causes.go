package states

import "fmt"

// locate gives a failure raised while evaluating the state its AWS prefix, "An error occurred while
// executing the state 'X' (entered at the event id #N). " (the form of every States.Runtime cause
// recorded on AWS; https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html).
// The failure is copied: the same *Failure may be returned twice.
func (e *Execution) locate(name string, f *Failure) *Failure {
	if !f.local {
		return f
	}
	return &Failure{Name: f.Name, Cause: fmt.Sprintf("An error occurred while executing the state '%s' (entered at the event id #%d). %s", name, e.entered, f.Cause)}
}
