package monitoring

import (
	"fmt"
	"slices"
	"strings"
)

// DimensionSet is one dimension set AWS documents for some of a service's metrics.
type DimensionSet struct {
	Namespace string
	// Metrics are the metric names published with this set; nil means every metric of the namespace
	// the page lists for it.
	Metrics []string
	// Keys is the exact set, sorted; empty means the metric without dimensions (account or Region wide).
	Keys []string
	// Doc is the AWS page that documents it.
	Doc string
}

// The pages the sets come from.
const (
	DocHTTPAPIMetrics = "https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-metrics.html"
	DocLambdaMetrics  = "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics.html"
	DocStatesMetrics  = "https://docs.aws.amazon.com/step-functions/latest/dg/procedure-cw-metrics.html"
	DocSQSMetrics     = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html"
	DocSESReputation  = "https://docs.aws.amazon.com/ses/latest/dg/reputationdashboard-cloudwatch-alarm.html"
)

var (
	httpAPIMetrics = []string{"4xx", "5xx", "Count", "IntegrationLatency", "Latency", "DataProcessed"}
	// Lambda's invocation and performance metrics; ConcurrentExecutions and the like have other sets.
	lambdaMetrics = []string{"Invocations", "Errors", "Throttles", "Duration", "DeadLetterErrors", "DestinationDeliveryFailures",
		"IteratorAge", "AsyncEventsReceived", "AsyncEventAge", "AsyncEventsDropped"}
	statesExecutionMetrics = []string{"ExecutionTime", "ExecutionThrottled", "ExecutionsAborted", "ExecutionsFailed",
		"ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsTimedOut", "ExecutionsRedriven"}
	sqsMetrics = []string{"ApproximateAgeOfOldestMessage", "ApproximateNumberOfMessagesDelayed", "ApproximateNumberOfMessagesNotVisible",
		"ApproximateNumberOfMessagesVisible", "NumberOfEmptyReceives", "NumberOfMessagesDeleted", "NumberOfMessagesReceived",
		"NumberOfMessagesSent", "SentMessageSize"}
)

// AWSDimensionSets are the dimension sets the services Orion's alarms and dashboard read document for
// their metrics, each with its page. A metric read with any other set has no data.
var AWSDimensionSets = []DimensionSet{
	// HTTP APIs: "ApiId", "ApiId, Stage", and "ApiId, Method, Resource, Stage" (per route, only with
	// detailed metrics enabled on the route). There is no Route dimension.
	{"AWS/ApiGateway", httpAPIMetrics, []string{"ApiId"}, DocHTTPAPIMetrics},
	{"AWS/ApiGateway", httpAPIMetrics, []string{"ApiId", "Stage"}, DocHTTPAPIMetrics},
	{"AWS/ApiGateway", httpAPIMetrics, []string{"ApiId", "Method", "Resource", "Stage"}, DocHTTPAPIMetrics},
	// Lambda: by function name, by resource (a version or alias: FunctionName and Resource
	// "name:alias"), by executed version (alias and version), and across all functions (none).
	{"AWS/Lambda", lambdaMetrics, nil, DocLambdaMetrics},
	{"AWS/Lambda", lambdaMetrics, []string{"FunctionName"}, DocLambdaMetrics},
	{"AWS/Lambda", lambdaMetrics, []string{"FunctionName", "Resource"}, DocLambdaMetrics},
	{"AWS/Lambda", lambdaMetrics, []string{"ExecutedVersion", "FunctionName", "Resource"}, DocLambdaMetrics},
	// Step Functions execution metrics: by StateMachineArn.
	{"AWS/States", statesExecutionMetrics, []string{"StateMachineArn"}, DocStatesMetrics},
	// SQS: by QueueName.
	{"AWS/SQS", sqsMetrics, []string{"QueueName"}, DocSQSMetrics},
	// SES reputation: account wide (no dimension).
	{"AWS/SES", []string{"Reputation.BounceRate", "Reputation.ComplaintRate"}, nil, DocSESReputation},
}

// CheckAWS holds a metric of an AWS namespace against AWSDimensionSets. It returns why the metric has no
// data, or nil. A namespace the table does not cover is an error too: it needs a row and its page.
func CheckAWS(r Ref) error {
	if !strings.HasPrefix(r.Namespace, "AWS/") {
		return nil
	}
	keys := r.Keys()
	known := false
	for _, s := range AWSDimensionSets {
		if s.Namespace != r.Namespace {
			continue
		}
		known = true
		if s.Metrics != nil && !slices.Contains(s.Metrics, r.Name) {
			continue
		}
		if slices.Equal(keys, s.Keys) || len(keys) == 0 && len(s.Keys) == 0 {
			return checkValues(r)
		}
	}
	if !known {
		return fmt.Errorf("%s: namespace %s has no documented dimension sets in monitoring.AWSDimensionSets", r, r.Namespace)
	}
	var sets []string
	for _, s := range AWSDimensionSets {
		if s.Namespace == r.Namespace && (s.Metrics == nil || slices.Contains(s.Metrics, r.Name)) {
			sets = append(sets, fmt.Sprintf("%v (%s)", s.Keys, s.Doc))
		}
	}
	return fmt.Errorf("%s: AWS publishes %s %s with the dimension sets %s, not %v", r, r.Namespace, r.Name, strings.Join(sets, ", "), keys)
}

// checkValues checks the dimension values whose form AWS fixes.
func checkValues(r Ref) error {
	switch r.Namespace {
	case "AWS/Lambda":
		// Resource is "function-name:qualifier" for a version or alias of that function.
		if res, ok := r.Dims["Resource"]; ok {
			if fn := r.Dims["FunctionName"]; !strings.HasPrefix(res, fn+":") || len(res) == len(fn)+1 {
				return fmt.Errorf("%s: Resource %q is not %q followed by :alias (%s)", r, res, fn, DocLambdaMetrics)
			}
		}
	case "AWS/ApiGateway":
		// Method and Resource are the route's method and path ("POST", "/orders").
		if res, ok := r.Dims["Resource"]; ok && !strings.HasPrefix(res, "/") && !r.Search {
			return fmt.Errorf("%s: Resource %q is not a route's path (%s)", r, res, DocHTTPAPIMetrics)
		}
		if m, ok := r.Dims["Method"]; ok && m != strings.ToUpper(m) {
			return fmt.Errorf("%s: Method %q is not an HTTP method (%s)", r, m, DocHTTPAPIMetrics)
		}
	}
	return nil
}
