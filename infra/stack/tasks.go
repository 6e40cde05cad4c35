package stack

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/orion-oss/orion/infra/lambdahost"
	"github.com/orion-oss/orion/infra/states"
)

// tasks runs Step Functions Task states: Lambda functions (by ARN, or through the lambda:invoke
// integration) on the local host, and service integrations by calling the service's JSON API on the
// emulator with the state's input, which ASL writes in the API's own shape.
type tasks struct{ s *Stack }

var jsonTargets = map[string]string{
	"dynamodb:getItem": "DynamoDB_20120810.GetItem", "dynamodb:putItem": "DynamoDB_20120810.PutItem",
	"dynamodb:updateItem": "DynamoDB_20120810.UpdateItem", "dynamodb:deleteItem": "DynamoDB_20120810.DeleteItem",
	"sqs:sendMessage": "AmazonSQS.SendMessage",
}

func (t tasks) Run(ctx context.Context, resource string, input any) (any, error) {
	switch {
	case strings.HasPrefix(resource, "arn:aws:lambda:"):
		return t.invoke(ctx, nameFromArn(resource), input, false)
	case resource == "arn:aws:states:::lambda:invoke":
		m, _ := input.(map[string]any)
		fn, _ := m["FunctionName"].(string)
		if fn == "" {
			return nil, &states.Failure{Name: "States.Runtime", Cause: "lambda:invoke needs Parameters.FunctionName"}
		}
		return t.invoke(ctx, nameFromArn(strings.TrimSuffix(fn, ":$LATEST")), m["Payload"], true)
	case resource == "arn:aws:states:::sns:publish":
		return t.publish(ctx, input)
	case resource == "arn:aws:states:::events:putEvents":
		return t.call(ctx, "AWSEvents.PutEvents", "application/x-amz-json-1.1", input, t.s.EdgeURL)
	}
	op := strings.TrimPrefix(strings.TrimPrefix(resource, "arn:aws:states:::aws-sdk:"), "arn:aws:states:::")
	if target, ok := jsonTargets[op]; ok {
		ct := "application/x-amz-json-1.0"
		return t.call(ctx, target, ct, input, t.s.cfg.Endpoint)
	}
	if svc, action, ok := strings.Cut(op, ":"); ok && svc == "dynamodb" && action != "" {
		return t.call(ctx, "DynamoDB_20120810."+strings.ToUpper(action[:1])+action[1:], "application/x-amz-json-1.0", input, t.s.cfg.Endpoint)
	}
	return nil, &states.Failure{Name: "States.Runtime", Cause: fmt.Sprintf("resource %s is not run locally", resource)}
}

// invoke calls a function; its error becomes the task's error with the function's errorType as name,
// as Step Functions reports it. The lambda:invoke integration wraps the result in its envelope.
func (t tasks) invoke(ctx context.Context, fn string, payload any, envelope bool) (any, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return nil, err
	}
	res, err := t.s.host.Invoke(ctx, fn, b, lambdahost.InvokeOptions{Trigger: "stepfunctions"})
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
		return map[string]any{"ExecutedVersion": "$LATEST", "Payload": out, "StatusCode": 200.0}, nil
	}
	return out, nil
}

var apiClient = &http.Client{Timeout: 30 * time.Second}

var signingService = map[string]string{"DynamoDB": "dynamodb", "AmazonSQS": "sqs", "AWSEvents": "events"}

// call sends a JSON-protocol request and returns the response, or the service's error as the task's
// error (named as Step Functions names them: the service prefix and the exception name).
func (t tasks) call(ctx context.Context, target, contentType string, input any, endpoint string) (any, error) {
	b, err := json.Marshal(input)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+"/", bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-Amz-Target", target)
	req.Header.Set("Content-Type", contentType)
	// Emulators route by the signing service in the credential scope; the signature itself is not checked.
	service := signingService[strings.SplitN(strings.SplitN(target, ".", 2)[0], "_", 2)[0]]
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/"+t.s.cfg.Region+"/"+service+"/aws4_request, SignedHeaders=host, Signature=local")
	resp, err := apiClient.Do(req)
	if err != nil {
		return nil, &states.Failure{Name: "States.TaskFailed", Cause: err.Error()}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var out map[string]any
	json.Unmarshal(body, &out)
	if resp.StatusCode >= 300 {
		code, _ := out["__type"].(string)
		code = code[strings.LastIndex(code, "#")+1:]
		prefix := map[string]string{"dynamodb": "DynamoDB", "sqs": "SQS", "events": "EventBridge"}[service]
		msg, _ := out["message"].(string)
		return nil, &states.Failure{Name: prefix + "." + code, Cause: msg}
	}
	if out == nil {
		out = map[string]any{}
	}
	return out, nil
}

// publish is the sns:publish integration (SNS speaks the query protocol).
func (t tasks) publish(ctx context.Context, input any) (any, error) {
	m, _ := input.(map[string]any)
	msg, ok := m["Message"].(string)
	if !ok {
		b, _ := json.Marshal(m["Message"])
		msg = string(b)
	}
	form := url.Values{"Action": {"Publish"}, "Version": {"2010-03-31"}, "Message": {msg}}
	for _, k := range []string{"TopicArn", "Subject", "TargetArn", "PhoneNumber"} {
		if v, ok := m[k].(string); ok {
			form.Set(k, v)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.s.cfg.Endpoint+"/", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/"+t.s.cfg.Region+"/sns/aws4_request, SignedHeaders=host, Signature=local")
	resp, err := apiClient.Do(req)
	if err != nil {
		return nil, &states.Failure{Name: "States.TaskFailed", Cause: err.Error()}
	}
	defer resp.Body.Close()
	var out struct {
		MessageID string `xml:"PublishResult>MessageId"`
		Code      string `xml:"Error>Code"`
		Message   string `xml:"Error>Message"`
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	xml.Unmarshal(body, &out)
	if resp.StatusCode >= 300 {
		return nil, &states.Failure{Name: "SNS." + out.Code, Cause: out.Message}
	}
	return map[string]any{"MessageId": out.MessageID}, nil
}
