// Package email turns order and stock events into emails and sends each of them once: a Renderer makes
// the message from an event, a Sender (SES v2) delivers it, and a Handler ties both to an idempotent
// Inbox so that EventBridge's and Lambda's repeated deliveries send nothing twice.
//
// The ports (Inbox, Recipients, Sender) are defined here, where they are used, in this package's own
// types; the adapters live under internal/adapter by technology (the DynamoDB inbox in
// adapter/dynamo/inbox, the SES v2 sender in adapter/ses, the Cognito directory in adapter/cognito).
package email

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

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

// Sender delivers a message and returns the provider's message id (internal/adapter/ses). An error
// wrapping ErrPermanent means this message can never be delivered; any other error is worth retrying.
// A *SendError in the chain gives the provider's error code to the outcome of a skipped email.
type Sender interface {
	Send(ctx context.Context, m Message) (messageID string, err error)
}

// Recipients finds a customer's email address (internal/adapter/cognito's Directory). It returns an
// error wrapping ErrPermanent when the customer has no address to write to (a deleted user, no email
// attribute); any other error is retried.
type Recipients interface {
	Email(ctx context.Context, customerID string) (string, error)
}

// Inbox is the idempotent inbox of processed events (internal/adapter/dynamo/inbox implements it over
// the processed-events table; its documentation gives the guarantees and the one crash window left).
//
// The protocol: Claim; if acquired, send; then Complete with the outcome, or Release after a failure
// worth retrying. Complete and Release fail, changing nothing, when the claim is no longer this
// attempt's (its lease ran out and another attempt took the event over).
type Inbox interface {
	Claim(ctx context.Context, consumer, eventID string) (Claim, error)
	Complete(ctx context.Context, c Claim, outcome string) error
	Release(ctx context.Context, c Claim) error
}

// ClaimStatus is what Inbox.Claim found.
type ClaimStatus string

const (
	// ClaimAcquired: this attempt holds the event until the lease ends; do the side effect, then
	// Complete (or Release on a retryable failure).
	ClaimAcquired ClaimStatus = "ACQUIRED"
	// ClaimDone: the event was handled before (Outcome says how); do nothing.
	ClaimDone ClaimStatus = "DONE"
	// ClaimBusy: another attempt holds a live lease; do nothing now. A caller that may be the retry of
	// a crashed attempt should fail and be retried after the lease rather than drop the event.
	ClaimBusy ClaimStatus = "BUSY"
)

// Claim is the result of Inbox.Claim. Pass it back to Complete or Release: its Token proves which
// attempt holds the lease, so a slow attempt whose lease was taken over cannot overwrite the new one.
type Claim struct {
	Consumer, EventID string
	Status            ClaimStatus
	Token             string
	LeaseUntil        time.Time
	// Outcome is the recorded result when Status is ClaimDone.
	Outcome string
	// Attempts counts the claims of this event so far, including this one when acquired.
	Attempts int64
}

// Acquired reports whether this attempt may perform the side effect.
func (c Claim) Acquired() bool { return c.Status == ClaimAcquired }
