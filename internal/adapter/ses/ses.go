// Package ses is the email function's Sender (internal/email) over SES v2 SendEmail: the message as
// simple content, its tags as message tags, and SES's errors classified as permanent for this message
// or worth a retry.
package ses

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"

	"github.com/orion-oss/orion/internal/email"
)

// Sender sends messages with SES v2 SendEmail (simple content: subject, text and HTML bodies, UTF-8).
type Sender struct {
	client *sesv2.Client
	from   string
	set    string
}

// NewSender builds the sender; From and ConfigurationSet come from cfg.
func NewSender(client *sesv2.Client, cfg email.Config) *Sender {
	return &Sender{client: client, from: cfg.From, set: cfg.ConfigurationSet}
}

var _ email.Sender = (*Sender)(nil)

// Send delivers m and returns SES's message id. Errors are *email.SendError, wrapping
// email.ErrPermanent when SES refuses this message for good (see permanentCodes); their text never
// holds the recipient's full address.
func (s *Sender) Send(ctx context.Context, m email.Message) (string, error) {
	utf8 := aws.String("UTF-8")
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(s.from),
		Destination:      &types.Destination{ToAddresses: []string{m.To}},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String(m.Subject), Charset: utf8},
			Body: &types.Body{
				Text: &types.Content{Data: aws.String(m.Text), Charset: utf8},
				Html: &types.Content{Data: aws.String(m.HTML), Charset: utf8},
			},
		}},
	}
	if s.set != "" {
		in.ConfigurationSetName = aws.String(s.set)
	}
	for _, t := range m.Tags {
		in.EmailTags = append(in.EmailTags, types.MessageTag{Name: aws.String(tagPart(t.Name)), Value: aws.String(tagPart(t.Value))})
	}
	out, err := s.client.SendEmail(ctx, in)
	if err != nil {
		return "", Classify(err, m.To)
	}
	return aws.ToString(out.MessageId), nil
}

// permanentCodes are the SES v2 SendEmail errors that the same request will meet again, whenever it is
// retried, because of this message's recipient: no fix to Orion or the account makes it go through.
// (SES v2's error list: AccountSuspendedException, BadRequestException, LimitExceededException,
// MailFromDomainNotVerifiedException, MessageRejected, NotFoundException, SendingPausedException,
// TooManyRequestsException.)
//
//   - BadRequestException: invalid input, such as a malformed recipient address.
//   - InvalidParameterValue: what moto answers for a malformed address (SES v1's code for it).
//
// Not permanent, though no retry soon helps, because they are about Orion's configuration or account
// and stop every email, not this one; skipping would lose all of them, while retrying and then the DLQ
// keep them for a redrive once an operator has fixed the cause:
//   - MessageRejected: SES answers it for an unverified From identity, and in the SES sandbox for every
//     unverified recipient (https://docs.aws.amazon.com/ses/latest/dg/request-production-access.html);
//     it also covers content SES refuses, and the content is Orion's own templates. A first deploy
//     before the sender is verified or production access is granted must not drop its customers' mail.
//   - AccountSuspendedException, SendingPausedException, MailFromDomainNotVerifiedException and
//     NotFoundException (a missing configuration set).
//
// A suppressed recipient is not an error at all: SES v2 accepts the call and reports the suppression as
// a bounce event of the configuration set.
var permanentCodes = map[string]bool{
	"BadRequestException":   true,
	"InvalidParameterValue": true,
}

// Classify turns a SendEmail error into an *email.SendError: permanent or not by its code, with the
// recipient to masked in its text.
func Classify(err error, to string) error {
	var code string
	var api smithy.APIError
	if errors.As(err, &api) {
		code = api.ErrorCode()
	}
	return email.NewSendError("ses send", err, to, code, permanentCodes[code])
}

// tagPart makes a tag name or value acceptable to SES, which allows only ASCII letters, digits, '_'
// and '-', at most 256 of them: anything else becomes '_'.
func tagPart(s string) string {
	if s == "" {
		return "_"
	}
	b := []byte(s)
	if len(b) > 256 {
		b = b[:256]
	}
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	return string(b)
}
