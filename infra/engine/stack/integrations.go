package stack

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/orion-oss/orion/infra/engine/states"
)

// integration runs a Step Functions service integration through the real SDK. The state's input is
// the API request as Step Functions documents it (DynamoDB items in the service's JSON notation); the
// result is the API response in the same shape.
func (t tasks) integration(ctx context.Context, service, action string, input any) (any, error) {
	m, _ := input.(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	var out any
	var err error
	switch service + ":" + action {
	case "dynamodb:getItem", "dynamodb:putItem", "dynamodb:updateItem", "dynamodb:deleteItem", "dynamodb:query":
		out, err = t.dynamo(ctx, action, m)
	case "sqs:sendMessage":
		var in sqs.SendMessageInput
		if err = remarshal(m, &in); err == nil {
			out, err = sqs.NewFromConfig(t.s.aws).SendMessage(ctx, &in)
		}
	case "sns:publish":
		if msg, ok := m["Message"]; ok {
			if _, isString := msg.(string); !isString {
				b, _ := json.Marshal(msg)
				m["Message"] = string(b)
			}
		}
		var in sns.PublishInput
		if err = remarshal(m, &in); err == nil {
			out, err = sns.NewFromConfig(t.s.aws).Publish(ctx, &in)
		}
	case "events:putEvents":
		// Step Functions lets Detail be an object; the API takes a string.
		for _, e := range toList(m["Entries"]) {
			if em, ok := e.(map[string]any); ok {
				if d, ok := em["Detail"]; ok {
					if _, isString := d.(string); !isString {
						b, _ := json.Marshal(d)
						em["Detail"] = string(b)
					}
				}
			}
		}
		var in eventbridge.PutEventsInput
		if err = remarshal(m, &in); err == nil {
			out, err = t.s.busClient().PutEvents(ctx, &in)
		}
	default:
		return nil, &states.Failure{Name: "States.Runtime", Cause: fmt.Sprintf("%s:%s is not run locally", service, action)}
	}
	if err != nil {
		return nil, taskError(service, err)
	}
	return jsonValue(out)
}

func taskError(service string, err error) error {
	var f *states.Failure
	if errors.As(err, &f) {
		return f
	}
	prefix := map[string]string{"dynamodb": "DynamoDB", "sqs": "SQS", "sns": "SNS", "events": "EventBridge"}[service]
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return &states.Failure{Name: prefix + "." + ae.ErrorCode(), Cause: ae.ErrorMessage()}
	}
	return &states.Failure{Name: "States.TaskFailed", Cause: err.Error()}
}

// dynamo converts the items of a request between DynamoDB's JSON notation and the SDK's types.
func (t tasks) dynamo(ctx context.Context, action string, m map[string]any) (any, error) {
	db := dynamodb.NewFromConfig(t.s.aws)
	attrs := map[string]map[string]ddbtypes.AttributeValue{}
	for _, k := range []string{"Item", "Key", "ExpressionAttributeValues", "ExclusiveStartKey"} {
		if v, ok := m[k].(map[string]any); ok {
			av, err := toAttributes(v)
			if err != nil {
				return nil, &states.Failure{Name: "States.Runtime", Cause: fmt.Sprintf("%s: %v", k, err)}
			}
			attrs[k] = av
			delete(m, k)
		}
	}
	var out any
	var err error
	switch action {
	case "getItem":
		var in dynamodb.GetItemInput
		if err = remarshal(m, &in); err == nil {
			in.Key = attrs["Key"]
			var o *dynamodb.GetItemOutput
			if o, err = db.GetItem(ctx, &in); err == nil {
				out = map[string]any{"Item": fromAttributes(o.Item)}
			}
		}
	case "putItem":
		var in dynamodb.PutItemInput
		if err = remarshal(m, &in); err == nil {
			in.Item, in.ExpressionAttributeValues = attrs["Item"], attrs["ExpressionAttributeValues"]
			var o *dynamodb.PutItemOutput
			if o, err = db.PutItem(ctx, &in); err == nil {
				out = map[string]any{"Attributes": fromAttributes(o.Attributes)}
			}
		}
	case "updateItem":
		var in dynamodb.UpdateItemInput
		if err = remarshal(m, &in); err == nil {
			in.Key, in.ExpressionAttributeValues = attrs["Key"], attrs["ExpressionAttributeValues"]
			var o *dynamodb.UpdateItemOutput
			if o, err = db.UpdateItem(ctx, &in); err == nil {
				out = map[string]any{"Attributes": fromAttributes(o.Attributes)}
			}
		}
	case "deleteItem":
		var in dynamodb.DeleteItemInput
		if err = remarshal(m, &in); err == nil {
			in.Key, in.ExpressionAttributeValues = attrs["Key"], attrs["ExpressionAttributeValues"]
			var o *dynamodb.DeleteItemOutput
			if o, err = db.DeleteItem(ctx, &in); err == nil {
				out = map[string]any{"Attributes": fromAttributes(o.Attributes)}
			}
		}
	case "query":
		var in dynamodb.QueryInput
		if err = remarshal(m, &in); err == nil {
			in.ExpressionAttributeValues, in.ExclusiveStartKey = attrs["ExpressionAttributeValues"], attrs["ExclusiveStartKey"]
			var o *dynamodb.QueryOutput
			if o, err = db.Query(ctx, &in); err == nil {
				items := make([]any, len(o.Items))
				for i, it := range o.Items {
					items[i] = fromAttributes(it)
				}
				out = map[string]any{"Items": items, "Count": o.Count, "LastEvaluatedKey": fromAttributes(o.LastEvaluatedKey)}
			}
		}
	}
	if err != nil {
		var f *states.Failure
		if errors.As(err, &f) {
			return nil, f
		}
		return nil, taskError("dynamodb", err)
	}
	return out, nil
}

