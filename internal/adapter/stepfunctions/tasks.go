package stepfunctions

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/orion-oss/orion/internal/saga"
)

// TaskAPI is the part of the Step Functions client that answers task tokens (*sfn.Client).
type TaskAPI interface {
	SendTaskSuccess(ctx context.Context, in *sfn.SendTaskSuccessInput, opts ...func(*sfn.Options)) (*sfn.SendTaskSuccessOutput, error)
	SendTaskFailure(ctx context.Context, in *sfn.SendTaskFailureInput, opts ...func(*sfn.Options)) (*sfn.SendTaskFailureOutput, error)
}

// Tasks resumes runs waiting on a task token (saga.TaskResumer).
type Tasks struct{ API TaskAPI }

// Succeed implements saga.TaskResumer.
func (t Tasks) Succeed(ctx context.Context, token string, output []byte) error {
	_, err := t.API.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(token), Output: aws.String(string(output))})
	return taskError(err)
}

// Fail implements saga.TaskResumer. Step Functions bounds the error name to 256 characters and the
// cause to 32768 (API_SendTaskFailure): longer ones are cut rather than refused.
func (t Tasks) Fail(ctx context.Context, token, errName, cause string) error {
	_, err := t.API.SendTaskFailure(ctx, &sfn.SendTaskFailureInput{TaskToken: aws.String(token),
		Error: aws.String(cut(errName, 256)), Cause: aws.String(cut(cause, 32768))})
	return taskError(err)
}

// taskError names the answers that mean the task no longer waits: it timed out, its run ended, or
// another party answered it first (saga.ErrTaskClosed).
func taskError(err error) error {
	var timedOut *types.TaskTimedOut
	var invalid *types.InvalidToken
	var missing *types.TaskDoesNotExist
	if errors.As(err, &timedOut) || errors.As(err, &invalid) || errors.As(err, &missing) {
		return fmt.Errorf("%w: %w", saga.ErrTaskClosed, err)
	}
	return err
}

func cut(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
