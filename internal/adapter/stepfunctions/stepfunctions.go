// Package stepfunctions is the Step Functions adapter: it starts the saga's executions for
// internal/saga/starter.
package stepfunctions

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/orion-oss/orion/internal/saga/starter"
)

// API is the part of the Step Functions client the adapter calls (*sfn.Client).
type API interface {
	StartExecution(ctx context.Context, in *sfn.StartExecutionInput, opts ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
}

// Executions starts executions through the Step Functions API.
type Executions struct{ API API }

// Start starts the execution and returns its ARN. A Standard workflow answers ExecutionAlreadyExists
// once an execution of that name exists with another input or has closed (starter.ErrExecutionExists),
// and returns the running one for the same input.
func (e Executions) Start(ctx context.Context, x starter.Execution) (string, error) {
	in := &sfn.StartExecutionInput{StateMachineArn: aws.String(x.StateMachineArn), Name: aws.String(x.Name), Input: aws.String(x.Input)}
	if x.TraceHeader != "" {
		in.TraceHeader = aws.String(x.TraceHeader)
	}
	out, err := e.API.StartExecution(ctx, in)
	var exists *types.ExecutionAlreadyExists
	if errors.As(err, &exists) {
		return "", errors.Join(starter.ErrExecutionExists, err)
	}
	if err != nil {
		return "", err
	}
	return aws.ToString(out.ExecutionArn), nil
}