func remarshal(from any, into any) error {
	b, err := json.Marshal(from)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, into); err != nil {
		return &states.Failure{Name: "States.Runtime", Cause: "the task's parameters do not fit the API: " + err.Error()}
	}
	return nil
}

func jsonValue(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	delete(out, "ResultMetadata")
	return out, nil
}

func toList(v any) []any { l, _ := v.([]any); return l }

func toAttributes(m map[string]any) (map[string]ddbtypes.AttributeValue, error) {
	out := make(map[string]ddbtypes.AttributeValue, len(m))
	for k, v := range m {
		av, err := toAttribute(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out[k] = av
	}
	return out, nil
}

// toAttribute reads DynamoDB's JSON notation ({"S": "x"}, {"N": "1"}, {"M": {...}}, ...).
func toAttribute(v any) (ddbtypes.AttributeValue, error) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return nil, fmt.Errorf("not an attribute value: %v", v)
	}
	for typ, val := range m {
		switch typ {
		case "S", "N":
			s, ok := val.(string)
			if !ok {
				return nil, fmt.Errorf("%s takes a string", typ)
			}
			if typ == "S" {
				return &ddbtypes.AttributeValueMemberS{Value: s}, nil
			}
			return &ddbtypes.AttributeValueMemberN{Value: s}, nil
		case "B":
			s, _ := val.(string)
			b, err := base64.StdEncoding.DecodeString(s)
			return &ddbtypes.AttributeValueMemberB{Value: b}, err
		case "BOOL":
			b, ok := val.(bool)
			if !ok {
				return nil, fmt.Errorf("BOOL takes true or false")
			}
			return &ddbtypes.AttributeValueMemberBOOL{Value: b}, nil
		case "NULL":
			return &ddbtypes.AttributeValueMemberNULL{Value: true}, nil
		case "SS", "NS":
			var ss []string
			for _, x := range toList(val) {
				ss = append(ss, fmt.Sprint(x))
			}
			if typ == "SS" {
				return &ddbtypes.AttributeValueMemberSS{Value: ss}, nil
			}
			return &ddbtypes.AttributeValueMemberNS{Value: ss}, nil
		case "L":
			var l []ddbtypes.AttributeValue
			for _, x := range toList(val) {
				av, err := toAttribute(x)
				if err != nil {
					return nil, err
				}
				l = append(l, av)
			}
			return &ddbtypes.AttributeValueMemberL{Value: l}, nil
		case "M":
			mm, _ := val.(map[string]any)
			inner, err := toAttributes(mm)
			return &ddbtypes.AttributeValueMemberM{Value: inner}, err
		}
		return nil, fmt.Errorf("unknown attribute type %s", typ)
	}
	return nil, nil
}

func fromAttributes(m map[string]ddbtypes.AttributeValue) any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = fromAttribute(v)
	}
	return out
}

func fromAttribute(v ddbtypes.AttributeValue) any {
	switch a := v.(type) {
	case *ddbtypes.AttributeValueMemberS:
		return map[string]any{"S": a.Value}
	case *ddbtypes.AttributeValueMemberN:
		return map[string]any{"N": a.Value}
	case *ddbtypes.AttributeValueMemberB:
		return map[string]any{"B": base64.StdEncoding.EncodeToString(a.Value)}
	case *ddbtypes.AttributeValueMemberBOOL:
		return map[string]any{"BOOL": a.Value}
	case *ddbtypes.AttributeValueMemberNULL:
		return map[string]any{"NULL": true}
	case *ddbtypes.AttributeValueMemberSS:
		return map[string]any{"SS": a.Value}
	case *ddbtypes.AttributeValueMemberNS:
		return map[string]any{"NS": a.Value}
	case *ddbtypes.AttributeValueMemberL:
		l := make([]any, len(a.Value))
		for i, x := range a.Value {
			l[i] = fromAttribute(x)
		}
		return map[string]any{"L": l}
	case *ddbtypes.AttributeValueMemberM:
		return map[string]any{"M": fromAttributes(a.Value)}
	}
	return nil
}
