package awstest

import (
	"context"
	"strings"

	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// RawBody is an SDK API option that sends body as the request's JSON instead of what the SDK would
// serialize: for a request the SDK cannot express, such as a false boolean, which it leaves out as a
// zero value (Cognito's SetUserMFAPreference with Enabled false then arrives empty and changes
// nothing). Append it to a call's Options.APIOptions.
func RawBody(body string) func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		return s.Serialize.Add(middleware.SerializeMiddlewareFunc("awstest-raw-body", func(ctx context.Context, in middleware.SerializeInput, next middleware.SerializeHandler) (middleware.SerializeOutput, middleware.Metadata, error) {
			r, err := in.Request.(*smithyhttp.Request).SetStream(strings.NewReader(body))
			if err != nil {
				return middleware.SerializeOutput{}, middleware.Metadata{}, err
			}
			in.Request = r
			return next.HandleSerialize(ctx, in)
		}), middleware.After)
	}
}
