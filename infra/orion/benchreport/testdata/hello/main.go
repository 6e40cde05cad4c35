// Command hello is the cold-start baseline: the smallest aws-lambda-go function, built exactly as the
// functions are (benchreport compares every function's cold start with this one's in the same run).
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context, map[string]any) (string, error) { return "hello", nil })
}
