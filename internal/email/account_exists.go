package email

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/orion-oss/orion/internal/customer"
)

// accountView is what templates/account-exists.*.tmpl see.
type accountView struct {
	Subject, Shop, SignIn, Reset string
}

// AccountMailer sends the "you already have an account" mail that registration sends to the owner of
// an address instead of a confirmation code (account.OwnerMailer): the owner learns of the attempt and
// how to get in, the person registering learns nothing (the answer is the same for every address).
// It sends through Orion's own SES identity, as the order mail does.
type AccountMailer struct {
	sender   Sender
	from     string
	linkBase string
}

// NewAccountMailer checks the sender address and the shop's base URL (LinkBase: the sign-in and
// reset links are <LinkBase>/login and <LinkBase>/password/forgot).
func NewAccountMailer(cfg Config, sender Sender) (*AccountMailer, error) {
	var errs []error
	if _, err := customer.ParseEmail(cfg.From); err != nil {
		errs = append(errs, fmt.Errorf("From: %w", err))
	}
	if u, err := url.Parse(cfg.LinkBase); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		errs = append(errs, fmt.Errorf("LinkBase %q must be an absolute http(s) URL without query or fragment", cfg.LinkBase))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("email: account mailer: %w", err)
	}
	return &AccountMailer{sender: sender, from: cfg.From, linkBase: cfg.linkBase()}, nil
}

// AccountExistsMessage is the mail to the owner of to.
func (m *AccountMailer) AccountExistsMessage(to customer.Email) Message {
	u, _ := url.Parse(m.linkBase)
	v := accountView{Subject: "You already have an account", Shop: u.Host, SignIn: m.linkBase + "/login", Reset: m.linkBase + "/password/forgot"}
	return Message{To: to.String(), Subject: v.Subject, Text: accountExistsText(&v), HTML: accountExistsHTML(&v),
		Tags: []Tag{{"eventType", "AccountExists"}}}
}

// AccountExists mails the owner of email.
func (m *AccountMailer) AccountExists(ctx context.Context, email customer.Email) error {
	if _, err := m.sender.Send(ctx, m.AccountExistsMessage(email)); err != nil {
		return fmt.Errorf("email: account exists mail to %s: %w", email.Masked(), err)
	}
	return nil
}
