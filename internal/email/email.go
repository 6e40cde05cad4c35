// Package email turns order and stock events into emails and sends each of them once: a Renderer makes
// the message from an event, a Sender (SES v2) delivers it, and a Handler ties both to an idempotent
// Inbox so that EventBridge's and Lambda's repeated deliveries send nothing twice.
//
// The ports (Inbox, Recipients, Sender) are defined here, where they are used; the adapters live with
// their services (dynamo.Inbox, the SES sender in ses.go, a Cognito lookup in the function's wiring).
package email

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/orion-oss/orion/internal/adapter/dynamo"
	"github.com/orion-oss/orion/internal/customer"
)

// ErrPermanent marks a failure that repeating cannot fix for this message: a malformed or rejected
// recipient, content SES refuses. The handler records it as skipped instead of retrying into the
// dead-letter queue. Failures that concern every message (throttling, a paused account, a missing
// configuration set) are not permanent: the retries and the DLQ keep the events until they are fixed.
var ErrPermanent = errors.New("email: permanent failure")

// Config is the email function's configuration (template.yaml: EmailFrom, AdminEmail, LinkBaseUrl and
// the SES configuration set).
type Config struct {
	// From is the verified SES identity the emails come from.
	From string
	// AdminTo receives the low-stock alerts.
	AdminTo string
	// LinkBase is the shop's base URL; order links are <LinkBase>/orders/<orderId>.
	LinkBase string
	// ConfigurationSet is the SES configuration set that publishes delivery events; optional.
	ConfigurationSet string
}

// Validate reports a configuration the function cannot start with.
func (c Config) Validate() error {
	var errs []error
	for _, f := range []struct{ name, addr string }{{"From", c.From}, {"AdminTo", c.AdminTo}} {
		if _, err := customer.ParseEmail(f.addr); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.name, err))
		}
	}
	u, err := url.Parse(c.LinkBase)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		errs = append(errs, fmt.Errorf("LinkBase %q must be an absolute http(s) URL without query or fragment", c.LinkBase))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("email: config: %w", err)
	}
	return nil
}

// linkBase is LinkBase without a trailing slash, so that joining never doubles it.
func (c Config) linkBase() string { return strings.TrimRight(c.LinkBase, "/") }

// Message is one rendered email.
type Message struct {
	To      string
	Subject string
	Text    string
	HTML    string
	// Tags go to SES as message tags (event type, order id, ...), so delivery events can be traced
	// back to the event that caused them.
	Tags []Tag
}

// Tag is one message tag.
type Tag struct{ Name, Value string }

// Sender delivers a message and returns the provider's message id. An error wrapping ErrPermanent means
// this message can never be delivered; any other error is worth retrying.
type Sender interface {
	Send(ctx context.Context, m Message) (messageID string, err error)
}

// Recipients finds a customer's email address (the caller implements it with Cognito). It returns an
// error wrapping ErrPermanent when the customer has no address to write to (a deleted user, no email
// attribute); any other error is retried.
type Recipients interface {
	Email(ctx context.Context, customerID string) (string, error)
}

// Inbox is the idempotent inbox of processed events; dynamo.Inbox implements it (see its documentation
// for the guarantees and the one crash window left).
type Inbox interface {
	Claim(ctx context.Context, consumer, eventID string) (dynamo.Claim, error)
	Complete(ctx context.Context, c dynamo.Claim, outcome string) error
	Release(ctx context.Context, c dynamo.Claim) error
}
