package saga

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/orion-oss/orion/internal/order"
)

// TaskResumer resumes a saga run that waits on a task token (a Task with .waitForTaskToken): Step
// Functions' SendTaskSuccess and SendTaskFailure. A token whose task is closed already (answered,
// timed out, its run ended) is ErrTaskClosed.
type TaskResumer interface {
	// Succeed completes the task with output (JSON), the Task's result.
	Succeed(ctx context.Context, token string, output []byte) error
	// Fail fails the task with an error name the Task's Catch matches and its cause.
	Fail(ctx context.Context, token, errName, cause string) error
}

// ErrTaskClosed means the task no longer waits (Step Functions: TaskTimedOut, InvalidToken,
// TaskDoesNotExist). When two parties may resume the same run (the wait and the provider's event),
// the second one's answer is this, and it is not a failure.
var ErrTaskClosed = errors.New("saga: the waiting task is closed")

// resume resumes the run waiting for the order's payment action with the outcome the order records:
// success with the order's Result (the wait's output), or the failure PaymentDeclined with the same
// cause a Lambda step's error has, so FinishOrder reads the decline code alike (declineCode). An order
// whose outcome is unknown resumes nothing; a closed task is no error.
func resume(ctx context.Context, r TaskResumer, token string, o *order.Order) error {
	out, ok := o.ActionOutcome()
	if token == "" || !ok || out == order.ActionPending {
		return nil
	}
	var err error
	switch out {
	case order.ActionSucceeded:
		var b []byte
		if b, err = json.Marshal(resultOf(o)); err == nil {
			err = r.Succeed(ctx, token, b)
		}
	case order.ActionFailed:
		err = r.Fail(ctx, token, "PaymentDeclined", lambdaCause(&PaymentDeclined{Code: o.Payment().DeclineCode}))
	}
	if errors.Is(err, ErrTaskClosed) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("resume the saga of order %s: %w", o.ID(), err)
	}
	return nil
}

// lambdaCause is an error as a Lambda function's error reaches a Catch: {"errorMessage","errorType"}.
func lambdaCause(err error) string {
	b, _ := json.Marshal(map[string]string{"errorMessage": err.Error(), "errorType": errorType(err)})
	return string(b)
}

// errorType is the name Lambda's Go runtime gives an error: its type's name, without the pointer.
func errorType(err error) string {
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}
