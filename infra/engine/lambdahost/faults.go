package lambdahost

import "time"

// FaultKind is a fault the host injects into one invocation (docs/faults.md).
type FaultKind int

const (
	// NoFault runs the invocation normally.
	NoFault FaultKind = iota
	// CrashAfterWork lets the handler finish, then kills the instance before its answer is delivered:
	// the caller gets Runtime.ExitError although the side effects happened, so its retry must be
	// idempotent. The instance is replaced, as Lambda replaces a crashed execution environment.
	CrashAfterWork
	// TimeoutDuringWork kills the instance At into the invocation (or when the handler answers, if that
	// is sooner) and reports Sandbox.Timedout: some of the work may be done, some not.
	TimeoutDuringWork
)

// Fault is what Options.Fault decides for one invocation.
type Fault struct {
	Kind FaultKind
	At   time.Duration
}

func (k FaultKind) outcome() string {
	if k == TimeoutDuringWork {
		return "timeout"
	}
	return "crash"
}

// injected is the error an injected fault reports, in Lambda's words.
func (k FaultKind) injected(id string, timeout time.Duration) *FunctionError {
	if k == TimeoutDuringWork {
		return timedOut(id, timeout)
	}
	return &FunctionError{Type: "Runtime.ExitError", Message: "RequestId: " + id + " Error: Runtime exited with error: signal: killed (injected fault)"}
}
