package email

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/orion-oss/orion/internal/customer"
)

// SendError is a Sender's failed send as the handler needs it: Permanent decides between skipping the
// email and retrying it, and Code (the provider's error code, "" when the call got no answer) goes into
// a skipped email's outcome, SKIPPED:send:<Code>. Its text has the recipient masked: providers quote
// addresses in their messages, and Lambda logs the error a handler returns. Unwrap still reaches the
// provider's error (for errors.As with its SDK's types), and ErrPermanent when it is one.
type SendError struct {
	Code      string
	Permanent bool
	op, msg   string
	err       error
}

// NewSendError describes the failure err of a send to the address to: op names the call in the text
// ("ses send"), code is the provider's error code and permanent says whether the same message can ever
// go through.
func NewSendError(op string, err error, to, code string, permanent bool) *SendError {
	return &SendError{Code: code, Permanent: permanent, op: op, msg: redact(err.Error(), to), err: err}
}

func (e *SendError) Error() string {
	kind := "retryable"
	if e.Permanent {
		kind = "permanent"
	}
	return fmt.Sprintf("email: %s (%s): %s", e.op, kind, e.msg)
}

func (e *SendError) Unwrap() []error {
	if e.Permanent {
		return []error{ErrPermanent, e.err}
	}
	return []error{e.err}
}

// redact replaces every spelling of the address in s by its masked form.
func redact(s, addr string) string {
	if addr == "" {
		return s
	}
	masked := "***"
	if e, err := customer.ParseEmail(addr); err == nil {
		masked = e.Masked()
	}
	re, err := regexp.Compile("(?i)" + regexp.QuoteMeta(strings.TrimSpace(addr)))
	if err != nil {
		return s
	}
	return re.ReplaceAllLiteralString(s, masked)
}
