package tracing

import (
	"github.com/orion-oss/orion/internal/platform/traceheader"

	"context"
	"errors"
	"reflect"
	"strings"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Subsegment is the X-Ray document of one AWS SDK call, sent on its own ("type": "subsegment") under
// the segment named by Parent: in Lambda, the function's segment. Field names are X-Ray's.
// https://docs.aws.amazon.com/xray/latest/devguide/xray-api-segmentdocuments.html#api-segmentdocuments-aws
type Subsegment struct {
	Name        string            `json:"name"`
	ID          string            `json:"id"`
	TraceID     string            `json:"trace_id"`
	ParentID    string            `json:"parent_id"`
	Type        string            `json:"type"`
	Namespace   string            `json:"namespace"`
	StartTime   float64           `json:"start_time"`
	EndTime     float64           `json:"end_time"`
	AWS         AWSCall           `json:"aws"`
	HTTP        *HTTPInfo         `json:"http,omitempty"`
	Error       bool              `json:"error,omitempty"`
	Throttle    bool              `json:"throttle,omitempty"`
	Fault       bool              `json:"fault,omitempty"`
	Cause       *Cause            `json:"cause,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// AWSCall is the subsegment's aws object.
type AWSCall struct {
	Operation string `json:"operation"`
	Region    string `json:"region,omitempty"`
	RequestID string `json:"request_id,omitempty"`
	Retries   int    `json:"retries"`
	TableName string `json:"table_name,omitempty"`
}

// HTTPInfo is the subsegment's http object (the response part only).
type HTTPInfo struct {
	Response struct {
		Status int `json:"status"`
	} `json:"response"`
}

// Cause records the call's error.
type Cause struct {
	Exceptions []Exception `json:"exceptions"`
}

// Exception is one error of a cause.
type Exception struct {
	ID      string `json:"id"`
	Type    string `json:"type,omitempty"`
	Message string `json:"message"`
	Remote  bool   `json:"remote"`
}

// Options configure the SDK instrumentation.
type Options struct {
	// Daemon receives the subsegments; nil disables the instrumentation.
	Daemon *Daemon
	// Annotations returns indexed X-Ray annotations for a call's context (Orion puts the correlation
	// and order ids there, so `annotation.correlationId = "…"` finds every trace of an order's story).
	Annotations func(context.Context) map[string]string
	// Now is the clock (tests).
	Now func() time.Time
}

// Instrument adds the subsegment middleware to an SDK configuration's API options (aws.Config's
// APIOptions), so every client built from it records each call. With no daemon it adds nothing.
func Instrument(apiOptions *[]func(*middleware.Stack) error, o Options) {
	if o.Daemon == nil {
		return
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	*apiOptions = append(*apiOptions, func(s *middleware.Stack) error {
		// At the end of Initialize: the service and operation are registered in the context by then,
		// and everything after it (serialization, the retry loop, every attempt) is inside the timing.
		return s.Initialize.Add(subsegments{o}, middleware.After)
	})
}

type subsegments struct{ o Options }

func (subsegments) ID() string { return "OrionXRaySubsegment" }

func (m subsegments) HandleInitialize(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
	middleware.InitializeOutput, middleware.Metadata, error,
) {
	h, ok := traceheader.ParseHeader(traceheader.HeaderFrom(ctx))
	if !ok || h.Parent == "" || !h.IsSampled() {
		// No trace to record into (outside Lambda, tracing off, or not sampled): nothing to do.
		return next.HandleInitialize(ctx, in)
	}
	start := m.o.Now()
	out, md, err := next.HandleInitialize(ctx, in)
	end := m.o.Now()

	s := Subsegment{
		Name: awsmiddleware.GetServiceID(ctx), ID: traceheader.NewID(), TraceID: h.Root, ParentID: h.Parent,
		Type: "subsegment", Namespace: "aws", StartTime: seconds(start), EndTime: seconds(end),
		AWS: AWSCall{Operation: awsmiddleware.GetOperationName(ctx), Region: awsmiddleware.GetRegion(ctx), TableName: tableName(in.Parameters)},
	}
	if id, ok := awsmiddleware.GetRequestIDMetadata(md); ok {
		s.AWS.RequestID = id
	}
	if r, ok := retry.GetAttemptResults(md); ok && len(r.Results) > 1 {
		s.AWS.Retries = len(r.Results) - 1
	}
	status := 0
	if resp, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok && resp != nil {
		status = resp.StatusCode
	}
	if err != nil {
		var re *smithyhttp.ResponseError
		if errors.As(err, &re) {
			status = re.HTTPStatusCode()
		}
		var are *awshttp.ResponseError
		if errors.As(err, &are) && s.AWS.RequestID == "" {
			s.AWS.RequestID = are.ServiceRequestID()
		}
		s.Cause = cause(err)
		s.Error, s.Throttle, s.Fault = classify(status, err)
	}
	if status != 0 {
		s.HTTP = &HTTPInfo{}
		s.HTTP.Response.Status = status
	}
	if m.o.Annotations != nil {
		s.Annotations = m.o.Annotations(ctx)
	}
	m.o.Daemon.Send(s)
	return out, md, err
}

// classify sets X-Ray's flags as its SDKs do: 4xx is an error (429 and throttling codes also a
// throttle), 5xx and anything without an answer (a connection failure, a timeout) a fault.
func classify(status int, err error) (isError, throttle, fault bool) {
	var api smithy.APIError
	code := ""
	if errors.As(err, &api) {
		code = api.ErrorCode()
	}
	switch {
	case status == 429 || isThrottleCode(code):
		return true, true, false
	case status >= 500:
		return false, false, true
	case status >= 400:
		return true, false, false
	case api != nil && api.ErrorFault() == smithy.FaultClient:
		return true, false, false
	default:
		return false, false, true
	}
}

func isThrottleCode(code string) bool {
	switch code {
	case "ThrottlingException", "Throttling", "ThrottledException", "TooManyRequestsException",
		"ProvisionedThroughputExceededException", "RequestLimitExceeded", "RequestThrottled",
		"RequestThrottledException", "LimitExceededException", "SlowDown":
		return true
	}
	return false
}

func cause(err error) *Cause {
	typ := ""
	var api smithy.APIError
	if errors.As(err, &api) {
		typ = api.ErrorCode()
	}
	msg := err.Error()
	if len(msg) > 1024 {
		msg = msg[:1024]
	}
	return &Cause{Exceptions: []Exception{{ID: traceheader.NewID(), Type: typ, Message: msg, Remote: api != nil}}}
}

// tableName is the input's TableName, for DynamoDB's operations on one table: X-Ray draws the table as
// a node of the trace map from it.
func tableName(params any) string {
	v := reflect.ValueOf(params)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return ""
	}
	f := v.Elem().FieldByName("TableName")
	if !f.IsValid() || f.Kind() != reflect.Pointer || f.IsNil() || f.Elem().Kind() != reflect.String {
		return ""
	}
	name := f.Elem().String()
	if i := strings.LastIndex(name, "/"); i >= 0 { // a table ARN
		name = name[i+1:]
	}
	return name
}

// seconds is X-Ray's time: epoch seconds with a fraction (microseconds kept).
func seconds(t time.Time) float64 { return float64(t.UnixMicro()) / 1e6 }
