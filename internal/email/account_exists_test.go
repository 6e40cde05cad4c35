package email_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/orion-oss/orion/internal/customer"
	"github.com/orion-oss/orion/internal/email"
)

// sent is a Sender that keeps what it is given; err, when set, is its answer.
type sent struct {
	msgs []email.Message
	err  error
}

func (s *sent) Send(_ context.Context, m email.Message) (string, error) {
	s.msgs = append(s.msgs, m)
	return "id-1", s.err
}

// The owner of an address someone registers again is told so, with the way in and the way to reset a
// password, and nothing of the person who tried (the mail has no value they sent).
func TestAccountExistsMail(t *testing.T) {
	s := &sent{}
	m, err := email.NewAccountMailer(email.Config{From: "shop@example.com", LinkBase: "https://shop.example.com/"}, s)
	if err != nil {
		t.Fatal(err)
	}
	ann, _ := customer.ParseEmail("ann@example.com")
	if err := m.AccountExists(context.Background(), ann); err != nil {
		t.Fatal(err)
	}
	if len(s.msgs) != 1 {
		t.Fatalf("%d messages", len(s.msgs))
	}
	got := s.msgs[0]
	if got.To != "ann@example.com" || got.Subject != "You already have an account" {
		t.Fatalf("message %+v", got)
	}
	for _, part := range []string{got.Text, got.HTML} {
		for _, want := range []string{"https://shop.example.com/login", "https://shop.example.com/password/forgot", "shop.example.com", "already has one"} {
			if !strings.Contains(part, want) {
				t.Errorf("message lacks %q:\n%s", want, part)
			}
		}
	}
	s.err = errors.New("throttled")
	if err := m.AccountExists(context.Background(), ann); err == nil || strings.Contains(err.Error(), "ann@example.com") {
		t.Fatalf("a failed send: %v (must be an error without the full address)", err)
	}
	for _, bad := range []email.Config{{From: "nope", LinkBase: "https://shop.example.com"}, {From: "shop@example.com", LinkBase: "ftp://x"}} {
		if _, err := email.NewAccountMailer(bad, s); err == nil {
			t.Errorf("config %+v accepted", bad)
		}
	}
}
