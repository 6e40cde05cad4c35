package stack

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/orion-oss/orion/infra/engine/lambdahost"
	"github.com/orion-oss/orion/infra/engine/states"
	"github.com/orion-oss/orion/infra/engine/xray"
)

// tasks runs Step Functions Task states: Lambda functions (by ARN, or through the lambda:invoke
// integration) on the local host, and service integrations through the real SDK (integrations.go).
type tasks struct{ s *Stack }

func (t tasks) Run(ctx context.Context, resource string, input any) (any, error) {
	switch {
	case strings.HasPrefix(resource, "arn:aws:lambda:"):
		// The ARN may name a version or alias (a saga's steps are version ARNs, so a running execution
		// keeps the code it started with): the host invokes that qualifier or answers not found.
		return t.invoke(ctx, resource, input, false)
	case resource == "arn:aws:states:::lambda:invoke":
		m, _ := input.(map[string]any)
		fn, _ := m["FunctionName"].(string)
		if fn == "" {
			return nil, &states.Failure{Name: "States.Runtime", Cause: "lambda:invoke needs Parameters.FunctionName"}
		}
		return t.invoke(ctx, fn, m["Payload"], true)
	}
	// arn:aws:states:::dynamodb:putItem, or the SDK form arn:aws:states:::aws-sdk:dynamodb:putItem.
	op := strings.TrimPrefix(strings.TrimPrefix(resource, "arn:aws:states:::aws-sdk:"), "arn:aws:states:::")
	service, action, ok := strings.Cut(op, ":")
	if !ok || !strings.HasPrefix(resource, "arn:aws:states:::") {
		return nil, &states.Failure{Name: "States.Runtime", Cause: fmt.Sprintf("resource %s is not run locally", resource)}
	}
	return t.integration(ctx, service, action, input)
}

// invoke calls a function; its error becomes the task's error with the function's errorType as name,
// as Step Functions reports it. The lambda:invoke integration wraps the result in its envelope.
func (t tasks) invoke(ctx context.Context, fn string, payload any, envelope bool) (any, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return nil, err
	}
	// The execution's trace (StartExecution's traceHeader) reaches each function it invokes.
	res, err := t.s.host.Invoke(ctx, fn, b, lambdahost.InvokeOptions{Trigger: "stepfunctions", TraceID: xray.Carried(ctx)})
	if err != nil {
		return nil, &states.Failure{Name: "Lambda.ServiceException", Cause: err.Error()}
	}
	if res.Err != nil {
		cause, _ := json.Marshal(res.Err)
		return nil, &states.Failure{Name: res.Err.Type, Cause: string(cause)}
	}
	var out any
	if len(res.Payload) > 0 {
		if err := json.Unmarshal(res.Payload, &out); err != nil {
			return nil, &states.Failure{Name: "States.Runtime", Cause: "the function's result is not JSON"}
		}
	}
	if envelope {
		version := "$LATEST"
		if _, rest, ok := strings.Cut(fn, ":function:"); ok && strings.Contains(rest, ":") {
			version = "1" // a local function's one published version, which its alias points at too
		}
		return map[string]any{"ExecutedVersion": version, "Payload": out, "StatusCode": 200.0}, nil
	}
	return out, nil
}
