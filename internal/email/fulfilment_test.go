package email_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/orion-oss/orion/internal/email"
	"github.com/orion-oss/orion/internal/event"
)

// shippedMail renders the shipped email of a shipment with the tracking URL raw. The event is built
// without the schema check: the email must hold even for a URL the domain would refuse.
func shippedMail(t *testing.T, raw string) email.Message {
	t.Helper()
	env, err := event.Wrap(&event.OrderShipped{OrderRef: ref("SHIPPED", "", 5), Carrier: `DHL <b>"Express"</b>`, TrackingNumber: "JD-1",
		TrackingURL: raw, ShippedAt: ls0time}, event.Meta{ID: "evt-ship-url", OccurredAt: ls0time, CorrelationID: "corr-1"})
	if err != nil {
		t.Fatal(err)
	}
	n, err := email.Parse(env)
	if err != nil {
		t.Fatal(err)
	}
	r, err := email.NewRenderer(testConfig)
	if err != nil {
		t.Fatal(err)
	}
	m, err := r.Render(n, "ann@example.org")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// The tracking link is the carrier's page only when it is an https URL; anything else is left out
// (the carrier and number still show), and what is linked is escaped for its attribute.
func TestShippedMailLinksOnlyHTTPSTracking(t *testing.T) {
	tests := []struct {
		name, raw string
		// href is the link's attribute value in the HTML part, text its line in the text part; "" none.
		href, text string
	}{
		{"https", "https://track.example.com/p?id=JD-1&lang=en", `href="https://track.example.com/p?id=JD-1&amp;lang=en"`,
			"Track your parcel: https://track.example.com/p?id=JD-1&lang=en"},
		{"quotes and markup escaped", `https://track.example.com/"><script>alert(1)</script>?q='x'`,
			`href="https://track.example.com/%22%3E%3Cscript%3Ealert%281%29%3C/script%3E?q=%27x%27"`,
			"Track your parcel: https://track.example.com/%22%3E%3Cscript%3Ealert%281%29%3C/script%3E?q='x'"},
		{"plain http", "http://track.example.com/p?id=JD-1", "", ""},
		{"javascript", "javascript:alert(document.cookie)", "", ""},
		{"data", "data:text/html,<script>alert(1)</script>", "", ""},
		{"credentials", "https://user:pass@track.example.com/", "", ""},
		{"relative", "/track/JD-1", "", ""},
		{"no host", "https:///JD-1", "", ""},
		{"line break", "https://track.example.com/\r\nBcc: eve@example.com", "", ""},
		{"none", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := shippedMail(t, tt.raw)
			if !strings.Contains(m.HTML, "JD-1") || !strings.Contains(m.Text, "Tracking number: JD-1") {
				t.Fatalf("the tracking number is missing:\n%s", m.Text)
			}
			if strings.Contains(m.HTML, "<b>") || !strings.Contains(m.HTML, "DHL &lt;b&gt;&#34;Express&#34;&lt;/b&gt;") {
				t.Fatalf("the carrier is not escaped:\n%s", m.HTML)
			}
			hasLink := strings.Contains(m.HTML, "Track your parcel")
			if tt.href == "" {
				if hasLink || strings.Contains(m.Text, "Track your parcel") {
					t.Fatalf("%q is linked:\n%s\n%s", tt.raw, m.HTML, m.Text)
				}
				return
			}
			if !strings.Contains(m.HTML, tt.href) {
				t.Fatalf("HTML has no %s:\n%s", tt.href, m.HTML)
			}
			if !strings.Contains(m.Text, tt.text+"\n") {
				t.Fatalf("text has no line %q:\n%s", tt.text, m.Text)
			}
		})
	}
}

// A refund of the whole order (compensation, cancellation) mails nothing of its own: the outcome's
// email says it. Only a return's refund (returnId) is mailed.
func TestOnlyReturnRefundsAreMailed(t *testing.T) {
	whole := envelope(t, "evt-refund-whole", &event.PaymentRefunded{OrderRef: ref("CONFIRMED", "", 7), AuthorizationID: "pi_1",
		RefundID: "re_1", Amount: mustMoney(t, 2500, "USD")})
	if _, err := email.Parse(whole); !errors.Is(err, email.ErrNotMailed) {
		t.Fatalf("Parse(whole-order refund) = %v; want ErrNotMailed", err)
	}
	n, err := email.Parse(outcomes(t)["return-refunded"])
	if err != nil || n.Kind != "return-refunded" || n.CustomerID != customerID || n.Fulfilment == nil || n.Fulfilment.Refunded != "$25.00" {
		t.Fatalf("Parse(return refund) = %+v, %v", n, err)
	}
}
