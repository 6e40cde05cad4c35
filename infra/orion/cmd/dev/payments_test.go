package main

import (
	"context"
	"strings"
	"testing"
)

// A local system runs the sandbox unless asked otherwise, never takes a live Stripe key, and leaves the
// template parameters ORION_PARAMETERS already sets alone.
func TestPreparePayments(t *testing.T) {
	for _, tc := range []struct {
		name, mode, key string
		overrides       map[string]string
		want            map[string]string // the template parameters after
		refused         string            // what the refusal says
	}{
		{name: "sandbox", mode: "sandbox", want: map[string]string{}},
		{name: "stripe-test", mode: "stripe-test", key: "sk_test_51abc",
			want: map[string]string{"PaymentProvider": "stripe", "StripeApiBase": "https://api.stripe.com"}},
		{name: "stripe-test with a restricted test key", mode: "stripe-test", key: "rk_test_51abc",
			want: map[string]string{"PaymentProvider": "stripe", "StripeApiBase": "https://api.stripe.com"}},
		{name: "stripe-test keeps an explicit API base", mode: "stripe-test", key: "sk_test_51abc", overrides: map[string]string{"StripeApiBase": "https://proxy.test"},
			want: map[string]string{"PaymentProvider": "stripe", "StripeApiBase": "https://proxy.test"}},
		{name: "stripe-test without a key", mode: "stripe-test", refused: "STRIPE_SECRET_KEY"},
		{name: "stripe-test with a live key", mode: "stripe-test", key: "sk_live_51abc", refused: "never takes a live key"},
		{name: "an unknown mode", mode: "paypal", refused: "want sandbox, stripe-mock or stripe-test"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("STRIPE_SECRET_KEY", tc.key)
			overrides := map[string]string{}
			for k, v := range tc.overrides {
				overrides[k] = v
			}
			p, err := preparePayments(context.Background(), tc.mode, overrides)
			if tc.refused != "" {
				if err == nil || !strings.Contains(err.Error(), tc.refused) {
					t.Fatalf("preparePayments = %v; want a refusal saying %q", err, tc.refused)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer p.stop()
			if len(overrides) != len(tc.want) {
				t.Fatalf("parameters %v; want %v", overrides, tc.want)
			}
			for k, v := range tc.want {
				if overrides[k] != v {
					t.Errorf("parameter %s = %q; want %q", k, overrides[k], v)
				}
			}
			if (p.secretKey != "") != (tc.mode != "sandbox") || (tc.key != "" && p.secretKey != tc.key) {
				t.Errorf("secret key %q to seed", p.secretKey)
			}
		})
	}
}
