package stripetest_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/orion-oss/orion/internal/adapter/stripe/stripetest"
)

// Orion's fixtures make stripe-mock answer with a held PaymentIntent, where the bundled ones answer
// requires_payment_method.
func TestFixturesHoldThePayment(t *testing.T) {
	for _, c := range []struct {
		name, fixtures, status string
	}{
		{"bundled", "", "requires_payment_method"},
		{"Orion's", stripetest.Fixtures(t), "requires_capture"},
	} {
		t.Run(c.name, func(t *testing.T) {
			url := stripetest.Start(t, c.fixtures)
			req, err := http.NewRequest(http.MethodGet, url+"/v1/payment_intents/pi_123", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer sk_test_123")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var pi struct{ Status, LatestCharge string }
			if err := json.NewDecoder(resp.Body).Decode(&pi); err != nil || resp.StatusCode != 200 || pi.Status != c.status {
				t.Fatalf("HTTP %d, %+v, %v; want status %s", resp.StatusCode, pi, err, c.status)
			}
		})
	}
}
