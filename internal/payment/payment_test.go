package payment_test

import (
	"context"
	"errors"
	"testing"

	"github.com/orion-oss/orion/internal/money"
	"github.com/orion-oss/orion/internal/payment"
)

func TestSandboxTokens(t *testing.T) {
	ctx := context.Background()
	amount, _ := money.New(2500, "USD")
	var p payment.Provider = payment.Sandbox{}
	tests := []struct {
		token   string
		attempt int
		wantErr error
		code    string
	}{
		{"tok_visa", 0, nil, ""},
		{"tok_declined", 0, payment.ErrDeclined, "card_declined"},
		{"tok_flaky", 0, payment.ErrUnavailable, ""},
		{"tok_flaky", 1, payment.ErrUnavailable, ""},
		{"tok_flaky", 2, nil, ""},
		{"tok_unavailable", 5, payment.ErrUnavailable, ""},
		{"tok_other", 0, payment.ErrDeclined, "invalid_token"},
	}
	for _, tt := range tests {
		id, err := p.Authorize(ctx, payment.AuthorizeRequest{Key: "order-1", Token: tt.token, Amount: amount, Attempt: tt.attempt})
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("%s attempt %d: err = %v; want %v", tt.token, tt.attempt, err, tt.wantErr)
		}
		var d *payment.DeclinedError
		if tt.code != "" && (!errors.As(err, &d) || d.Code != tt.code) {
			t.Errorf("%s: decline code %v", tt.token, err)
		}
		if tt.wantErr == nil && id == "" {
			t.Errorf("%s: no authorization id", tt.token)
		}
	}
}

// The same key gives the same authorization and refund: a retried step charges and refunds once.
func TestSandboxIsIdempotentByKey(t *testing.T) {
	ctx := context.Background()
	amount, _ := money.New(100, "USD")
	p := payment.Sandbox{}
	a1, _ := p.Authorize(ctx, payment.AuthorizeRequest{Key: "o1", Token: "tok_visa", Amount: amount})
	a2, _ := p.Authorize(ctx, payment.AuthorizeRequest{Key: "o1", Token: "tok_visa", Amount: amount})
	b, _ := p.Authorize(ctx, payment.AuthorizeRequest{Key: "o2", Token: "tok_visa", Amount: amount})
	if a1 != a2 || a1 == b {
		t.Fatalf("authorizations %s %s %s", a1, a2, b)
	}
	r1, _ := p.Refund(ctx, "o1", a1, amount)
	r2, _ := p.Refund(ctx, "o1", a1, amount)
	if r1 == "" || r1 != r2 {
		t.Fatalf("refunds %s %s", r1, r2)
	}
	if _, err := p.Authorize(ctx, payment.AuthorizeRequest{Token: "tok_visa", Amount: amount}); err == nil {
		t.Fatal("an authorization without a key was accepted")
	}
}
