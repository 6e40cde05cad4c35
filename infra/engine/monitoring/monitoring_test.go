package monitoring_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/orion-oss/orion/infra/engine/monitoring"
)

// A dashboard's metrics arrays, with the "." and "..." shorthand of the Dashboard Body Structure page:
// "." repeats the previous entry's item at its position, "..." the previous entry's items up to the
// ones that follow it; trailing options objects are not items.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
func TestDashboardRefs(t *testing.T) {
	tests := []struct {
		name    string
		metrics string
		want    []string // "Namespace Name map[...]"
		err     string
	}{
		{"plain and dot", `[["Orion","OrdersPlaced","Stage","dev"],[".","OrdersConfirmed",".","."]]`,
			[]string{"Orion OrdersPlaced map[Stage:dev]", "Orion OrdersConfirmed map[Stage:dev]"}, ""},
		{"dots keep the previous value, not the first", `[["A","m","K","1"],[".",".","K","2"],[".","n",".","."]]`,
			[]string{"A m map[K:1]", "A m map[K:2]", "A n map[K:2]"}, ""},
		{"ellipsis with options only", `[["AWS/ApiGateway","Latency","ApiId","x","Stage","$default",{"stat":"p50"}],["...",{"stat":"p99"}]]`,
			[]string{"AWS/ApiGateway Latency map[ApiId:x Stage:$default]", "AWS/ApiGateway Latency map[ApiId:x Stage:$default]"}, ""},
		{"ellipsis replaces the tail", `[["AWS/SQS","ApproximateNumberOfMessagesVisible","QueueName","a"],["...","b"],["...","c"]]`,
			[]string{"AWS/SQS ApproximateNumberOfMessagesVisible map[QueueName:a]", "AWS/SQS ApproximateNumberOfMessagesVisible map[QueueName:b]",
				"AWS/SQS ApproximateNumberOfMessagesVisible map[QueueName:c]"}, ""},
		{"no dimensions", `[["AWS/Lambda","Invocations"],[".","Errors"]]`, []string{"AWS/Lambda Invocations map[]", "AWS/Lambda Errors map[]"}, ""},
		{"search", `[[{"expression":"SEARCH('{Orion,Reason,Stage} MetricName=\"OrdersFailed\" Stage=\"dev\"', 'Sum', 300)","id":"f"}]]`,
			[]string{"Orion OrdersFailed map[Reason: Stage:dev]"}, ""},
		{"math without search", `[[{"expression":"m1 * 2","id":"e"}],["A","m"]]`, []string{"A m map[]"}, ""},
		{"dot without a previous entry", `[[".","m"]]`, nil, `"." at 0`},
		{"odd dimension list", `[["A","m","K"]]`, nil, "not [Namespace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"widgets":[{"type":"text","properties":{"markdown":"x"}},{"type":"metric","properties":{"title":"w","metrics":` + tt.metrics + `}}]}`
			refs, err := monitoring.DashboardRefs("d", body)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v; want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range refs {
				got = append(got, fmt.Sprintf("%s %s %v", r.Namespace, r.Name, r.Dims))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("refs\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

// A SEARCH names the exact dimension set in its schema; one without a schema, a metric name, or that
// filters on a dimension outside its schema is refused (it would match metrics it was not meant for).
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/search-expression-syntax.html
func TestSearchRefs(t *testing.T) {
	tests := []struct {
		expr string
		want string
		err  string
	}{
		{`SEARCH('{Orion,Kind,Stage} MetricName="EmailsSent" Stage="prod"', 'Sum', 300)`, "Orion EmailsSent map[Kind: Stage:prod]", ""},
		{`SEARCH(' {AWS/EC2,InstanceId} MetricName="CPUUtilization" ', 'Average')`, "AWS/EC2 CPUUtilization map[InstanceId:]", ""},
		{`SEARCH('MetricName="OrdersFailed"', 'Sum', 300)`, "", "no {Namespace,Dimensions} schema"},
		{`SEARCH('{Orion,Reason}', 'Sum', 300)`, "", "names no MetricName"},
		{`SEARCH('{Orion,Reason} MetricName="OrdersFailed" Stage="dev"', 'Sum', 300)`, "", "not in its schema"},
	}
	for _, tt := range tests {
		refs, err := monitoring.SearchRefs("x", tt.expr)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: err = %v; want %q", tt.expr, err, tt.err)
			}
			continue
		}
		if err != nil || len(refs) != 1 {
			t.Fatalf("%s: %v %v", tt.expr, refs, err)
		}
		if got := fmt.Sprintf("%s %s %v", refs[0].Namespace, refs[0].Name, refs[0].Dims); got != tt.want || !refs[0].Search {
			t.Errorf("%s: %s; want %s", tt.expr, got, tt.want)
		}
	}
}

// AWS metrics against the dimension sets AWS documents, so that a mistaken set fails here.
func TestCheckAWS(t *testing.T) {
	tests := []struct {
		ref monitoring.Ref
		err string
	}{
		{monitoring.Ref{Namespace: "AWS/ApiGateway", Name: "Latency", Dims: map[string]string{"ApiId": "a", "Stage": "$default", "Method": "POST", "Resource": "/orders"}}, ""},
		{monitoring.Ref{Namespace: "AWS/ApiGateway", Name: "Latency", Dims: map[string]string{"ApiId": "a", "Stage": "$default", "Route": "POST /orders"}}, "not [ApiId Route Stage]"},
		{monitoring.Ref{Namespace: "AWS/ApiGateway", Name: "Latency", Dims: map[string]string{"ApiId": "a", "Stage": "$default", "Method": "POST", "Resource": "POST /orders"}}, "not a route's path"},
		{monitoring.Ref{Namespace: "AWS/ApiGateway", Name: "5xx", Dims: map[string]string{"ApiId": "a"}}, ""},
		{monitoring.Ref{Namespace: "AWS/ApiGateway", Name: "5XXError", Dims: map[string]string{"ApiId": "a"}}, "dimension sets"}, // a REST API metric
		{monitoring.Ref{Namespace: "AWS/Lambda", Name: "Errors", Dims: map[string]string{}}, ""},
		{monitoring.Ref{Namespace: "AWS/Lambda", Name: "Errors", Dims: map[string]string{"FunctionName": "f", "Resource": "f:live"}}, ""},
		{monitoring.Ref{Namespace: "AWS/Lambda", Name: "Errors", Dims: map[string]string{"FunctionName": "f", "Resource": "live"}}, "followed by :alias"},
		{monitoring.Ref{Namespace: "AWS/Lambda", Name: "Errors", Dims: map[string]string{"Resource": "f:live"}}, "not [Resource]"},
		{monitoring.Ref{Namespace: "AWS/States", Name: "ExecutionsFailed", Dims: map[string]string{"StateMachineArn": "arn"}}, ""},
		{monitoring.Ref{Namespace: "AWS/States", Name: "ExecutionsFailed", Dims: map[string]string{}}, "not []"},
		{monitoring.Ref{Namespace: "AWS/SQS", Name: "ApproximateNumberOfMessagesVisible", Dims: map[string]string{"QueueName": "q"}}, ""},
		{monitoring.Ref{Namespace: "AWS/SQS", Name: "ApproximateNumberOfMessagesVisible", Dims: map[string]string{"QueueUrl": "q"}}, "not [QueueUrl]"},
		{monitoring.Ref{Namespace: "AWS/SES", Name: "Reputation.BounceRate", Dims: map[string]string{}}, ""},
		{monitoring.Ref{Namespace: "AWS/DynamoDB", Name: "ThrottledRequests", Dims: map[string]string{}}, "no documented dimension sets"},
		{monitoring.Ref{Namespace: "Orion", Name: "X", Dims: map[string]string{}}, ""}, // not AWS's: checked against the run
	}
	for _, tt := range tests {
		err := monitoring.CheckAWS(tt.ref)
		if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("%v: err = %v; want %q", tt.ref, err, tt.err)
		}
	}
}
