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
		{"tok_capture_declined", 0, nil, ""},
		{"tok_capture_unavailable", 0, nil, ""},
		{"tok_3ds", 0, nil, ""},
		{"tok_misconfigured", 0, payment.ErrMisconfigured, ""},
	}
	for _, tt := range tests {
		auth, err := p.Authorize(ctx, payment.AuthorizeRequest{OrderID: "order-1", IdempotencyKey: payment.Key("order-1", payment.OpAuthorize), Token: tt.token, Amount: amount, Attempt: tt.attempt})
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("%s attempt %d: err = %v; want %v", tt.token, tt.attempt, err, tt.wantErr)
		}
		var d *payment.DeclinedError
		if tt.code != "" && (!errors.As(err, &d) || d.Code != tt.code) {
			t.Errorf("%s: decline code %v", tt.token, err)
		}
		if tt.wantErr == nil && auth.ID == "" {
			t.Errorf("%s: no authorization id", tt.token)
		}
		if (auth.Action != nil) != (tt.token == "tok_3ds") {
			t.Errorf("%s: action %+v", tt.token, auth.Action)
		}
	}
}

// What a token does after the authorization: the capture declines, is unavailable (on every attempt)
// or succeeds; 3-D Secure asks for a redirect to the sandbox's reserved domain; void and refund work
// for every authorization. Every answer is the same when repeated.
func TestSandboxAfterTheAuthorization(t *testing.T) {
	ctx := context.Background()
	amount, _ := money.New(2500, "USD")
	p := payment.Sandbox{}
	tests := []struct {
		token   string
		wantErr error
		code    string
	}{
		{"tok_visa", nil, ""},
		{"tok_flaky", nil, ""},
		{"tok_3ds", nil, ""},
		{"tok_capture_declined", payment.ErrDeclined, "capture_declined"},
		{"tok_capture_unavailable", payment.ErrUnavailable, ""},
	}
	for _, tt := range tests {
		t.Run(tt.token, func(t *testing.T) {
			order := "order-" + tt.token
			auth, err := p.Authorize(ctx, payment.AuthorizeRequest{OrderID: order, IdempotencyKey: payment.Key(order, payment.OpAuthorize), Token: tt.token, Amount: amount, Attempt: 2})
			if err != nil {
				t.Fatal(err)
			}
			if tt.token == "tok_3ds" && (auth.Action.Type != "redirect_to_url" || auth.Action.RedirectURL != payment.SandboxActionBase+auth.ID) {
				t.Fatalf("action %+v", auth.Action)
			}
			var first string
			for attempt := range 3 {
				captureID, err := p.Capture(ctx, payment.CaptureRequest{OrderID: order, IdempotencyKey: payment.Key(order, payment.OpCapture),
					AuthorizationID: auth.ID, Amount: amount, Attempt: attempt})
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("capture attempt %d: %v; want %v", attempt, err, tt.wantErr)
				}
				var d *payment.DeclinedError
				if tt.code != "" && (!errors.As(err, &d) || d.Code != tt.code) {
					t.Fatalf("capture decline %v; want code %s", err, tt.code)
				}
				if attempt == 0 {
					first = captureID
				}
				if captureID != first || (err == nil && captureID == "") {
					t.Fatalf("capture ids %q then %q", first, captureID)
				}
			}
			if err := p.Void(ctx, payment.VoidRequest{OrderID: order, IdempotencyKey: payment.Key(order, payment.OpVoid), AuthorizationID: auth.ID}); err != nil {
				t.Fatalf("void: %v", err)
			}
			if _, err := p.Refund(ctx, payment.RefundRequest{OrderID: order, IdempotencyKey: payment.Key(order, payment.OpRefund), AuthorizationID: auth.ID, Amount: amount}); err != nil {
				t.Fatalf("refund: %v", err)
			}
		})
	}
	if _, err := p.Capture(ctx, payment.CaptureRequest{IdempotencyKey: "k", AuthorizationID: "pi_1"}); !errors.Is(err, payment.ErrMisconfigured) {
		t.Fatalf("a capture without an amount: %v", err)
	}
}

// The same key gives the same authorization and refund: a retried step charges and refunds once.
func TestSandboxIsIdempotentByKey(t *testing.T) {
	ctx := context.Background()
	amount, _ := money.New(100, "USD")
	p := payment.Sandbox{}
	auth := func(order string) string {
		a, err := p.Authorize(ctx, payment.AuthorizeRequest{OrderID: order, IdempotencyKey: payment.Key(order, payment.OpAuthorize), Token: "tok_visa", Amount: amount})
		if err != nil {
			t.Fatal(err)
		}
		return a.ID
	}
	a1, a2, b := auth("o1"), auth("o1"), auth("o2")
	if a1 != a2 || a1 == b {
		t.Fatalf("authorizations %s %s %s", a1, a2, b)
	}
	refund := payment.RefundRequest{OrderID: "o1", IdempotencyKey: payment.Key("o1", payment.OpRefund), AuthorizationID: a1, Amount: amount}
	r1, _ := p.Refund(ctx, refund)
	r2, _ := p.Refund(ctx, refund)
	if r1 == "" || r1 != r2 {
		t.Fatalf("refunds %s %s", r1, r2)
	}
	if _, err := p.Authorize(ctx, payment.AuthorizeRequest{Token: "tok_visa", Amount: amount}); !errors.Is(err, payment.ErrMisconfigured) {
		t.Fatalf("an authorization without a key: %v", err)
	}
}

func TestKeyDiffersByOperation(t *testing.T) {
	seen := map[string]payment.Operation{}
	for _, op := range []payment.Operation{payment.OpAuthorize, payment.OpCapture, payment.OpVoid, payment.OpRefund} {
		k := payment.Key("01J0000000000000000000000A", op)
		if prev, dup := seen[k]; dup {
			t.Fatalf("%s and %s share the key %s", prev, op, k)
		}
		seen[k] = op
	}
	if payment.Key("a", payment.OpCapture) == payment.Key("b", payment.OpCapture) {
		t.Fatal("two orders share a key")
	}
}

func TestCheckStage(t *testing.T) {
	for _, c := range []struct {
		name, stage string
		want        error
	}{
		{"sandbox", "local", nil}, {"", "dev", nil}, {"stripe", "prod", nil}, {"stripe", "local", nil},
		{"sandbox", "prod", payment.ErrSandboxInProduction}, {"", "prod", payment.ErrSandboxInProduction},
	} {
		if err := payment.CheckStage(c.name, c.stage); !errors.Is(err, c.want) {
			t.Errorf("CheckStage(%q, %q) = %v; want %v", c.name, c.stage, err, c.want)
		}
	}
	if err := payment.CheckStage("paypal", "dev"); err == nil {
		t.Error("an unknown provider was accepted")
	}
}
