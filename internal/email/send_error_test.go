package email_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/orion-oss/orion/internal/email"
)

// A SendError masks the recipient in its text and keeps the provider's error and, when permanent,
// ErrPermanent reachable: the handler skips on the one and logs the other.
func TestSendError(t *testing.T) {
	api := &smithy.GenericAPIError{Code: "BadRequestException", Message: "Invalid recipient: Ann.Lee@Example.org"}
	for _, permanent := range []bool{true, false} {
		err := error(email.NewSendError("ses send", api, "ann.lee@example.org", api.Code, permanent))
		if errors.Is(err, email.ErrPermanent) != permanent {
			t.Fatalf("permanent %v: errors.Is(ErrPermanent) = %v", permanent, !permanent)
		}
		var got smithy.APIError
		if !errors.As(err, &got) || got.ErrorCode() != api.Code {
			t.Fatalf("the provider's error is not reachable: %v", err)
		}
		var se *email.SendError
		if !errors.As(err, &se) || se.Code != api.Code || se.Permanent != permanent {
			t.Fatalf("SendError = %+v", se)
		}
		text := err.Error()
		if strings.Contains(strings.ToLower(text), "ann.lee@example.org") || !strings.Contains(text, "a***@example.org") ||
			!strings.HasPrefix(text, "email: ses send (") {
			t.Fatalf("text %q; want the call named and the address masked", text)
		}
	}
}
