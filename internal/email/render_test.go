package email_test

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/orion-oss/orion/internal/email"
	"github.com/orion-oss/orion/internal/event"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestRenderGolden renders one email per outcome and compares its text part (with its headers) and its
// HTML part with testdata/<kind>.{txt,html}.golden. After a deliberate change, rerun with -update and
// review the diff of the golden files.
func TestRenderGolden(t *testing.T) {
	r, err := email.NewRenderer(testConfig)
	if err != nil {
		t.Fatal(err)
	}
	cases := outcomes(t)
	kinds := make([]string, 0, len(cases))
	for k := range cases {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			n, err := email.Parse(cases[kind])
			if err != nil {
				t.Fatal(err)
			}
			if n.Kind != kind {
				t.Fatalf("notice kind %q; want %q", n.Kind, kind)
			}
			m, err := r.Render(n, "ann@example.org")
			if err != nil {
				t.Fatal(err)
			}
			var head strings.Builder
			fmt.Fprintf(&head, "To: %s\nSubject: %s\nTags:", m.To, m.Subject)
			for _, tag := range m.Tags {
				fmt.Fprintf(&head, " %s=%s", tag.Name, tag.Value)
			}
			golden(t, kind+".txt.golden", head.String()+"\n\n"+m.Text)
			golden(t, kind+".html.golden", m.HTML)
		})
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/email -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the rendering (rerun with -update if the change is meant):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestRenderSubjectsAndRecipients(t *testing.T) {
	r, err := email.NewRenderer(testConfig)
	if err != nil {
		t.Fatal(err)
	}
	cases := outcomes(t)
	tests := []struct {
		kind, to, subject string
	}{
		{"order-confirmed", "ann@example.org", "Order …4D5E6F7G confirmed"},
		{"order-rejected-out-of-stock", "ann@example.org", "Order …4D5E6F7G not placed: out of stock"},
		{"order-rejected-payment-declined", "ann@example.org", "Order …4D5E6F7G not placed: payment declined"},
		{"order-cancelled-admin-request", "ann@example.org", "Order …4D5E6F7G cancelled"},
		{"order-failed-saga-failed", "ann@example.org", "Order …4D5E6F7G could not be completed"},
		// Stock alerts go to the configured admins, whoever the caller names.
		{"inventory-low", "admin@example.com", "Low stock: ORN-MUG-01 (3 left)"},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			n, err := email.Parse(cases[tt.kind])
			if err != nil {
				t.Fatal(err)
			}
			m, err := r.Render(n, "ann@example.org")
			if err != nil {
				t.Fatal(err)
			}
			if m.To != tt.to || m.Subject != tt.subject {
				t.Fatalf("to %q subject %q; want %q %q", m.To, m.Subject, tt.to, tt.subject)
			}
			if n.Order != nil && !strings.Contains(m.Text, "https://shop.example.com/orders/"+orderID) {
				t.Fatalf("text has no order link:\n%s", m.Text)
			}
		})
	}
}

