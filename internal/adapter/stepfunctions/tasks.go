package stepfunctions

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// TaskAPI is the part of the Step Functions client that answers .waitForTaskToken tasks (*sfn.Client).
type TaskAPI interface {
	SendTaskSuccess(ctx context.Context, in *sfn.SendTaskSuccessInput, opts ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error)
	SendTaskFailure(ctx context.Context, in *sfn.SendTaskFailureInput, opts ...func(*sfn.Options)) (*sfn.SendTaskFailureOutput, error)
}

// Tasks resumes executions that wait on a task token (the saga's AwaitPaymentAction state): it is
// saga.TaskResumer, answering nil where the port allows saga.ErrTaskClosed, so that this package,
// which start-order-saga links too, does not import the saga.
//
// Two parties may resume the same task (the await step, when the outcome was already recorded, and
// the webhook, when the token was), and deliveries repeat, so a token whose task is closed is not an
// error: Step Functions answers TaskTimedOut ("the task associated with the token has already been
// closed"), TaskDoesNotExist or InvalidToken, and the task has its answer already or never will
// (docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html, Errors).
type Tasks struct{ API TaskAPI }

// Succeed completes the task with output (JSON). A closed task is success.
func (t Tasks) Succeed(ctx context.Context, token string, output []byte) error {
	_, err := t.API.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(string(output))})
	return closedIsDone("send task success", err)
}

// Fail fails the task with the error name the state machine's Catch routes on, and its cause. Step
// Functions bounds the name to 256 characters and the cause to 32,768 (API_SendTaskFailure): longer
// ones are cut rather than refused.
func (t Tasks) Fail(ctx context.Context, token, name, cause string) error {
	_, err := t.API.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String(token),
		Error: aws.String(cut(name, 256)), Cause: aws.String(cut(cause, 32768))})
	return closedIsDone("send task failure", err)
}

func closedIsDone(op string, err error) error {
	var timedOut *types.TaskTimedOut
	var missing *types.TaskDoesNotExist
	var invalid *types.InvalidToken
	if err == nil || errors.As(err, &timedOut) || errors.As(err, &missing) || errors.As(err, &invalid) {
		return nil
	}
	return fmt.Errorf("stepfunctions: %s: %w", op, err)
}

func cut(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
