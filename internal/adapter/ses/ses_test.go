package ses_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/smithy-go"

	"github.com/orion-oss/orion/infra/engine/localaws"
	"github.com/orion-oss/orion/infra/engine/localaws/awstest"
	"github.com/orion-oss/orion/internal/adapter/ses"
	"github.com/orion-oss/orion/internal/email"
	"github.com/orion-oss/orion/internal/event"
	"github.com/orion-oss/orion/internal/money"
)

// The sender's tests run against the real local emulator.
func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

var testConfig = email.Config{
	From: "orders@example.com", AdminTo: "admin@example.com",
	LinkBase: "https://shop.example.com/", ConfigurationSet: "orion-test",
}

// confirmed renders the email of a confirmed order of $1,259.50 to the address to, as the email
// function would: the sender must deliver what the renderer makes (UTF-8 subject, HTML body).
func confirmed(t *testing.T, cfg email.Config, to string) email.Message {
	t.Helper()
	unit, err := money.New(125950, "USD")
	if err != nil {
		t.Fatal(err)
	}
	env, err := event.Wrap(&event.OrderConfirmed{
		OrderRef: event.OrderRef{OrderID: "01JDQ7Z3M6X9V0YB2C4D5E6F7G", CustomerID: "5e1f-cust", Status: "CONFIRMED", OrderVersion: 4},
		Lines:    []event.Line{{SKU: "ORN-ESP-01", Name: "Espresso machine", Quantity: 1, UnitPrice: unit, LineTotal: unit}},
		Total:    unit,
	}, event.Meta{ID: "evt-confirmed", OccurredAt: time.Date(2026, 11, 24, 10, 0, 1, 0, time.UTC), CorrelationID: "corr-1"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := email.NewRenderer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	n, err := email.Parse(env)
	if err != nil {
		t.Fatal(err)
	}
	m, err := r.Render(n, to)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// sentMessages reads what the emulator accepted, or skips when the endpoint cannot show it.
func sentMessages(t *testing.T) []localaws.SentEmail {
	t.Helper()
	msgs, err := localaws.SentEmails(context.Background(), os.Getenv("AWS_ENDPOINT_URL"))
	if errors.Is(err, localaws.ErrNoMailbox) {
		t.Skip("the endpoint cannot show the messages it sent")
	}
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

// newSender makes a verified sender identity unique to the test.
func newSender(t *testing.T) (*sesv2.Client, email.Config) {
	t.Helper()
	client := sesv2.NewFromConfig(awstest.Config(t))
	cfg := testConfig
	cfg.From = strings.ToLower(awstest.Name(t, "orders")) + "@example.com"
	// moto verifies an identity as it creates it (VerificationStatus SUCCESS); AWS would send a
	// verification mail first.
	if _, err := client.CreateEmailIdentity(context.Background(), &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String(cfg.From)}); err != nil {
		t.Fatal(err)
	}
	return client, cfg
}

func TestSendSESDelivers(t *testing.T) {
	ctx := context.Background()
	client, cfg := newSender(t)
	to := strings.ToLower(awstest.Name(t, "ann")) + "@example.org"
	m := confirmed(t, cfg, to)
	m.Tags = append(m.Tags, email.Tag{Name: "odd name!", Value: "a b/c…"}) // SES would refuse these unsanitised

	id, err := ses.NewSender(client, cfg).Send(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	if id == "" {
		t.Fatal("no message id")
	}
	var got *localaws.SentEmail
	for _, msg := range sentMessages(t) {
		if msg.ID == id {
			got = &msg
		}
	}
	if got == nil {
		t.Fatalf("message %s is not in the emulator", id)
	}
	if got.Source != cfg.From || got.Subject != "Order …4D5E6F7G confirmed" || len(got.To) != 1 || got.To[0] != to {
		t.Fatalf("sent %+v", got)
	}
	if got.Body != m.HTML || !strings.Contains(got.Body, "$1,259.50") {
		t.Fatalf("body arrived as:\n%s", got.Body)
	}
}

func TestSendSESClassifiesFailures(t *testing.T) {
	ctx := context.Background()
	client, cfg := newSender(t)
	msg := email.Message{To: "ann.lee@example.org", Subject: "s", Text: "t", HTML: "<p>t</p>"}

	unverified := cfg
	unverified.From = strings.ToLower(awstest.Name(t, "nobody")) + "@unverified.example.net"
	unreachable := sesv2.NewFromConfig(awstest.Config(t), func(o *sesv2.Options) {
		o.BaseEndpoint = aws.String("http://127.0.0.1:1") // nothing listens on port 1
		o.RetryMaxAttempts = 1
	})
	tests := []struct {
		name      string
		sender    *ses.Sender
		msg       email.Message
		permanent bool
		code      string
	}{
		// moto answers an unverified From with 400 MessageRejected "Email address not verified <from>",
		// as SES does (and does in the sandbox for an unverified recipient): Orion's configuration, not
		// this message, so it is retried and kept in the DLQ rather than dropped.
		{"unverified sender", ses.NewSender(client, unverified), msg, false, "MessageRejected"},
		// moto answers a malformed recipient with 400 InvalidParameterValue "Missing domain"; SES v2
		// says BadRequestException.
		{"malformed recipient", ses.NewSender(client, cfg), email.Message{To: "ann.lee", Subject: "s", Text: "t", HTML: "t"}, true, "InvalidParameterValue"},
		{"endpoint unreachable", ses.NewSender(unreachable, cfg), msg, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.sender.Send(ctx, tt.msg)
			if err == nil {
				t.Fatal("send succeeded")
			}
			if errors.Is(err, email.ErrPermanent) != tt.permanent {
				t.Fatalf("permanent = %v; want %v: %v", !tt.permanent, tt.permanent, err)
			}
			var se *email.SendError
			if !errors.As(err, &se) || se.Code != tt.code {
				t.Fatalf("error %v; want a SendError with code %q", err, tt.code)
			}
			var api smithy.APIError
			if tt.code != "" && (!errors.As(err, &api) || api.ErrorCode() != tt.code) {
				t.Fatalf("the SDK's error is not reachable: %v", err)
			}
			if strings.Contains(err.Error(), "ann.lee@example.org") {
				t.Fatalf("the error text holds the recipient's address: %v", err)
			}
		})
	}
}

// TestSendClassification covers the SES v2 codes the emulator cannot produce (it has no account
// state), with the SDK's own error values.
func TestSendClassification(t *testing.T) {
	tests := []struct {
		code      string
		permanent bool
	}{
		{"MessageRejected", false},
		{"BadRequestException", true},
		{"AccountSuspendedException", false},
		{"SendingPausedException", false},
		{"MailFromDomainNotVerifiedException", false},
		{"NotFoundException", false},
		{"TooManyRequestsException", false},
		{"LimitExceededException", false},
		{"InternalFailure", false},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			err := ses.Classify(&smithy.GenericAPIError{Code: tt.code, Message: "to ann@example.org"}, "ann@example.org")
			if errors.Is(err, email.ErrPermanent) != tt.permanent {
				t.Fatalf("permanent = %v; want %v", !tt.permanent, tt.permanent)
			}
			if strings.Contains(err.Error(), "ann@example.org") || !strings.Contains(err.Error(), "a***@example.org") {
				t.Fatalf("error text %q; want the address masked", err)
			}
		})
	}
}