// TestRenderEscapesHostileValues: item names come from the catalog, which admins edit, and order ids
// from events; a value must never become markup or a script link in the reader's mail client.
// render_templates_test.go checks the same for every value of every template against html/template.
func TestRenderEscapesHostileValues(t *testing.T) {
	r, err := email.NewRenderer(testConfig)
	if err != nil {
		t.Fatal(err)
	}
	hostile := []string{`<script>alert(1)</script>`, `"><img src=x onerror=alert(1)>`, `Tom & Jerry's <b>mug</b>`,
		`' onmouseover='alert(1)`, `javascript:alert(1)`}
	escaped := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;", "+", "&#43;")
	for _, name := range hostile {
		t.Run(name, func(t *testing.T) {
			ls, total := lines(t, "USD", item{name, "SKU-X", 1, 100})
			p := &event.OrderConfirmed{OrderRef: ref("CONFIRMED", "", 4), Lines: ls, Total: total}
			p.OrderID = `01J"><script>alert(2)</script>`
			n, err := email.Parse(envelope(t, "evt-hostile", p))
			if err != nil {
				t.Fatal(err)
			}
			m, err := r.Render(n, "ann@example.org")
			if err != nil {
				t.Fatal(err)
			}
			for _, bad := range []string{"<script", "<img", "<b>mug", "onerror=alert(1)>", "' onmouseover", `"javascript:`} {
				if strings.Contains(m.HTML, bad) {
					t.Errorf("HTML contains %q unescaped:\n%s", bad, m.HTML)
				}
			}
			if want := escaped.Replace(name); !strings.Contains(m.HTML, want) {
				t.Errorf("HTML lacks the escaped name %q:\n%s", want, m.HTML)
			}
			if !strings.Contains(m.HTML, `href="https://shop.example.com/orders/01J%22%3E%3Cscript%3Ealert%282%29%3C%2Fscript%3E"`) {
				t.Errorf("the order link is not escaped as a URL:\n%s", m.HTML)
			}
			if !strings.Contains(m.Text, name) {
				t.Errorf("the text part should carry the name as written:\n%s", m.Text)
			}

			low := &event.InventoryLow{SKU: "ORN-MUG-01", Name: name, Available: 1, Threshold: 5, ItemVersion: 2}
			n, err = email.Parse(envelope(t, "evt-hostile-low", low))
			if err != nil {
				t.Fatal(err)
			}
			if m, err = r.Render(n, ""); err != nil {
				t.Fatal(err)
			}
			if want := "<h1 style=\"font-size:20px;margin:0 0 16px;\">Low stock: " + escaped.Replace(name) + " (ORN-MUG-01)</h1>"; !strings.Contains(m.HTML, want) {
				t.Errorf("the stock alert lacks %q:\n%s", want, m.HTML)
			}
		})
	}
	// An order id that reads as a script URL stays a path under the shop's link base.
	ls, total := lines(t, "USD", item{"Mug", "SKU-X", 1, 100})
	p := &event.OrderConfirmed{OrderRef: ref("CONFIRMED", "", 4), Lines: ls, Total: total}
	p.OrderID = "javascript:alert(1)//"
	n, err := email.Parse(envelope(t, "evt-hostile-id", p))
	if err != nil {
		t.Fatal(err)
	}
	m, err := r.Render(n, "ann@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if want := `href="https://shop.example.com/orders/javascript:alert%281%29%2F%2F"`; !strings.Contains(m.HTML, want) {
		t.Errorf("HTML lacks %s:\n%s", want, m.HTML)
	}
}

func TestRenderConfig(t *testing.T) {
	tests := []struct {
		name string
		edit func(*email.Config)
		ok   bool
	}{
		{"valid", func(*email.Config) {}, true},
		{"no configuration set is fine", func(c *email.Config) { c.ConfigurationSet = "" }, true},
		{"from is not an address", func(c *email.Config) { c.From = "orders" }, false},
		{"admin missing", func(c *email.Config) { c.AdminTo = "" }, false},
		{"link base relative", func(c *email.Config) { c.LinkBase = "/shop" }, false},
		{"link base javascript", func(c *email.Config) { c.LinkBase = "javascript:alert(1)" }, false},
		{"link base with query", func(c *email.Config) { c.LinkBase = "https://shop.example.com/?a=1" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig
			tt.edit(&cfg)
			_, err := email.NewRenderer(cfg)
			if (err == nil) != tt.ok {
				t.Fatalf("NewRenderer err = %v; want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestRenderParseIgnoresOtherEvents(t *testing.T) {
	ls, total := lines(t, "USD", item{"Widget", "SKU-1", 1, 100})
	placed := envelope(t, "evt-placed", &event.OrderPlaced{OrderRef: ref("PENDING", "", 1), Lines: ls, Total: total, CreatedAt: ls0time})
	if _, err := email.Parse(placed); !errors.Is(err, email.ErrNotMailed) {
		t.Fatalf("Parse(OrderPlaced) = %v; want ErrNotMailed", err)
	}
	for _, typ := range event.Types() {
		want := map[string]bool{"OrderConfirmed": true, "OrderRejected": true, "OrderCancelled": true, "OrderFailed": true, "InventoryLow": true,
			// PaymentRefunded is mailed only with a returnId (TestOnlyReturnRefundsAreMailed).
			"OrderShipped": true, "OrderDelivered": true, "PaymentRefunded": true}[typ]
		if email.Mailed(typ) != want {
			t.Errorf("Mailed(%s) = %v; want %v", typ, !want, want)
		}
	}
}
