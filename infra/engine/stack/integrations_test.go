package stack

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/orion-oss/orion/infra/engine/states"
)

// DynamoDB's JSON notation survives the trip through the SDK's types unchanged.
func TestAttributeRoundTrip(t *testing.T) {
	in := `{"s":{"S":"x"},"n":{"N":"1.5"},"b":{"B":"AAE="},"t":{"BOOL":true},"z":{"NULL":true},"ss":{"SS":["a","b"]},"ns":{"NS":["1"]},"l":{"L":[{"S":"y"},{"M":{"k":{"N":"2"}}}]}}`
	var m map[string]any
	json.Unmarshal([]byte(in), &m)
	av, err := toAttributes(m)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(fromAttributes(av))
	var a, b any
	json.Unmarshal([]byte(in), &a)
	json.Unmarshal(out, &b)
	if string(mustJSON(a)) != string(mustJSON(b)) {
		t.Fatalf("round trip:\n%s\n%s", in, out)
	}
	for _, bad := range []string{`{"x":{"S":1}}`, `{"x":{"Q":"1"}}`, `{"x":"plain"}`, `{"x":{"S":"a","N":"1"}}`} {
		json.Unmarshal([]byte(bad), &m)
		if _, err := toAttributes(m); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }

// Service errors are named as Step Functions names them: the service and the exception.
func TestTaskErrorNames(t *testing.T) {
	err := taskError("dynamodb", &smithy.GenericAPIError{Code: "ConditionalCheckFailedException", Message: "no"})
	var f *states.Failure
	if !errors.As(err, &f) || f.Name != "DynamoDB.ConditionalCheckFailedException" {
		t.Fatalf("err = %v", err)
	}
	if err := taskError("sqs", errors.New("dial tcp: refused")); !errors.As(err, &f) || f.Name != "States.TaskFailed" {
		t.Fatalf("err = %v", err)
	}
}
